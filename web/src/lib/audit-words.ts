import type { AuditEntry } from "../../../worker/contract/audit";

/** The security log in plain words (Settings → Security); no imports from the app, so unit tests read it alone. */

const PROVIDERS: Record<string, string> = { gmail: "Gmail", calendar: "Google Calendar", slack: "Slack", github: "GitHub" };

/** "Chrome on Linux" from a user agent; good enough to recognise one's own devices. */
export function describeDevice(ua: string | null): string | undefined {
  if (!ua) return undefined;
  const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /Chrome\/|Chromium\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : /curl\//.test(ua) ? "curl" : undefined;
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Windows/.test(ua) ? "Windows" : /Mac OS X|Macintosh/.test(ua) ? "macOS" : /Linux/.test(ua) ? "Linux" : undefined;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? "an unknown device";
}

/** One entry in plain words, as the Security section lists it. */
export function describeAudit(e: AuditEntry): string {
  const where = [e.ip ? `from ${e.ip}` : "", describeDevice(e.userAgent) ?? ""].filter(Boolean).join(", ");
  const at = where ? ` ${where}` : "";
  const provider = typeof e.detail.provider === "string" ? (PROVIDERS[e.detail.provider] ?? e.detail.provider) : "an integration";
  const client = typeof e.detail.clientName === "string" ? e.detail.clientName : "An app";
  switch (e.action) {
    case "auth.register":
      return `Account created${at}`;
    case "auth.login_succeeded":
      return `Signed in${at}`;
    case "auth.login_failed":
      return `A sign-in with a wrong password${at}`;
    case "auth.logout":
      return `Signed out${at}`;
    case "auth.refresh_reuse_detected":
      return `A used sign-in token came back${at}; that sign-in was ended to be safe`;
    case "auth.rate_limited":
      return `Too many attempts${at}; they were refused for a while`;
    case "auth.sessions_ended":
      return `Every sign-in, integration and app access was ended${at}`;
    case "account.exported":
      return `Your data was downloaded${at}`;
    case "account.deleted":
      return "The account was deleted";
    case "integration.connected":
      return `${provider} connected`;
    case "integration.disconnected":
      return `${provider} disconnected`;
    case "integration.revoked_by_provider":
      return `${provider} access was revoked on ${provider}'s side`;
    case "integration.refresh_failed":
      return `${provider} refused to renew access${e.code ? ` (${e.code})` : ""}`;
    case "mcp.client_registered":
      return `${client} registered as an app`;
    case "mcp.grant_approved":
      return `${client} was given access to your tools${at}`;
    case "mcp.grant_revoked":
      return `${client} lost access to your tools${at}`;
    case "admin.denied":
      return "An admin page was refused: the account is not an admin";
    case "admin.audit_read":
      return "An administrator read this security log";
    case "admin.integrations_read":
      return "An administrator looked at this account's integrations";
    case "admin.integration_refreshed":
      return `An administrator renewed ${provider} access`;
    case "admin.integration_revoked":
      return `An administrator disconnected ${provider}`;
    case "admin.account_exported":
      return "An administrator exported this account's data";
    case "admin.dead_letters_listed":
      return "Failed queue messages were listed";
    case "admin.dead_letters_requeued":
      return "Failed queue messages were sent again";
    case "admin.role_granted":
      return "The account was made an administrator";
    case "admin.role_revoked":
      return "The account is no longer an administrator";
    case "admin.deliveries_listed":
      return "Webhook deliveries were listed";
    case "keys.rotated":
      return "The token encryption key was rotated";
    case "webhook.replayed":
      return "A webhook delivery was replayed";
  }
}
