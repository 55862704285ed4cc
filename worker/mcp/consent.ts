import { AuthorizationError, authorizationErrorRedirect, type AuthRequest, type OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import { Hono } from "hono";
import type { McpGrant } from "../contract/mcp";
import { randomBase64Url } from "../crypto";
import { database } from "../db/client";
import { mcpUseOf } from "../db/mcp";
import type { Env } from "../env";
import { AppError } from "../errors";
import type { AppBindings } from "../http/types";

/**
 * `GET /authorize`: the library checks the request (client, exact
 * registered redirect URI, response type, resource); we also require PKCE
 * with S256 (OAuth 2.1 §4.1.1, no `plain`). A valid request is kept for ten
 * minutes under an unguessable handle and the browser goes to the app's
 * consent page (`/connect/mcp?request=…`), where the person signs in if
 * they must and approves or denies through `/api/mcp/consent/{handle}`.
 * Errors go back to the client only when its redirect URI was validated;
 * otherwise the consent page shows them.
 */

export const CONSENT_TTL_SECONDS = 600;
const KEY = (handle: string) => `taskpilot:mcp-consent:${handle}`;
const HANDLE = /^[A-Za-z0-9_-]{43}$/;
/** The library looks a client up in KV by its id, and KV refuses keys over 512 bytes: a longer id names no client. */
const MAX_CLIENT_ID_BYTES = 256;

export interface PendingConsent {
  request: AuthRequest;
  clientName: string;
  clientUri: string | null;
  expiresAt: number;
}

/** The provider's helpers, which it sets on `env` for the requests it hands to the app. */
const helpersOf = (env: Env) => (env as { OAUTH_PROVIDER?: OAuthHelpers }).OAUTH_PROVIDER;

export function oauthHelpers(env: Env): OAuthHelpers {
  const helpers = helpersOf(env);
  if (!helpers) throw new AppError(503, "mcp_unavailable", "The MCP authorization server is not available in this deployment.");
  return helpers;
}

const toConsentPage = (c: { redirect: (url: string, status: 302) => Response }, params: Record<string, string>) =>
  c.redirect(`/connect/mcp?${new URLSearchParams(params)}`, 302);

export const authorize = new Hono<AppBindings>().get("/", async (c) => {
  const helpers = oauthHelpers(c.env);
  if (new TextEncoder().encode(c.req.query("client_id") ?? "").length > MAX_CLIENT_ID_BYTES) {
    return toConsentPage(c, { error: "invalid_request", error_description: "Invalid client_id" });
  }
  let request: AuthRequest;
  try {
    request = await helpers.parseAuthRequest(c.req.raw);
  } catch (e) {
    if (e instanceof AuthorizationError) {
      if (e.redirectTo) return c.redirect(e.redirectTo, 302);
      return toConsentPage(c, { error: e.code, error_description: e.description });
    }
    throw e;
  }
  if (request.codeChallengeMethod !== "S256" || !request.codeChallenge) {
    return c.redirect(authorizationErrorRedirect(request, "invalid_request", "PKCE with code_challenge_method=S256 is required."), 302);
  }
  const client = await helpers.lookupClient(request.clientId);
  const handle = randomBase64Url(32);
  const pending: PendingConsent = {
    request,
    clientName: (client?.clientName ?? "").trim().slice(0, 100) || "An MCP client",
    clientUri: client?.clientUri ?? null,
    expiresAt: Date.now() + CONSENT_TTL_SECONDS * 1000,
  };
  await c.env.OAUTH_KV.put(KEY(handle), JSON.stringify(pending), { expirationTtl: CONSENT_TTL_SECONDS });
  return toConsentPage(c, { request: handle });
});

const expired = () => new AppError(404, "consent_not_found", "This request to connect an app has expired or was already answered; start again from the app.");

export async function readConsent(env: Env, handle: string): Promise<PendingConsent> {
  if (!HANDLE.test(handle)) throw expired();
  const pending = await env.OAUTH_KV.get<PendingConsent>(KEY(handle), "json");
  if (!pending || pending.expiresAt < Date.now()) throw expired();
  return pending;
}

/** The answer spends the handle first: a second answer, or a replay of the first, finds nothing. */
export async function takeConsent(env: Env, handle: string): Promise<PendingConsent> {
  const pending = await readConsent(env, handle);
  await env.OAUTH_KV.delete(KEY(handle));
  return pending;
}

/**
 * Every MCP grant of a user, every page of them, each with its last use (Settings → Integrations, the account
 * export); a deployment without the authorization server has none. Never a token: the library keeps only hashes.
 */
export async function listMcpGrants(env: Env, userId: string): Promise<McpGrant[]> {
  const helpers = helpersOf(env);
  if (!helpers) return [];
  const use = await mcpUseOf(database(env), userId);
  const grants: McpGrant[] = [];
  let cursor: string | undefined;
  do {
    const page = await helpers.listUserGrants(userId, cursor ? { cursor } : {});
    for (const g of page.items) {
      const used = use.get(g.clientId);
      grants.push({
        id: g.id,
        clientId: g.clientId,
        clientName: typeof g.metadata?.clientName === "string" ? g.metadata.clientName : g.clientId,
        scopes: g.scope,
        createdAt: new Date(g.createdAt * 1000).toISOString(),
        lastUsedAt: used?.lastUsedAt.toISOString() ?? null,
        calls: used?.calls ?? 0,
      });
    }
    cursor = page.cursor;
  } while (cursor);
  return grants;
}

/** Every MCP grant of a user (account deletion); a deployment without the authorization server has none. */
export async function revokeAllMcpGrants(env: Env, userId: string): Promise<number> {
  const helpers = helpersOf(env);
  if (!helpers) return 0;
  let revoked = 0;
  let cursor: string | undefined;
  do {
    const page = await helpers.listUserGrants(userId, cursor ? { cursor } : {});
    for (const g of page.items) (await helpers.revokeGrant(g.id, userId), revoked++);
    cursor = page.cursor;
  } while (cursor);
  return revoked;
}
