/**
 * What the sandbox providers are: their groups (one OAuth server each, as
 * Google serves both Gmail and Calendar), the client they accept, where
 * their endpoints live, and the scopes their consent page can explain.
 */

export const SANDBOX_GROUPS = ["google", "slack", "github"] as const;
export type SandboxGroup = (typeof SANDBOX_GROUPS)[number];

/** The one client registered at every sandbox authorization server (what the worker's config uses in sandbox mode). */
export const SANDBOX_CLIENT_ID = "sandbox-client";
export const SANDBOX_CLIENT_SECRET = "sandbox-secret";
export const SANDBOX_CLIENT_NAME = "TaskPilot";

/** The account the consent page offers when the browser has not used another one. */
export const DEFAULT_SANDBOX_EMAIL = "sandbox.user@example.com";

export interface SandboxEndpoints {
  authorizeUrl: string;
  tokenUrl: string;
  revokeUrl: string;
  /** Base of the fake REST API (Gmail and Calendar paths, Slack methods, GitHub REST) under this group. */
  apiUrl: string;
}

/** Paths relative to the worker's origin. */
export const SANDBOX_PATHS: Record<SandboxGroup, SandboxEndpoints> = {
  google: {
    authorizeUrl: "/sandbox/google/oauth/authorize",
    tokenUrl: "/sandbox/google/oauth/token",
    revokeUrl: "/sandbox/google/oauth/revoke",
    apiUrl: "/sandbox/google",
  },
  slack: {
    authorizeUrl: "/sandbox/slack/oauth/authorize",
    tokenUrl: "/sandbox/slack/oauth/token",
    revokeUrl: "/sandbox/slack/oauth/revoke",
    apiUrl: "/sandbox/slack/api",
  },
  github: {
    authorizeUrl: "/sandbox/github/oauth/authorize",
    tokenUrl: "/sandbox/github/oauth/token",
    revokeUrl: "/sandbox/github/oauth/revoke",
    apiUrl: "/sandbox/github/api",
  },
};

/** Absolute sandbox endpoints for an app served at `publicUrl`. */
export function sandboxUrls(publicUrl: string): Record<SandboxGroup, SandboxEndpoints> {
  const origin = publicUrl.replace(/\/$/, "");
  return Object.fromEntries(
    SANDBOX_GROUPS.map((g) => {
      const p = SANDBOX_PATHS[g];
      return [
        g,
        { authorizeUrl: origin + p.authorizeUrl, tokenUrl: origin + p.tokenUrl, revokeUrl: origin + p.revokeUrl, apiUrl: origin + p.apiUrl },
      ];
    }),
  ) as Record<SandboxGroup, SandboxEndpoints>;
}

interface ScopeInfo {
  /** Which sandbox product the scope belongs to (names the consent page's heading). */
  product: string;
  description: string;
  /** Whether it only reads (the heading says "read" unless some scope writes). */
  readOnly: boolean;
}

const GMAIL = "Sandbox Gmail";
const CALENDAR = "Sandbox Google Calendar";
const GOOGLE = "Sandbox Google Account";

export const SANDBOX_SCOPES: Record<SandboxGroup, Record<string, ScopeInfo>> = {
  google: {
    openid: { product: GOOGLE, description: "Associate you with your personal info on Sandbox Google", readOnly: true },
    email: { product: GOOGLE, description: "See your primary email address", readOnly: true },
    profile: { product: GOOGLE, description: "See your name and profile picture", readOnly: true },
    "https://www.googleapis.com/auth/gmail.readonly": { product: GMAIL, description: "Read your email messages and settings", readOnly: true },
    "https://www.googleapis.com/auth/gmail.send": { product: GMAIL, description: "Send email on your behalf", readOnly: false },
    "https://www.googleapis.com/auth/gmail.modify": { product: GMAIL, description: "Read, compose and send your email", readOnly: false },
    "https://www.googleapis.com/auth/calendar.readonly": { product: CALENDAR, description: "See your calendar events", readOnly: true },
    "https://www.googleapis.com/auth/calendar.events": { product: CALENDAR, description: "View and edit events on all your calendars", readOnly: false },
  },
  slack: {
    "channels:read": { product: "Sandbox Slack", description: "View basic information about public channels", readOnly: true },
    "channels:history": { product: "Sandbox Slack", description: "View messages in public channels", readOnly: true },
    "chat:write": { product: "Sandbox Slack", description: "Send messages as you", readOnly: false },
    "users:read": { product: "Sandbox Slack", description: "View people in the workspace", readOnly: true },
  },
  github: {
    repo: { product: "Sandbox GitHub", description: "Full control of your repositories, issues and pull requests", readOnly: false },
    public_repo: { product: "Sandbox GitHub", description: "Access your public repositories", readOnly: false },
    "read:user": { product: "Sandbox GitHub", description: "Read your profile data", readOnly: true },
    "user:email": { product: "Sandbox GitHub", description: "Read your email addresses", readOnly: true },
  },
};

/** "TaskPilot wants to read your Sandbox Gmail": the product is the first non-identity one asked for. */
export function consentHeading(group: SandboxGroup, scopes: string[]): string {
  const infos = scopes.map((s) => SANDBOX_SCOPES[group][s]).filter((x): x is ScopeInfo => x !== undefined);
  const product = infos.find((i) => i.product !== GOOGLE)?.product ?? infos[0]?.product ?? "Sandbox account";
  const verb = infos.every((i) => i.readOnly) || product === GMAIL ? "read" : "access";
  return `${SANDBOX_CLIENT_NAME} wants to ${verb} your ${product}`;
}

/** Scopes split on spaces (GitHub also accepts commas), de-duplicated, in order. */
export function parseScopes(raw: string | undefined): string[] {
  return [...new Set((raw ?? "").split(/[\s,]+/).filter(Boolean))];
}
