import { env, SELF } from "cloudflare:test";
import { inject } from "vitest";
import { getConfig } from "../../worker/config";
import { database } from "../../worker/db/client";
import { ensureIntegrationRow, findIntegration, updateIntegration } from "../../worker/db/integrations";
import { encryptToken } from "../../worker/integrations/crypto";
import type { ProviderId } from "../../worker/integrations/providers";
import { ORIGIN, register } from "./auth-helpers";

export const oauthServer = (): string => inject("oauthServerUrl");

/** Makes the local OAuth server answer the next token/revoke requests that carry `key` (a code, refresh token or `revoke:{token}`). */
export async function scriptOAuth(key: string, script: { status?: number; body?: unknown; contentType?: string; delayMs?: number; hold?: boolean }): Promise<void> {
  const res = await fetch(`${oauthServer()}/__script`, { method: "POST", body: JSON.stringify({ key, ...script }) });
  if (res.status !== 204) throw new Error(`scripting the OAuth server failed: ${res.status}`);
}

/** How many token/revoke requests carrying `key` reached the OAuth server. */
export async function upstreamCount(key: string): Promise<number> {
  const res = await fetch(`${oauthServer()}/__count?key=${encodeURIComponent(key)}`);
  return ((await res.json()) as { count: number }).count;
}

export async function newUser(): Promise<{ userId: string; token: string }> {
  const session = await register();
  return { userId: session.user.id, token: session.accessToken };
}

export function api(token: string, method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  return SELF.fetch(`${ORIGIN}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/**
 * The cookies one browser holds for the integration routes, kept as a user
 * agent would: what a response sets is sent on the next request, Max-Age=0
 * removes it. Each OAuth round trip is bound to the jar that started it.
 */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  header(): string | undefined {
    return this.cookies.size === 0 ? undefined : [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  set(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  store(res: Response): void {
    for (const line of res.headers.getAll("set-cookie")) {
      const [pair = "", ...attributes] = line.split(";").map((s) => s.trim());
      const i = pair.indexOf("=");
      const name = pair.slice(0, i);
      if (attributes.some((a) => /^max-age=0$/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(i + 1));
    }
  }
}

/** The browser of the tests that do not care which browser they use. */
export const defaultBrowser = new CookieJar();

export async function startAuth(token: string, provider: string, body: unknown = {}, browser: CookieJar = defaultBrowser): Promise<URL> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const cookie = browser.header();
  if (cookie) headers.cookie = cookie;
  const res = await SELF.fetch(`${ORIGIN}/api/integrations/${provider}/auth`, { method: "POST", headers, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`auth start failed: ${res.status} ${await res.text()}`);
  browser.store(res);
  return new URL(((await res.json()) as { authorizationUrl: string }).authorizationUrl);
}

/** The provider's side of consent: the OAuth server redirects back to our callback with a code and the state. */
export async function authorizeAtProvider(authorizationUrl: URL): Promise<{ code: string; state: string }> {
  const res = await fetch(authorizationUrl, { redirect: "manual" });
  const location = res.headers.get("location");
  if (!location) throw new Error(`authorize did not redirect: ${res.status} ${await res.text()}`);
  const back = new URL(location);
  return { code: back.searchParams.get("code") ?? "", state: back.searchParams.get("state") ?? "" };
}

/** The provider's redirect followed by `browser`, which sends its cookies and keeps what the callback sets or clears. */
export async function callback(provider: string, params: Record<string, string>, browser: CookieJar = defaultBrowser): Promise<URL> {
  const cookie = browser.header();
  const res = await SELF.fetch(`${ORIGIN}/api/integrations/${provider}/callback?${new URLSearchParams(params)}`, {
    redirect: "manual",
    headers: cookie ? { cookie } : {},
  });
  if (res.status !== 302) throw new Error(`callback did not redirect: ${res.status} ${await res.text()}`);
  browser.store(res);
  return new URL(res.headers.get("location")!);
}

/** The whole round trip in one browser; `beforeCallback` may script the token endpoint for this code. */
export async function connect(token: string, provider: string, beforeCallback?: (code: string) => Promise<void>, browser: CookieJar = defaultBrowser): Promise<URL> {
  const { code, state } = await authorizeAtProvider(await startAuth(token, provider, {}, browser));
  await beforeCallback?.(code);
  return callback(provider, { code, state }, browser);
}

/** Stores an integration as if it had been connected, with tokens the test chooses. */
export async function seedIntegration(
  userId: string,
  provider: ProviderId,
  tokens: { accessToken: string; refreshToken?: string; expiresAt: Date | null; status?: string },
): Promise<string> {
  const keys = getConfig(env).encryptionKeys!;
  const db = database(env);
  const id = await ensureIntegrationRow(db, userId, provider);
  await updateIntegration(db, id, {
    status: tokens.status ?? "active",
    accountId: "seeded",
    accountLabel: "seeded@example.test",
    scopes: JSON.stringify(["openid"]),
    accessTokenEnc: await encryptToken(keys, id, "access_token_enc", tokens.accessToken),
    refreshTokenEnc: tokens.refreshToken ? await encryptToken(keys, id, "refresh_token_enc", tokens.refreshToken) : null,
    expiresAt: tokens.expiresAt,
    connectedAt: new Date(),
  });
  return id;
}

export async function storedRow(userId: string, provider: ProviderId) {
  return findIntegration(database(env), userId, provider);
}

export async function eventTypes(token: string, provider: string): Promise<string[]> {
  const res = await api(token, "GET", `/api/integrations/${provider}/events`);
  return ((await res.json()) as { events: Array<{ type: string }> }).events.map((e) => e.type);
}

/** The properties of what `p` rejects with (an AppError, a ProviderError); fails the test if it resolves. */
export async function rejection<K extends string>(p: Promise<unknown>, keys: readonly K[]): Promise<Record<K, unknown>> {
  try {
    await p;
  } catch (e) {
    const err = e as Record<string, unknown>;
    return Object.fromEntries(keys.map((k) => [k, err[k]])) as Record<K, unknown>;
  }
  throw new Error("expected a failure");
}
