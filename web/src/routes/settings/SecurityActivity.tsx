import { useNavigate } from "@solidjs/router";
import { createMutation, createQuery } from "@tanstack/solid-query";
import { For, Show } from "solid-js";
import { ConfirmButton } from "../../components/ConfirmButton";
import { showNotice } from "../../components/Notice";
import { QueryView } from "../../components/QueryView";
import { api, errorMessage } from "../../lib/api";
import { describeAudit } from "../../lib/audit-words";
import { myAuditQuery } from "../../stores/audit";

/** Settings → Security: recent activity on the account in plain words, and "This wasn't me". */
export function SecurityActivity() {
  const navigate = useNavigate();
  const log = createQuery(() => myAuditQuery(api));
  const endAll = createMutation(() => ({
    mutationFn: () => api.post<{ endedLogins: number; integrationsDisconnected: number; mcpGrantsRevoked: number }>("/api/me/end-everything"),
    onSuccess: async () => {
      // The server ended every login, this one included; dropping the one in memory signs the page out.
      await api.logout().catch(() => undefined);
      navigate("/login?notice=sessions-ended", { replace: true });
    },
    onError: (e: Error) => showNotice({ kind: "error", text: `Nothing was ended: ${errorMessage(e)}` }),
  }));
  return (
    <section class="settings-section" aria-labelledby="settings-security">
      <h2 id="settings-security">Security</h2>
      <p class="muted">Recent activity on your account: sign-ins, connections and the apps given access. Addresses of attempts that were not yours show only their network.</p>
      <QueryView query={log} loading="Loading recent activity…" errorLead="Recent activity could not be loaded: ">
        {(page) => (
          <Show when={page().entries.length} fallback={<p class="muted">Nothing yet.</p>}>
            <ol class="security-log" aria-label="Recent activity">
              <For each={page().entries}>
                {(e) => (
                  <li class={e.result === "failure" ? "security-log__entry security-log__entry--failure" : "security-log__entry"} data-action={e.action}>
                    <time datetime={e.at}>{new Date(e.at).toLocaleString()}</time>
                    <span>{describeAudit(e)}</span>
                  </li>
                )}
              </For>
            </ol>
          </Show>
        )}
      </QueryView>
      <ConfirmButton
        action="This wasn't me"
        label="This wasn't me: end every sign-in and access"
        title="End every sign-in and every access?"
        disabled={endAll.isPending}
        busy={endAll.isPending}
        class="button button--danger"
        onConfirm={() => endAll.mutate()}
      >
        <p>
          Every device is signed out (this one too), every integration is disconnected and every app given access loses it. Then sign in again, change your password if it may be known, and connect what you use again.
        </p>
      </ConfirmButton>
    </section>
  );
}
