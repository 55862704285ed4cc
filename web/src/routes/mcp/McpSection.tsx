import { createMutation, createQuery, useQueryClient } from "@tanstack/solid-query";
import { createSignal, For, Show } from "solid-js";
import { ConfirmButton } from "../../components/ConfirmButton";
import { showNotice } from "../../components/Notice";
import { QueryView } from "../../components/QueryView";
import { api, errorMessage } from "../../lib/api";
import { useEvents } from "../../stores/events";
import { grantsQuery, mcpKeys } from "../../stores/mcp";
import "./mcp.css";

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "never");

/** Integrations → "Use with other apps": the MCP URL, how to add it to a client, and the clients given access. */
export function McpSection() {
  const events = useEvents();
  const queryClient = useQueryClient();
  const grants = createQuery(() => grantsQuery(api, events.snapshotReady));
  const [copied, setCopied] = createSignal(false);
  const revoke = createMutation(() => ({
    mutationFn: (id: string) => api.delete(`/api/mcp/grants/${encodeURIComponent(id)}`),
    onSuccess: () => showNotice({ kind: "success", text: "Access revoked; the app's tokens no longer work." }),
    onError: (e: Error) => showNotice({ kind: "error", text: `Not revoked: ${errorMessage(e)}` }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: mcpKeys.grants }),
  }));
  const copy = async (url: string) => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      showNotice({ kind: "error", text: "The browser did not allow copying; select the address and copy it." });
    }
  };
  return (
    <section class="panel mcp-section" aria-labelledby="mcp-title" data-testid="mcp-section">
      <h2 id="mcp-title">Use with other apps</h2>
      <p class="muted">
        Claude, Cursor and any other MCP client can use the tools of the integrations connected here, and your knowledge base. Add this address as a remote MCP server; the app asks you to approve it in TaskPilot.
      </p>
      <QueryView query={grants} loading="Loading connected apps…" errorLead="Connected apps could not be loaded: ">
        {(g) => (
          <>
            <p class="mcp-url">
              <code data-testid="mcp-url">{g().mcpUrl}</code>
              <button class="button button--small" type="button" onClick={() => void copy(g().mcpUrl)}>
                {copied() ? "Copied" : "Copy"}
              </button>
            </p>
            <details>
              <summary>How to add it</summary>
              <ul>
                <li>
                  <strong>Claude</strong> (desktop or web): Settings → Connectors → Add custom connector, paste the address.
                </li>
                <li>
                  <strong>Cursor</strong>: Settings → MCP → Add a server; in <code>mcp.json</code>: <code>{`{"mcpServers": {"taskpilot": {"url": "${g().mcpUrl}"}}}`}</code>
                </li>
                <li>
                  <strong>MCP Inspector</strong>: <code>npx @modelcontextprotocol/inspector</code>, transport "Streamable HTTP", the address, then Connect.
                </li>
              </ul>
            </details>
            <h3>Connected apps</h3>
            <Show when={g().grants.length} fallback={<p class="muted">No app has been given access yet.</p>}>
              <ul class="mcp-grants" aria-label="Connected apps">
                <For each={g().grants}>
                  {(grant) => (
                    <li data-testid="mcp-grant">
                      <strong>{grant.clientName}</strong>
                      <span class="muted">since {when(grant.createdAt)}</span>
                      <span class="muted">
                        last used {when(grant.lastUsedAt)}
                        {grant.calls ? ` · ${grant.calls} request${grant.calls === 1 ? "" : "s"}` : ""}
                      </span>
                      <ConfirmButton
                        action="Revoke"
                        label={`Revoke ${grant.clientName}`}
                        title={`Revoke ${grant.clientName}?`}
                        disabled={revoke.isPending}
                        busy={revoke.isPending && revoke.variables === grant.id}
                        onConfirm={() => revoke.mutate(grant.id)}
                      >
                        <p>{grant.clientName} can no longer use your tools; to use it again, add TaskPilot in the app once more.</p>
                      </ConfirmButton>
                    </li>
                  )}
                </For>
              </ul>
            </Show>
          </>
        )}
      </QueryView>
    </section>
  );
}
