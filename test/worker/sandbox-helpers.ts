import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { expect } from "vitest";
import worker from "../../worker/dev/index";

export const ORIGIN = "https://app.test";
export const CLIENT = { id: "sandbox-client", secret: "sandbox-secret" };
export const GMAIL_SCOPES = "openid email https://www.googleapis.com/auth/gmail.readonly https://www.googleapis.com/auth/gmail.send";
export const SCOPES = {
  google: `${GMAIL_SCOPES} https://www.googleapis.com/auth/calendar.events`,
  slack: "channels:read chat:write",
  github: "repo read:user",
} as const;
export type Group = keyof typeof SCOPES;

export const callback = (provider = "gmail") => `${ORIGIN}/api/integrations/${provider}/callback`;

/** A sandbox account of its own per test, so seeded data and sent items never mix. */
export function uniqueSandboxEmail(tag: string) {
  return `${tag}-${crypto.randomUUID().slice(0, 8)}@sandbox.test`;
}

function b64url(bytes: Uint8Array) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function pkcePair() {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  return { verifier, challenge };
}

export interface AuthorizeParams {
  scope?: string;
  challenge?: string;
  method?: string;
  state?: string;
  redirectUri?: string;
  clientId?: string;
  loginHint?: string;
  responseType?: string;
}

export function authorizeUrl(group: Group, p: AuthorizeParams) {
  const url = new URL(`${ORIGIN}/sandbox/${group}/oauth/authorize`);
  const set = (k: string, v: string | undefined) => v !== undefined && url.searchParams.set(k, v);
  set("response_type", p.responseType ?? "code");
  set("client_id", p.clientId ?? CLIENT.id);
  set("redirect_uri", p.redirectUri ?? callback());
  set("state", p.state ?? "state-123");
  set("scope", p.scope ?? SCOPES[group]);
  set("code_challenge", p.challenge);
  set("code_challenge_method", p.method ?? "S256");
  set("login_hint", p.loginHint);
  return url.toString();
}

export function requestIdOf(html: string) {
  const id = html.match(/name="request" value="([0-9a-f]+)"/)?.[1];
  if (!id) throw new Error(`no consent request id in page: ${html.slice(0, 300)}`);
  return id;
}

export function decide(group: Group, requestId: string, decision: string, email?: string) {
  const body = new URLSearchParams({ request: requestId, decision, ...(email !== undefined ? { email } : {}) });
  return SELF.fetch(`${ORIGIN}/sandbox/${group}/oauth/authorize`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
    redirect: "manual",
  });
}

/** Consent page → Allow → the code from the redirect back to TaskPilot. */
export async function authorize(group: Group, p: AuthorizeParams & { email: string }) {
  const page = await SELF.fetch(authorizeUrl(group, { ...p, loginHint: p.email }), { redirect: "manual" });
  expect(page.status).toBe(200);
  const res = await decide(group, requestIdOf(await page.text()), "allow", p.email);
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get("location")!);
  const code = location.searchParams.get("code");
  if (!code) throw new Error(`no code in ${location}`);
  return { code, location };
}

export function tokenRequest(group: Group, params: Record<string, string>, basic: boolean | string = true) {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
  if (basic) headers.authorization = `Basic ${btoa(typeof basic === "string" ? basic : `${CLIENT.id}:${CLIENT.secret}`)}`;
  return SELF.fetch(`${ORIGIN}/sandbox/${group}/oauth/token`, { method: "POST", headers, body: new URLSearchParams(params) });
}

export interface TokenBody {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: string;
  scope: string;
  error?: string;
  error_description?: string;
}

/** A full authorization-code grant with PKCE: what TaskPilot's callback does. */
export async function connect(group: Group, email = uniqueSandboxEmail(group), scope: string = SCOPES[group]) {
  const { verifier, challenge } = await pkcePair();
  const { code } = await authorize(group, { challenge, email, scope });
  const res = await tokenRequest(group, { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: callback() });
  expect(res.status).toBe(200);
  return { ...((await res.json()) as TokenBody), email };
}

export function api(path: string, token: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (!headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
  return SELF.fetch(`${ORIGIN}${path}`, { ...init, headers });
}

export function apiJson(path: string, token: string, method: string, body: unknown) {
  return api(path, token, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** The real worker entry with a changed environment (a fresh config for that env object). */
export async function fetchWithEnv(url: string, overrides: Record<string, string>, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(url, init), { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}
