import { Show } from "solid-js";
import type { Step } from "../../../../worker/contract/agent";
import { Icon } from "../../components/Icon";
import { Spinner } from "../../components/Spinner";
import { providerName } from "../integrations/messages";

/**
 * The agent cannot go on until an integration is connected again: a tool
 * hit a revoked grant (`reconnect_required`, the session is paused), or an
 * integration's tools were withdrawn. Reconnect goes to Integrations; the
 * page resumes the paused turn when the person comes back.
 */
export function ReconnectBanner(props: { step: Step | undefined; paused: boolean; resuming: boolean; onReconnect: (provider?: string) => void; onResume: () => void }) {
  const provider = () => props.step?.provider;
  const name = () => (provider() ? providerName(provider()!) : "an integration");
  return (
    <Show when={props.step || props.paused}>
      <div class="chat-banner" role="alert" data-testid="reconnect-banner">
        <Icon name="alert" />
        <div class="chat-banner__text">
          <Show
            when={props.step?.kind === "note"}
            fallback={
              <p>
                <strong>{props.paused ? "Paused: " : ""}</strong>
                {name()} needs to be reconnected before the agent can go on. {props.step?.summary}
              </p>
            }
          >
            {/* The note's first sentence is for people; the rest of it tells the model what to do. */}
            <p>{props.step!.summary.split(/\.\s/)[0]!.replace(/\.$/, "")}. Reconnect it to give the agent its tools back.</p>
          </Show>
        </div>
        <div class="chat-banner__actions">
          <button class="button button--primary" type="button" onClick={() => props.onReconnect(provider())}>
            Reconnect{provider() ? ` ${name()}` : ""}
          </button>
          <Show when={props.paused}>
            <button class="button" type="button" disabled={props.resuming} onClick={() => props.onResume()}>
              <Show when={props.resuming}>
                <Spinner />
              </Show>
              Resume
            </button>
          </Show>
        </div>
      </div>
    </Show>
  );
}
