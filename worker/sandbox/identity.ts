import type { SandboxAccount } from "../db/sandbox";
import { stableNumber } from "./crypto";

/** How one sandbox person appears at each provider; derived, so every API agrees without storing it. */

export const SLACK_TEAM = { id: "T0SANDBOX", name: "Sandbox Workspace", domain: "sandbox-workspace" };

export function slackUserId(account: Pick<SandboxAccount, "id">): string {
  return `U${account.id.slice(4, 14).toUpperCase()}`;
}

export function slackHandle(account: Pick<SandboxAccount, "email">): string {
  return account.email.split("@")[0]!.toLowerCase().replace(/[^a-z0-9._-]/g, "");
}

/** The organisation whose repository (`sandbox-org/handbook`) every sandbox account can read but not push to. */
export const SANDBOX_ORG = { login: "sandbox-org", id: 90_000_001, type: "Organization" } as const;

/** GitHub logins allow letters, digits and single hyphens, at most 39 characters. */
export function githubLogin(account: Pick<SandboxAccount, "email">): string {
  const local = account.email.split("@")[0]!.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return (local || "sandbox-user").slice(0, 39);
}

export async function githubUserId(account: Pick<SandboxAccount, "id">): Promise<number> {
  return (await stableNumber(`github:${account.id}`)) % 100_000_000;
}

export async function googleSubject(account: Pick<SandboxAccount, "id">): Promise<string> {
  return `1${String(await stableNumber(`google:${account.id}`)).padStart(20, "0")}`;
}
