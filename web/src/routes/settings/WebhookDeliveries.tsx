import { createMutation, createQuery, useQueryClient } from "@tanstack/solid-query";
import { For, Show } from "solid-js";
import type { WebhookDelivery } from "../../../../worker/contract/webhooks";
import { showNotice } from "../../components/Notice";
import { QueryView } from "../../components/QueryView";
import { api, errorMessage } from "../../lib/api";
import { deliveriesQuery, replayMutation } from "../../stores/webhooks";

const formatTime = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });

/** Admin only: what GitHub and Slack sent, what became of it, and a Replay for each. */
export function WebhookDeliveries() {
  const queryClient = useQueryClient();
  const deliveries = createQuery(() => deliveriesQuery(api));
  const replay = createMutation(() => replayMutation(api, queryClient));

  const onReplay = async (d: WebhookDelivery) => {
    try {
      await replay.mutateAsync(d.id);
      showNotice({ kind: "success", text: `${d.provider} ${d.eventType} is queued again.`, testId: "replay-toast" });
    } catch (e) {
      showNotice({ kind: "error", text: `The delivery could not be replayed: ${errorMessage(e)}` });
    }
  };

  return (
    <section class="settings-section settings-section--wide" aria-labelledby="settings-webhooks">
      <h2 id="settings-webhooks">Webhook deliveries</h2>
      <p class="muted">What GitHub and Slack sent, newest first. Visible to admins only.</p>
      <QueryView
        query={deliveries}
        errorLead="The deliveries could not be loaded: "
        loading="Loading deliveries…"
      >
        {(list) => (
          <Show when={list().length > 0} fallback={<p class="muted">No deliveries yet. Point a GitHub or Slack webhook at /webhooks/github or /webhooks/slack.</p>}>
            <div class="table-scroll">
              <table class="deliveries" data-testid="deliveries">
                <thead>
                  <tr>
                    <th scope="col">Received</th>
                    <th scope="col">Provider</th>
                    <th scope="col">Event</th>
                    <th scope="col">Status</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Result</th>
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  <For each={list()}>
                    {(d) => (
                      <tr data-delivery-id={d.deliveryId} data-status={d.status}>
                        <td>{formatTime(d.receivedAt)}</td>
                        <td>{d.provider === "github" ? "GitHub" : "Slack"}</td>
                        <td>
                          <code>{d.action ? `${d.eventType}.${d.action}` : d.eventType}</code>
                        </td>
                        <td>
                          <span class={`delivery-status delivery-status--${d.status}`}>{d.status}</span>
                          <Show when={d.duplicates > 0}>
                            <span class="muted"> · sent {d.duplicates + 1}×</span>
                          </Show>
                          <Show when={d.replays > 0}>
                            <span class="muted" data-testid="replays"> · replayed {d.replays}×</span>
                          </Show>
                        </td>
                        <td>{d.attempts}</td>
                        <td class="deliveries__result">{d.status === "failed" ? d.lastError : (d.outcome ?? d.lastError ?? "—")}</td>
                        <td>
                          <button
                            class="button button--small"
                            type="button"
                            aria-label={`Replay ${d.provider} ${d.eventType} ${d.deliveryId}`}
                            disabled={replay.isPending && replay.variables === d.id}
                            onClick={() => void onReplay(d)}
                          >
                            Replay
                          </button>
                        </td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
          </Show>
        )}
      </QueryView>
    </section>
  );
}
