import { For, Show } from "solid-js";
import type { Message } from "../../../../worker/contract/agent";
import { renderMarkdown } from "../../lib/markdown";
import { formatTokens, formatUsd } from "../../stores/sessions";
import { StepView } from "./StepView";

/** The offline planner's label from the message metadata, or the model's name. */
export function modelLabel(message: Message): string | undefined {
  const { label, model } = message.metadata as { label?: unknown; model?: unknown };
  if (typeof label === "string" && label) return label;
  if (typeof model === "string" && model) return model;
  return undefined;
}

/** The reply's markdown, sanitised (see lib/markdown.ts): never HTML the model wrote. */
export function Markdown(props: { source: string }) {
  return <div class="chat-markdown" innerHTML={renderMarkdown(props.source)} />;
}

export function MessageView(props: { message: Message }) {
  const m = () => props.message;
  return (
    <article class={`chat-message chat-message--${m().role}`} data-testid={`message-${m().role}`} data-message-id={m().id}>
      <h3 class="visually-hidden">{m().role === "user" ? "You" : m().role === "assistant" ? "Agent" : "System"}</h3>
      <Show when={m().steps.length > 0}>
        <ol class="chat-steps" aria-label="Steps">
          <For each={m().steps}>{(step) => <StepView step={step} />}</For>
        </ol>
      </Show>
      <Show when={m().role === "assistant"} fallback={<p class="chat-message__text">{m().content}</p>}>
        <Markdown source={m().content} />
      </Show>
      <Show when={m().role === "assistant"}>
        <p class="chat-cost" data-testid="turn-cost">
          <Show when={modelLabel(m())}>{(label) => <span class="chat-cost__model">{label()}</span>}</Show>
          <span>{formatUsd(m().usage?.costUsd ?? 0)}</span>
          <Show when={m().usage}>{(usage) => <span>{formatTokens(usage())}</span>}</Show>
        </p>
      </Show>
    </article>
  );
}
