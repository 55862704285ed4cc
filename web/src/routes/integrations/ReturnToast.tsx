import { Show } from "solid-js";

export interface ReturnNotice {
  kind: "success" | "error";
  text: string;
}

/** The message after coming back from a provider's consent page; errors stay until dismissed. */
export function ReturnToast(props: { notice: ReturnNotice | null; onDismiss: () => void }) {
  return (
    <Show when={props.notice}>
      {(n) => (
        <div class={`toast toast--${n().kind}`} role={n().kind === "error" ? "alert" : "status"} data-testid="integration-toast">
          <span>{n().text}</span>
          <button type="button" class="toast__close" aria-label="Dismiss" onClick={() => props.onDismiss()}>
            ×
          </button>
        </div>
      )}
    </Show>
  );
}
