import { AlertDialog } from "@kobalte/core/alert-dialog";
import { createSignal, Show } from "solid-js";
import type { ProviderName } from "../../../../worker/contract/integrations";
import { Spinner } from "../../components/Spinner";

const GRANTED_BY: Record<ProviderName, string> = { gmail: "Google", calendar: "Google", slack: "Slack", github: "GitHub" };

/**
 * The Disconnect button and the question it asks first: disconnecting
 * revokes the grant at the provider, and getting it back means going through
 * its consent page again. Cancel has the focus when the dialog opens.
 */
export function ConfirmDisconnect(props: { name: string; provider: ProviderName; busy: string | undefined; onConfirm: () => void }) {
  const [open, setOpen] = createSignal(false);
  return (
    <AlertDialog open={open()} onOpenChange={setOpen}>
      <AlertDialog.Trigger class="button" disabled={props.busy !== undefined} aria-label={`Disconnect ${props.name}`}>
        <Show when={props.busy === "disconnecting"}>
          <Spinner />
        </Show>
        Disconnect
      </AlertDialog.Trigger>
      <AlertDialog.Portal>
        <AlertDialog.Overlay class="dialog-overlay" />
        <div class="dialog-positioner">
          <AlertDialog.Content class="confirm-dialog" onInteractOutside={(e) => e.preventDefault()}>
            <div class="form">
              <AlertDialog.Title as="h2">
                Disconnect {props.name}?
              </AlertDialog.Title>
              <AlertDialog.Description as="p" class="muted">
                TaskPilot's access is revoked at {GRANTED_BY[props.provider]} and your agents lose the {props.name} tools. To use them again,
                connect it and approve access on {GRANTED_BY[props.provider]}'s page once more.
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
                  Disconnect
                </button>
              </div>
            </div>
          </AlertDialog.Content>
        </div>
      </AlertDialog.Portal>
    </AlertDialog>
  );
}
