import { createMutation, useQueryClient } from "@tanstack/solid-query";
import { For, Show } from "solid-js";
import type { Integration } from "../../../../worker/contract/integrations";
import { Spinner } from "../../components/Spinner";
import { api, errorMessage } from "../../lib/api";
import { onRestoredFromCache } from "../../lib/page-lifecycle";
import { connectMutation, disconnectMutation } from "../../stores/integrations";
import { ConfirmDisconnect } from "./ConfirmDisconnect";
import { EventHistory } from "./EventHistory";
import { describeError, shortScope, STATUS_LABEL } from "./messages";

const INITIAL: Record<Integration["provider"], string> = { gmail: "M", calendar: "C", slack: "S", github: "GH" };

const formatTime = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

/** One provider: who is connected, with which scopes, what went wrong last, and the buttons that fix it. */
export function ProviderCard(props: { integration: Integration }) {
  const queryClient = useQueryClient();
  const i = () => props.integration;
  // The cards are keyed by provider (see integrationsQuery), so one card is one provider for its whole life.
  const provider = props.integration.provider;
  const connect = createMutation(() => connectMutation(api, provider));
  const disconnect = createMutation(() => disconnectMutation(api, queryClient, provider));
  // A successful connect stays busy until the consent page replaces this one; back from the cache, it must not.
  onRestoredFromCache(() => connect.reset());
  const busy = () => (connect.isPending || connect.isSuccess ? "connecting" : disconnect.isPending ? "disconnecting" : undefined);
  const actionError = () => connect.error ?? disconnect.error;
  const headingId = () => `integration-${i().provider}`;
  const needsReconnect = () => i().status === "error" || i().status === "expired";

  return (
    <article class={`integration-card integration-card--${i().status}`} aria-labelledby={headingId()} data-provider={i().provider}>
      <header class="integration-card__head">
        <span class={`integration-card__logo integration-card__logo--${i().provider}`} aria-hidden="true">
          {INITIAL[i().provider]}
        </span>
        <div class="integration-card__title">
          <h2 id={headingId()}>{i().name}</h2>
          <span class={`status-badge status-badge--${i().status}`} data-testid="status">
            {STATUS_LABEL[i().status]}
          </span>
        </div>
      </header>

      <dl class="integration-card__facts">
        <Show when={i().account}>
          {(account) => (
            <>
              <dt>Account</dt>
              <dd>{account().label}</dd>
            </>
          )}
        </Show>
        <Show when={i().connectedAt && i().status !== "disconnected"}>
          <dt>Connected</dt>
          <dd>
            <time datetime={i().connectedAt!}>{formatTime(i().connectedAt!)}</time>
          </dd>
        </Show>
        <Show when={i().scopes.length > 0 && i().status !== "disconnected"}>
          <dt>Scopes</dt>
          <dd>
            <ul class="scope-list">
              <For each={i().scopes}>{(s) => <li>{shortScope(s)}</li>}</For>
            </ul>
          </dd>
        </Show>
        <Show when={i().tools.length > 0}>
          <dt>Tools</dt>
          <dd>{i().tools.join(", ")}</dd>
        </Show>
      </dl>

      <Show when={i().status !== "active" ? i().lastError : null}>
        {(err) => (
          <p class="error-note" role="note">
            {describeError(err().code, i().provider, err().message)}
          </p>
        )}
      </Show>
      <Show when={actionError()}>
        {(error) => (
          <p class="error-note" role="alert">
            {errorMessage(error())}
          </p>
        )}
      </Show>

      <div class="integration-card__actions">
        <Show when={i().status === "disconnected" || needsReconnect()}>
          <button
            class="button button--primary"
            type="button"
            disabled={busy() !== undefined}
            onClick={() => {
              disconnect.reset();
              connect.mutate();
            }}
            aria-label={`${needsReconnect() ? "Reconnect" : "Connect"} ${i().name}`}
          >
            <Show when={busy() === "connecting"}>
              <Spinner />
            </Show>
            {needsReconnect() ? "Reconnect" : "Connect"}
          </button>
        </Show>
        <Show when={i().status !== "disconnected"}>
          <ConfirmDisconnect
            name={i().name}
            provider={provider}
            busy={busy()}
            onConfirm={() => {
              connect.reset();
              disconnect.mutate();
            }}
          />
        </Show>
      </div>

      <EventHistory provider={provider} />
    </article>
  );
}
