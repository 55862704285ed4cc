import { Show, type JSX } from "solid-js";
import { Spinner } from "./Spinner";

/** The form's own error (what no field explains), announced. */
export function FormError(props: { message: string | undefined }) {
  return (
    <Show when={props.message}>
      <p class="error-note" role="alert">
        {props.message}
      </p>
    </Show>
  );
}

/** The primary submit button, with the spinner while the form is busy. */
export function SubmitButton(props: { busy: boolean; children: JSX.Element }) {
  return (
    <button class="button button--primary" type="submit" disabled={props.busy}>
      <Show when={props.busy}>
        <Spinner />
      </Show>
      {props.children}
    </button>
  );
}
