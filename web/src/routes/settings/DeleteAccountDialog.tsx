import { createSignal } from "solid-js";
import { Field } from "../../components/Field";
import { Icon } from "../../components/Icon";
import { Spinner } from "../../components/Spinner";
import { useSubmit } from "../../components/useForm";

/**
 * A modal `<dialog>` (focus moves in, Escape closes, the page behind is
 * inert) asking for the password before the account is deleted; the API's
 * error is shown inside it.
 */
export function DeleteAccountDialog(props: { onConfirm: (password: string) => Promise<void>; exposeOpen: (open: () => void) => void }) {
  let dialog: HTMLDialogElement | undefined;
  const [password, setPassword] = createSignal("");
  const submit = useSubmit();

  props.exposeOpen(() => {
    setPassword("");
    dialog?.showModal();
  });

  const close = () => dialog?.close();
  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void submit.run(() => props.onConfirm(password()));
  };

  return (
    <dialog
      ref={dialog}
      class="confirm-dialog"
      aria-labelledby="delete-account-title"
      aria-describedby="delete-account-description"
      onCancel={(e) => {
        if (submit.busy()) e.preventDefault();
      }}
    >
      <form class="form" onSubmit={onSubmit} aria-busy={submit.busy()}>
        <h2 id="delete-account-title">Delete your account?</h2>
        <p id="delete-account-description" class="muted">
          This deletes your profile, your connected integrations (their access is revoked at Google, Slack and GitHub) and your
          history. It cannot be undone. Enter your password to confirm.
        </p>
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
          <button class="button" type="button" onClick={close} disabled={submit.busy()}>
            Cancel
          </button>
          <button class="button button--danger" type="submit" disabled={submit.busy()}>
            {submit.busy() ? <Spinner /> : null}
            {submit.busy() ? "Deleting…" : "Delete account permanently"}
          </button>
        </div>
      </form>
    </dialog>
  );
}
