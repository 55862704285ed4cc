import { AlertDialog } from "@kobalte/core/alert-dialog";
import { createSignal, Show } from "solid-js";
import { Spinner } from "../../components/Spinner";

/**
 * A document's Delete button and the question it asks first. Cancel has the
 * focus when the dialog opens; Escape closes it and focus returns to the button.
 */
export function ConfirmDeleteDocument(props: { title: string; busy: boolean; onConfirm: () => void }) {
  const [open, setOpen] = createSignal(false);
  return (
    <AlertDialog open={open()} onOpenChange={setOpen}>
      <AlertDialog.Trigger class="button button--small" disabled={props.busy} aria-label={`Delete ${props.title}`}>
        <Show when={props.busy}>
          <Spinner />
        </Show>
        Delete
      </AlertDialog.Trigger>
      <AlertDialog.Portal>
        <AlertDialog.Overlay class="dialog-overlay" />
        <div class="dialog-positioner">
          <AlertDialog.Content class="confirm-dialog" onInteractOutside={(e) => e.preventDefault()}>
            <div class="form">
              <AlertDialog.Title as="h2">Delete '{props.title}'?</AlertDialog.Title>
              <AlertDialog.Description as="p" class="muted">
                Its passages will no longer be found by search or cited by your agents, and the uploaded file is deleted with it. This cannot be
                undone.
              </AlertDialog.Description>
              <div class="confirm-dialog__actions">
                <AlertDialog.CloseButton class="button">Cancel</AlertDialog.CloseButton>
                <button
                  class="button button--danger"
                  type="button"
                  onClick={() => {
                    setOpen(false);
                    props.onConfirm();
                  }}
                >
                  Delete
                </button>
              </div>
            </div>
          </AlertDialog.Content>
        </div>
      </AlertDialog.Portal>
    </AlertDialog>
  );
}
