import { useNavigate } from "@solidjs/router";
import { SecurityActivity } from "./settings/SecurityActivity";
import { createQuery } from "@tanstack/solid-query";
import { createSignal, Show } from "solid-js";
import { PageHeader } from "../components/EmptyState";
import { Icon } from "../components/Icon";
import { Spinner } from "../components/Spinner";
import { api, errorMessage } from "../lib/api";
import { saveTextFile } from "../lib/download";
import { ACCOUNT_DELETED_NOTICE, createAccountStore } from "../stores/account";
import { useAuth } from "../stores/auth-context";
import { meQuery } from "../stores/webhooks";
import { DeleteAccountDialog } from "./settings/DeleteAccountDialog";
import { WebhookDeliveries } from "./settings/WebhookDeliveries";
import "./settings/settings.css";

export function SettingsPage() {
  const auth = useAuth();
  const account = createAccountStore();
  const navigate = useNavigate();
  const [exporting, setExporting] = createSignal(false);
  const [exportError, setExportError] = createSignal<string>();
  // The role as the server has it now (an admin grant takes effect without signing in again).
  const me = createQuery(() => meQuery(api));

  const download = async () => {
    setExporting(true);
    setExportError(undefined);
    try {
      const file = await account.exportFile();
      saveTextFile(file.filename, file.text);
    } catch (e) {
      setExportError(errorMessage(e));
    } finally {
      setExporting(false);
    }
  };

  const confirmDelete = async (password: string) => {
    await account.deleteAccount(password);
    navigate(`/login?notice=${ACCOUNT_DELETED_NOTICE}`, { replace: true });
  };

  return (
    <>
      <PageHeader title="Settings" subtitle="Your account and the data TaskPilot keeps for it." />
      <section class="settings-section" aria-labelledby="settings-account">
        <h2 id="settings-account">Account</h2>
        <dl class="settings-facts">
          <dt>Name</dt>
          <dd>{auth.user()?.name || "—"}</dd>
          <dt>Email</dt>
          <dd>{auth.user()?.email}</dd>
        </dl>
      </section>
      <section class="settings-section" aria-labelledby="settings-data">
        <h2 id="settings-data">Your data</h2>
        <p class="muted">
          One JSON file with your profile, sign-ins, integrations and their history, conversations, knowledge-base documents, templates,
          projects and specs, your security log and your event history. Tokens and your password are never part of it.
        </p>
        <Show when={exportError()}>
          <div class="alert" role="alert">
            <Icon name="alert" />
            <span>{exportError()}</span>
          </div>
        </Show>
        <button class="button" type="button" onClick={() => void download()} disabled={exporting()}>
          {exporting() ? <Spinner /> : null}
          {exporting() ? "Preparing…" : "Download my data"}
        </button>
      </section>
      <SecurityActivity />
      <Show when={me.data?.role === "admin"}>
        <WebhookDeliveries />
      </Show>
      <section class="settings-section settings-section--danger" aria-labelledby="settings-delete">
        <h2 id="settings-delete">Delete account</h2>
        <p class="muted">Deletes the account and everything in it, and revokes TaskPilot's access at every connected provider.</p>
        <DeleteAccountDialog onConfirm={confirmDelete} />
      </section>
    </>
  );
}
