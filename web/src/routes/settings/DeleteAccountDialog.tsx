import { AlertDialog } from "@kobalte/core/alert-dialog";
import { createSignal } from "solid-js";
import { Field } from "../../components/Field";
import { Icon } from "../../components/Icon";
import { Spinner } from "../../components/Spinner";
import { useSubmit } from "../../components/useForm";

/**
 * The "Delete account…" button and the alert dialog it opens: focus moves
 * to the password field, the page behind is inert, Escape or Cancel close it
 * (not while the deletion runs) and focus returns to the button. The API's
 * error is shown inside it.
 */
export function DeleteAccountDialog(props: { onConfirm: (password: string) => Promise<void> }) {
  const [open, setOpen] = createSignal(false);
  const [password, setPassword] = createSignal("");
  const submit = useSubmit();

  const onOpenChange = (next: boolean) => {
    if (!next && submit.busy()) return;
    if (next) setPassword("");
    setOpen(next);
  };
  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void submit.run(() => props.onConfirm(password()));
  };

  return (
    <AlertDialog open={open()} onOpenChange={onOpenChange}>
      <AlertDialog.Trigger class="button button--danger">Delete account…</AlertDialog.Trigger>
      <AlertDialog.Portal>
        <AlertDialog.Overlay class="dialog-overlay" />
        <div class="dialog-positioner">
          <AlertDialog.Content class="confirm-dialog" onInteractOutside={(e) => e.preventDefault()}>
            <form class="form" onSubmit={onSubmit} aria-busy={submit.busy()}>
              <AlertDialog.Title as="h2">Delete your account?</AlertDialog.Title>
              <AlertDialog.Description as="p" class="muted">
                This deletes your profile, your connected integrations (their access is revoked at Google, Slack and GitHub) and your
                history. It cannot be undone. Enter your password to confirm.
              </AlertDialog.Description>
              {submit.formError() ? (
                <div class="alert" role="alert">
                  <Icon name="alert" />
                  <span>{submit.formError()}</span>
                </div>
              ) : null}
              <Field
                label="Password"
                name="password"
                type="password"
                autocomplete="current-password"
                required
                value={password()}
                onInput={setPassword}
                error={submit.fieldError("password")}
              />
              <div class="confirm-dialog__actions">
                <AlertDialog.CloseButton class="button" aria-label="Cancel" disabled={submit.busy()}>
                  Cancel
                </AlertDialog.CloseButton>
                <button class="button button--danger" type="submit" disabled={submit.busy()}>
                  {submit.busy() ? <Spinner /> : null}
                  {submit.busy() ? "Deleting…" : "Delete account permanently"}
                </button>
              </div>
            </form>
          </AlertDialog.Content>
        </div>
      </AlertDialog.Portal>
    </AlertDialog>
  );
}
