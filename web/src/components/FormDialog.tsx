// Kobalte's AlertDialog reassigns the shared `Dialog.Content` to its own (role="alertdialog")
// once it is loaded; the named export is the plain dialog content.
import { Content as DialogContent, Dialog } from "@kobalte/core/dialog";
import type { JSX } from "solid-js";

/** A dialog holding a form, opened by a button: New template, Link a repository, Edit prompt. */
export function FormDialog(props: { trigger: string; triggerClass?: string; triggerDisabled?: boolean; title: string; open: boolean; onOpenChange: (open: boolean) => void; children: JSX.Element }) {
  return (
    <Dialog open={props.open} onOpenChange={props.onOpenChange}>
      <Dialog.Trigger class={props.triggerClass ?? "button"} disabled={props.triggerDisabled}>{props.trigger}</Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay class="dialog-overlay" />
        <div class="dialog-positioner">
          <DialogContent class="confirm-dialog template-dialog">
            <div class="template-dialog__head">
              <Dialog.Title as="h2">{props.title}</Dialog.Title>
              <Dialog.CloseButton class="button button--small" aria-label="Close">
                Close
              </Dialog.CloseButton>
            </div>
            {props.children}
          </DialogContent>
        </div>
      </Dialog.Portal>
    </Dialog>
  );
}

