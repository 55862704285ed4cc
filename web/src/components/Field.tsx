import { Show, createUniqueId } from "solid-js";

export interface FieldProps {
  label: string;
  name: string;
  type?: "text" | "email" | "password";
  autocomplete?: string;
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  hint?: string;
  error?: string | undefined;
  value: string;
  onInput: (value: string) => void;
}

/** A labelled input whose server-side error is announced and linked with aria-describedby. */
export function Field(props: FieldProps) {
  const id = createUniqueId();
  const describedBy = () => (props.error ? `${id}-error` : props.hint ? `${id}-hint` : undefined);
  return (
    <div class="field" classList={{ "field--invalid": Boolean(props.error) }}>
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? "text"}
        autocomplete={props.autocomplete}
        required={props.required}
        minLength={props.minLength}
        maxLength={props.maxLength}
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
        aria-invalid={props.error ? "true" : undefined}
        aria-describedby={describedBy()}
      />
      <Show when={props.hint && !props.error}>
        <p id={`${id}-hint`} class="field__hint">
          {props.hint}
        </p>
      </Show>
      <Show when={props.error}>
        <p id={`${id}-error`} class="field__error" role="alert">
          {props.error}
        </p>
      </Show>
    </div>
  );
}
