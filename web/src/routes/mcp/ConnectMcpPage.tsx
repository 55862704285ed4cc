import { useSearchParams } from "@solidjs/router";
import { createMutation, createQuery } from "@tanstack/solid-query";
import { For, Show } from "solid-js";
import { EmptyState } from "../../components/EmptyState";
import { QueryView } from "../../components/QueryView";
import { Spinner } from "../../components/Spinner";
import { api, errorMessage } from "../../lib/api";
import { useAuth } from "../../stores/auth-context";
import { consentQuery, describeOAuthError } from "../../stores/mcp";
import { providerName } from "../integrations/messages";
import "./mcp.css";

/**
 * `/connect/mcp?request=…`: an MCP client (Claude, Cursor…) asks to use the
 * signed-in person's tools. It shows who asks, where the answer goes and
 * what it would reach, and sends Approve or Deny; the browser then goes
 * back to the client.
 */
export function ConnectMcpPage() {
  const [params] = useSearchParams<{ request?: string; error?: string; error_description?: string }>();
  const auth = useAuth();
  const handle = () => params.request ?? "";
  const consent = createQuery(() => ({ ...consentQuery(api, handle()), enabled: !!handle() }));
  const decide = createMutation(() => ({
    mutationFn: (decision: "approve" | "deny") => api.post<{ redirectTo: string }>(`/api/mcp/consent/${encodeURIComponent(handle())}`, { decision }),
    onSuccess: ({ redirectTo }: { redirectTo: string }) => window.location.assign(redirectTo),
  }));
  const connected = () => consent.data?.providers.filter((p) => p.status === "active") ?? [];
  return (
    <section class="mcp-consent" aria-labelledby="mcp-consent-title">
      <Show when={params.error}>
        <EmptyState icon="plug" title="This app could not connect">
          <p role="alert">{describeOAuthError(params.error!, params.error_description)}</p>
          <p>Start again from the app; if it keeps happening, the app's developer has something to fix.</p>
        </EmptyState>
      </Show>
      <Show when={!params.error && !handle()}>
        <EmptyState icon="plug" title="Nothing to approve">
          <p>This page opens when an app such as Claude or Cursor asks to use your TaskPilot tools.</p>
        </EmptyState>
      </Show>
      <Show when={handle() && !params.error}>
        <QueryView query={consent} loading="Loading the request…" errorLead="" retryLabel="Try again">
          {(c) => (
            <div class="panel mcp-consent__card">
              <h1 id="mcp-consent-title">
                {c().client.name} wants to use your TaskPilot tools
              </h1>
              <p class="muted">
                Signed in as <strong>{auth.user()?.email}</strong>. After you answer, you go back to <strong data-testid="redirect-host">{c().client.redirectHost}</strong>.
              </p>
              <Show when={c().client.uri}>
                {(uri) => (
                  <p class="muted">
                    The app's site: <a href={uri()} target="_blank" rel="noopener noreferrer">{uri()}</a>
                  </p>
                )}
              </Show>
              <h2>It will be able to</h2>
              <ul class="mcp-consent__list">
                <Show when={connected().length} fallback={<li>search your knowledge base (no integration is connected yet)</li>}>
                  <For each={connected()}>{(p) => <li>use your {providerName(p.provider)} tools: read, and act when you ask it to</li>}</For>
                  <li>search your knowledge base</li>
                </Show>
              </ul>
              <p class="muted">It gets the tools of whatever is connected at the time it asks, until you revoke it in Integrations → Use with other apps.</p>
              <Show when={decide.isError}>
                <p class="error-note" role="alert">
                  {errorMessage(decide.error)}
                </p>
              </Show>
              <div class="mcp-consent__actions">
                <button class="button" type="button" disabled={decide.isPending} onClick={() => decide.mutate("deny")}>
                  Deny
                </button>
                <button class="button button--primary" type="button" disabled={decide.isPending} onClick={() => decide.mutate("approve")}>
                  <Show when={decide.isPending}>
                    <Spinner />
                  </Show>
                  Approve
                </button>
              </div>
            </div>
          )}
        </QueryView>
      </Show>
    </section>
  );
}
