import { Hono, type Context } from "hono";
import { database } from "../../db/client";
import { getToken, retireRefreshToken, revokeGrant, spendCode } from "../../db/sandbox";
import type { AppBindings } from "../../http/types";
import type { SandboxGroup } from "../catalog";
import { sandboxNow } from "../clock";
import { sha256Hex } from "../crypto";
import { authenticateClient, checkCodeExchange } from "./rules";
import { issueTokens } from "./tokens";

/**
 * Errors here are RFC 6749 §5.2 JSON (`{error, error_description}`), not
 * TaskPilot's problem+json: the sandbox plays the provider, and TaskPilot's
 * real OAuth client must meet the format it will meet in production.
 */
function oauthError(c: Context, error: string, description: string, status = 400): Response {
  const headers: Record<string, string> = { "cache-control": "no-store", pragma: "no-cache" };
  if (status === 401) headers["www-authenticate"] = 'Basic realm="sandbox"';
  return c.json({ error, error_description: description }, status as 400 | 401, headers);
}

/** Form-encoded like the real token endpoints; JSON too, as GitHub accepts it. */
async function readParams(c: Context): Promise<Record<string, string> | undefined> {
  const type = c.req.header("content-type") ?? "";
  try {
    const raw = /json/i.test(type) ? await c.req.json<Record<string, unknown>>() : /x-www-form-urlencoded|multipart/i.test(type) ? await c.req.parseBody() : undefined;
    if (!raw || typeof raw !== "object") return undefined;
    return Object.fromEntries(Object.entries(raw).filter((e): e is [string, string] => typeof e[1] === "string"));
  } catch {
    return undefined;
  }
}

/** `POST /sandbox/{group}/oauth/token` and `POST /sandbox/{group}/oauth/revoke`. */
export function tokenRoutes(group: SandboxGroup) {
  return new Hono<AppBindings>()
    .post("/token", async (c) => {
      const p = await readParams(c);
      if (!p) return oauthError(c, "invalid_request", "Send the parameters as application/x-www-form-urlencoded.");
      const client = authenticateClient(c.req.header("authorization"), p);
      if (!client.ok) return oauthError(c, client.error, client.description, client.status);
      const db = database(c.env);
      const now = sandboxNow(c);
      const ttl = c.get("config").sandboxAccessTokenTtlSeconds;

      if (p.grant_type === "authorization_code") {
        if (!p.code) return oauthError(c, "invalid_request", "code is required.");
        // Spent before it is checked: a failed guess at the verifier burns the code instead of leaving it open to more guesses.
        const { spent, seen } = await spendCode(db, await sha256Hex(p.code), group);
        if (!spent) {
          if (seen?.status === "used") {
            // RFC 6749 §4.1.2: a code presented twice may have been stolen, so the tokens it produced are revoked too.
            await revokeGrant(db, seen.id, now);
            return oauthError(c, "invalid_grant", "The authorization code was already used.");
          }
          return oauthError(c, "invalid_grant", "The authorization code is unknown or expired.");
        }
        const verdict = await checkCodeExchange(
          { clientId: spent.clientId, redirectUri: spent.redirectUri, codeChallenge: spent.codeChallenge, expiresAt: spent.expiresAt },
          { clientId: client.value.clientId, redirectUri: p.redirect_uri, codeVerifier: p.code_verifier },
          now,
        );
        if (!verdict.ok) return oauthError(c, verdict.error, verdict.description);
        const body = await issueTokens(
          db,
          { group, grantId: spent.id, clientId: spent.clientId, accountId: spent.accountId!, scope: spent.scope },
          ttl,
          now,
        );
        return c.json(body, 200, { "cache-control": "no-store", pragma: "no-cache" });
      }

      if (p.grant_type === "refresh_token") {
        if (!p.refresh_token) return oauthError(c, "invalid_request", "refresh_token is required.");
        const hash = await sha256Hex(p.refresh_token);
        const token = await getToken(db, hash);
        if (!token || token.kind !== "refresh" || token.providerGroup !== group || token.clientId !== client.value.clientId) {
          return oauthError(c, "invalid_grant", "The refresh token is unknown.");
        }
        // Rotation (OAuth 2.1 §4.3.1): the old refresh token stops working the moment it is exchanged, so only one concurrent caller wins.
        if (token.revokedAt || !(await retireRefreshToken(db, hash, now))) {
          return oauthError(c, "invalid_grant", "The refresh token was already used or revoked.");
        }
        const body = await issueTokens(
          db,
          { group, grantId: token.grantId, clientId: token.clientId, accountId: token.accountId, scope: token.scope },
          ttl,
          now,
        );
        return c.json(body, 200, { "cache-control": "no-store", pragma: "no-cache" });
      }

      return oauthError(c, "unsupported_grant_type", `grant_type must be authorization_code or refresh_token.`);
    })
    .post("/revoke", async (c) => {
      const p = (await readParams(c)) ?? {};
      const token = p.token ?? c.req.query("token");
      if (c.req.header("authorization") || p.client_id) {
        const client = authenticateClient(c.req.header("authorization"), p);
        if (!client.ok) return oauthError(c, client.error, client.description, client.status);
      }
      if (!token) return oauthError(c, "invalid_request", "token is required.");
      const row = await getToken(database(c.env), await sha256Hex(token));
      // Like Google: revoking either token of a grant ends the whole grant. Unknown tokens still answer 200 (RFC 7009 §2.2).
      if (row && row.providerGroup === group) await revokeGrant(database(c.env), row.grantId, sandboxNow(c));
      return c.body(null, 200);
    });
}
