import { Collapsible } from "@kobalte/core/collapsible";
import { For, Show } from "solid-js";
import type { Step } from "../../../../worker/contract/agent";
import { Spinner } from "../../components/Spinner";
import type { LiveStep } from "../../stores/sessions";

const seconds = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

/** One tool call: which tool, with what, what came back (with links to the sources), and how long it took. */
export function StepView(props: { step: Step }) {
  const s = () => props.step;
  const args = () => (s().arguments && Object.keys(s().arguments!).length > 0 ? JSON.stringify(s().arguments, null, 2) : undefined);
  return (
    <li class={`chat-step chat-step--${s().status} chat-step--${s().kind}`} data-testid="step" data-tool={s().tool}>
      <div class="chat-step__head">
        <span class="chat-step__tool">{s().tool ?? (s().kind === "note" ? "Note" : "Reconnect needed")}</span>
        <Show when={s().status === "running"}>
          <Spinner label="Running" />
        </Show>
        <Show when={s().durationMs !== undefined}>
          <span class="chat-step__duration">{seconds(s().durationMs!)}</span>
        </Show>
      </div>
      <p class="chat-step__summary">{s().summary}</p>
      <Show when={s().error && s().error!.message !== s().summary}>
        <p class="chat-step__error">{s().error!.message}</p>
      </Show>
      <Show when={s().sources.length > 0}>
        <ul class="chat-step__sources" aria-label="Sources">
          <For each={s().sources}>
            {(src) => (
              <li>
                <a href={src.url} target="_blank" rel="noopener noreferrer">
                  {src.label}
                </a>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={args()}>
        {(text) => (
          <Collapsible class="chat-step__args">
            <Collapsible.Trigger class="chat-step__args-toggle">Arguments</Collapsible.Trigger>
            <Collapsible.Content>
              <pre>{text()}</pre>
            </Collapsible.Content>
          </Collapsible>
        )}
      </Show>
    </li>
  );
}

/** A step as its frame told it, before the reply brings the full record. */
export function LiveStepView(props: { step: LiveStep }) {
  return (
    <Show
      when={props.step.step}
      fallback={
        <li class="chat-step chat-step--running" data-testid="step" data-tool={props.step.tool}>
          <div class="chat-step__head">
            <span class="chat-step__tool">{props.step.tool}</span>
          </div>
          <p class="chat-step__summary">{props.step.summary}</p>
        </li>
      }
    >
      {(full) => <StepView step={full()} />}
    </Show>
  );
}
