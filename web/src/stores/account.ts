import type { AccountExport } from "../../../worker/contract/auth";
import { api as defaultClient, type ApiClient } from "../lib/api";

/** `?notice=` value that makes the sign-in page confirm the deletion. */
export const ACCOUNT_DELETED_NOTICE = "account-deleted";

export interface ExportFile {
  filename: string;
  text: string;
}

/** The account's own data: export it, or delete the account for good. */
export function createAccountStore(client: ApiClient = defaultClient) {
  return {
    async exportFile(): Promise<ExportFile> {
      const data = await client.get<AccountExport>("/api/me/export");
      return { filename: `taskpilot-export-${data.exportedAt.slice(0, 10)}.json`, text: JSON.stringify(data, null, 2) };
    },

    /** Throws the API's error (wrong password, rate limit) and leaves the session as it was. */
    async deleteAccount(password: string): Promise<void> {
      await client.delete<void>("/api/me", { body: { password } });
      // The server already ended every login; this drops the one held in memory, which signs the page out.
      await client.logout().catch(() => undefined);
    },
  };
}

export type AccountStore = ReturnType<typeof createAccountStore>;
