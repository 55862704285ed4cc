import type { Config, ProviderEnv, ProviderGroup } from "../config";
import { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, sandboxUrls } from "../sandbox/catalog";

/**
 * The one provider file: for each integration, who runs its OAuth server,
 * where its endpoints are, which scopes we ask for, how to learn whose
 * account was connected, and which tools it gives the agent. Endpoints come
 * from the environment when overridden, from the sandbox when sandbox mode
 * is on and no real client id is configured, else from the real provider.
 */

export const PROVIDER_IDS = ["gmail", "calendar", "slack", "github"] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export function isProviderId(value: string): value is ProviderId {
  return (PROVIDER_IDS as readonly string[]).includes(value);
}

export interface AccountIdentity {
  id: string;
  label: string;
}

/**
 * How a token is revoked: an RFC 7009 form post (Google, Slack's auth.revoke
 * takes the same `token` form field, the sandbox and any override), or
 * GitHub's `DELETE /applications/{client_id}/token` on its REST API.
 */
export type RevokeStyle = "rfc7009" | "github_app_token";

interface Endpoints {
  authorizeUrl: string;
  tokenUrl: string;
  revokeUrl: string;
  apiUrl: string;
}

interface ProviderSpec {
  id: ProviderId;
  name: string;
  group: ProviderGroup;
  scopes: string[];
  /** Extra authorize parameters (Google only issues a refresh token with offline access and consent). */
  authorizeParams: Record<string, string>;
  real: Endpoints;
  /** Request that returns the connected account, relative to apiUrl. */
  identityPath: string;
  readIdentity(body: Record<string, unknown>): AccountIdentity | undefined;
  tools: string[];
}

const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : undefined);

const google = {
  group: "google" as const,
  authorizeParams: { access_type: "offline", prompt: "consent", include_granted_scopes: "true" },
  real: {
    authorizeUrl: "https://accounts.google.com/o/oauth2/v2/auth",
    tokenUrl: "https://oauth2.googleapis.com/token",
    revokeUrl: "https://oauth2.googleapis.com/revoke",
    apiUrl: "https://www.googleapis.com",
  },
  identityPath: "/oauth2/v3/userinfo",
  readIdentity(body: Record<string, unknown>) {
    const id = text(body.sub);
    return id ? { id, label: text(body.email) ?? text(body.name) ?? id } : undefined;
  },
};

const PROVIDERS: Record<ProviderId, ProviderSpec> = {
  gmail: {
    ...google,
    id: "gmail",
    name: "Gmail",
    scopes: ["openid", "email", "https://www.googleapis.com/auth/gmail.readonly", "https://www.googleapis.com/auth/gmail.send"],
    tools: ["gmail.search_messages", "gmail.get_message", "gmail.send_email"],
  },
  calendar: {
    ...google,
    id: "calendar",
    name: "Google Calendar",
    scopes: ["openid", "email", "https://www.googleapis.com/auth/calendar.events"],
    tools: ["calendar.list_events", "calendar.create_event"],
  },
  slack: {
    id: "slack",
    name: "Slack",
    group: "slack",
    scopes: ["channels:read", "channels:history", "chat:write"],
    authorizeParams: {},
    real: {
      authorizeUrl: "https://slack.com/oauth/v2/authorize",
      tokenUrl: "https://slack.com/api/oauth.v2.access",
      revokeUrl: "https://slack.com/api/auth.revoke",
      apiUrl: "https://slack.com/api",
    },
    identityPath: "/auth.test",
    readIdentity(body) {
      if (body.ok === false) return undefined;
      const team = text(body.team_id);
      const user = text(body.user_id);
      if (!team || !user) return undefined;
      return { id: `${team}:${user}`, label: `${text(body.user) ?? user} @ ${text(body.team) ?? team}` };
    },
    tools: ["slack.list_channels", "slack.read_channel", "slack.post_message"],
  },
  github: {
    id: "github",
    name: "GitHub",
    group: "github",
    scopes: ["repo", "read:user"],
    authorizeParams: {},
    real: {
      authorizeUrl: "https://github.com/login/oauth/authorize",
      tokenUrl: "https://github.com/login/oauth/access_token",
      revokeUrl: "https://api.github.com",
      apiUrl: "https://api.github.com",
    },
    identityPath: "/user",
    readIdentity(body) {
      const id = text(body.id);
      return id ? { id, label: text(body.login) ?? id } : undefined;
    },
    tools: ["github.list_repos", "github.list_issues", "github.create_issue"],
  },
};

/** A provider as the running app uses it: endpoints and credentials resolved from config. */
export interface ResolvedProvider extends Omit<ProviderSpec, "real">, Endpoints {
  revokeStyle: RevokeStyle;
  clientId: string | undefined;
  clientSecret: string | undefined;
  sandbox: boolean;
  /** Environment variables this provider still needs before it can connect. */
  missing: string[];
}

export function providerSpec(id: ProviderId): ProviderSpec {
  return PROVIDERS[id];
}

export function resolveProvider(cfg: Pick<Config, "providers" | "sandboxProviders" | "publicUrl">, id: ProviderId): ResolvedProvider {
  const { real, ...spec } = PROVIDERS[id];
  const env: ProviderEnv = cfg.providers[spec.group];
  const useSandbox = cfg.sandboxProviders && !env.clientId;
  const defaults: Endpoints = useSandbox ? sandboxUrls(cfg.publicUrl)[spec.group] : real;
  const clientId = env.clientId ?? (useSandbox ? SANDBOX_CLIENT_ID : undefined);
  const clientSecret = env.clientSecret ?? (useSandbox ? SANDBOX_CLIENT_SECRET : undefined);
  const prefix = spec.group.toUpperCase();
  const missing = [
    ...(clientId ? [] : [`${prefix}_CLIENT_ID`]),
    ...(clientSecret ? [] : [`${prefix}_CLIENT_SECRET`]),
  ];
  return {
    ...spec,
    authorizeUrl: env.authorizeUrl ?? defaults.authorizeUrl,
    tokenUrl: env.tokenUrl ?? defaults.tokenUrl,
    revokeUrl: env.revokeUrl ?? defaults.revokeUrl,
    apiUrl: env.apiUrl ?? defaults.apiUrl,
    clientId,
    clientSecret,
    revokeStyle: spec.id === "github" && !useSandbox && !env.revokeUrl ? "github_app_token" : "rfc7009",
    sandbox: useSandbox,
    missing,
  };
}

/** For `/api/health`: which providers can connect and which variables the others lack. */
export function providersHealth(cfg: Pick<Config, "providers" | "sandboxProviders" | "publicUrl">) {
  return Object.fromEntries(
    PROVIDER_IDS.map((id) => {
      const p = resolveProvider(cfg, id);
      return [id, p.missing.length === 0 ? { configured: true, sandbox: p.sandbox } : { configured: false, missing: p.missing }];
    }),
  ) as Record<ProviderId, { configured: boolean; sandbox?: boolean; missing?: string[] }>;
}

export function redirectUri(publicUrl: string, id: ProviderId): string {
  return `${publicUrl}/api/integrations/${id}/callback`;
}
