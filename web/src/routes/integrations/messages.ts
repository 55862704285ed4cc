import type { IntegrationStatus, ProviderName } from "../../../../worker/contract/integrations";

/** Words a person can act on, for the codes the integrations API and callback use. */

export const PROVIDER_NAMES: Record<ProviderName, string> = {
  gmail: "Gmail",
  calendar: "Google Calendar",
  slack: "Slack",
  github: "GitHub",
};

export function providerName(p: string): string {
  return PROVIDER_NAMES[p as ProviderName] ?? p;
}

/** Google scopes are URLs; people know them by their last part ("gmail.readonly"). */
export function shortScope(scope: string): string {
  return scope.replace("https://www.googleapis.com/auth/", "");
}

/** One line for the debug history: `key: value` pairs, scope lists as words rather than a JSON array of URLs. */
export function describeEventDetail(detail: Record<string, unknown>): string {
  const value = (v: unknown) =>
    typeof v === "string" ? v : Array.isArray(v) && v.every((x) => typeof x === "string") ? v.map(shortScope).join(", ") : JSON.stringify(v);
  return Object.entries(detail)
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => `${k}: ${value(v)}`)
    .join(" · ");
}

export const STATUS_LABEL: Record<IntegrationStatus, string> = {
  active: "Connected",
  disconnected: "Disconnected",
  error: "Error",
  expired: "Expired — reconnect",
};

const MESSAGES: Record<string, (name: string) => string> = {
  access_denied: (n) => `You chose Deny on the ${n} consent page, so nothing was connected. Click Connect to try again.`,
  invalid_state: () => "That sign-in link was already used or is unknown. Start again with Connect.",
  browser_mismatch: (n) =>
    `This ${n} sign-in was started in another browser, or the link came from someone else, so nothing was connected. Start again with Connect here.`,
  state_expired: () => "The sign-in took longer than 10 minutes and expired. Start again with Connect.",
  state_provider_mismatch: () => "The answer came back for a different provider. Start again with Connect.",
  missing_code: (n) => `${n} came back without completing the sign-in. Try Connect again.`,
  provider_error: (n) => `${n} reported an error during sign-in. Try Connect again.`,
  token_exchange_failed: (n) => `${n} refused to grant access. Try again; if it keeps failing, check the OAuth client id and secret.`,
  provider_unavailable: (n) => `${n} could not be reached. Wait a minute, then try again.`,
  identity_failed: (n) => `${n} did not say which account was connected. Try Connect again.`,
  callback_failed: () => "The connection could not be saved. Try again.",
  invalid_grant: (n) => `${n} no longer accepts the saved access (it was revoked or expired). Reconnect to continue.`,
  no_refresh_token: (n) => `${n} gave no way to renew access. Reconnect to continue.`,
  token_unreadable: () => "The saved access can no longer be read (the encryption key changed). Reconnect to continue.",
  config_missing: (n) => `${n} is not configured on this server yet. Ask an administrator to set its OAuth client.`,
};

export function describeError(code: string, provider: string, fallback?: string): string {
  const explain = MESSAGES[code];
  if (explain) return explain(providerName(provider));
  return fallback && fallback !== code ? `${fallback} (${code})` : `Something went wrong (${code}). Try again.`;
}
