import { AlertDialog } from "@kobalte/core/alert-dialog";
import { createSignal, Show, type JSX } from "solid-js";
import { Spinner } from "./Spinner";

/**
 * A button whose action asks first (Kobalte's AlertDialog): Disconnect,
 * Delete. Cancel has the focus when the dialog opens; Escape closes it and
 * focus returns to the button; a click outside does not dismiss it, so a
 * stray click neither confirms nor loses the question.
 */
export function ConfirmButton(props: {
  /** The button's text, and the confirming button's. */
  action: string;
  /** The accessible name of the trigger ("Delete Guide.md"). */
  label: string;
  title: JSX.Element;
  children: JSX.Element;
  disabled: boolean;
  busy: boolean;
  class?: string;
  onConfirm: () => void;
}) {
  const [open, setOpen] = createSignal(false);
  return (
    <AlertDialog open={open()} onOpenChange={setOpen}>
      <AlertDialog.Trigger class={props.class ?? "button"} disabled={props.disabled} aria-label={props.label}>
        <Show when={props.busy}>
          <Spinner />
        </Show>
        {props.action}
      </AlertDialog.Trigger>
      <AlertDialog.Portal>
        <AlertDialog.Overlay class="dialog-overlay" />
        <div class="dialog-positioner">
          <AlertDialog.Content class="confirm-dialog" onInteractOutside={(e) => e.preventDefault()}>
            <div class="form">
              <AlertDialog.Title as="h2">{props.title}</AlertDialog.Title>
              <AlertDialog.Description as="p" class="muted">
                {props.children}
              </AlertDialog.Description>
              <div class="confirm-dialog__actions">
                <AlertDialog.CloseButton class="button" aria-label="Cancel">
                  Cancel
                </AlertDialog.CloseButton>
                <button
                  class="button button--danger"
                  type="button"
                  onClick={() => {
                    setOpen(false);
                    props.onConfirm();
                  }}
                >
                  {props.action}
                </button>
              </div>
            </div>
          </AlertDialog.Content>
        </div>
      </AlertDialog.Portal>
    </AlertDialog>
  );
}
