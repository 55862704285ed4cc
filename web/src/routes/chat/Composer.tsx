import { createEffect, createSignal, on, Show } from "solid-js";
import { MAX_MESSAGE_BYTES } from "../../../../worker/contract/agent";
import { Spinner } from "../../components/Spinner";

const bytesOf = (s: string) => new TextEncoder().encode(s).byteLength;
const kb = (n: number) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`);

/**
 * Enter sends, Shift+Enter starts a new line (and Enter while an input
 * method is composing a character is the IME's, not ours). Disabled while
 * a turn runs: the server takes one turn at a time per conversation.
 */
export function Composer(props: {
  busy: boolean;
  disabledReason?: string;
  /** Text to start from (a template's prompt waiting as a draft); never overwrites what the person typed. */
  initial?: string;
  onSend: (content: string) => Promise<boolean>;
}) {
  const [text, setText] = createSignal("");
  createEffect(
    on(
      () => props.initial,
      (initial) => {
        if (initial && text() === "") setText(initial);
      },
    ),
  );
  const size = () => bytesOf(text());
  const tooLong = () => size() > MAX_MESSAGE_BYTES;
  const canSend = () => !props.busy && !props.disabledReason && text().trim().length > 0 && !tooLong();

  const send = async () => {
    if (!canSend()) return;
    const content = text().trim();
    setText("");
    // Put the draft back if the message was not taken (a 409, a network failure): nothing typed is lost.
    if (!(await props.onSend(content))) setText((now) => (now === "" ? content : now));
  };

  return (
    <form
      class="chat-composer"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <label for="chat-input" class="visually-hidden">
        Message
      </label>
      <textarea
        id="chat-input"
        class="chat-composer__input"
        rows={3}
        placeholder={props.disabledReason ?? "Ask the agent… (Enter sends, Shift+Enter for a new line)"}
        value={text()}
        disabled={props.busy || props.disabledReason !== undefined}
        aria-describedby="chat-input-size"
        aria-invalid={tooLong() ? "true" : undefined}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            void send();
          }
        }}
      />
      <div class="chat-composer__bar">
        <span id="chat-input-size" class={tooLong() ? "chat-composer__size chat-composer__size--over" : "chat-composer__size"}>
          {kb(size())} of {kb(MAX_MESSAGE_BYTES)}
          <Show when={tooLong()}> — too long to send</Show>
        </span>
        <button class="button button--primary" type="submit" disabled={!canSend()}>
          <Show when={props.busy}>
            <Spinner />
          </Show>
          {props.busy ? "Working…" : "Send"}
        </button>
      </div>
    </form>
  );
}
