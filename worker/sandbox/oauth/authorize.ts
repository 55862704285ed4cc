import { Hono, type Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { database } from "../../db/client";
import { decideAuthorization, getPendingAuthorization, insertAuthorization, upsertSandboxAccount } from "../../db/sandbox";
import type { AppBindings } from "../../http/types";
import { consentHeading, DEFAULT_SANDBOX_EMAIL, parseScopes, SANDBOX_CLIENT_ID, SANDBOX_SCOPES, type SandboxGroup } from "../catalog";
import { sandboxNow } from "../clock";
import { randomId, randomToken, sha256Hex } from "../crypto";
import { seedAccount } from "../seed";
import { checkChallenge, checkRedirectUri } from "./rules";
import { consentPage, errorPage } from "./consent-page";

const CONSENT_TTL_MS = 10 * 60_000;
/** RFC 6749 §4.1.2 recommends at most 10 minutes; 60 s keeps a leaked code nearly worthless. */
export const CODE_TTL_MS = 60_000;
const ACCOUNT_COOKIE = "sandbox_account";

const email = z.string().trim().toLowerCase().max(254).pipe(z.email());

/** The browser's sandbox sign-in, like the provider's own session cookie: a `login_hint`, the last account used, or the default. */
function accountEmail(c: Context, hint: string | undefined): string {
  for (const candidate of [hint, getCookie(c, ACCOUNT_COOKIE)]) {
    const parsed = email.safeParse(candidate ?? "");
    if (parsed.success) return parsed.data;
  }
  return DEFAULT_SANDBOX_EMAIL;
}

function redirectWith(c: Context, target: string, params: Record<string, string | undefined | null>): Response {
  const url = new URL(target);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) url.searchParams.set(k, v);
  c.header("cache-control", "no-store");
  return c.redirect(url.toString(), 302);
}

function html(c: Context, status: 200 | 400, body: string, formTarget?: string): Response {
  const formAction = ["'self'", formTarget].filter(Boolean).join(" ");
  c.header("content-security-policy", `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`);
  c.header("cache-control", "no-store");
  return c.html(body, status);
}

/** `GET|POST /sandbox/{group}/oauth/authorize`: the consent page and its decision. */
export function authorizeRoutes(group: SandboxGroup) {
  return new Hono<AppBindings>()
    .get("/", async (c) => {
      const q = c.req.query();
      const title = "Sign-in request rejected";
      if (q.client_id !== SANDBOX_CLIENT_ID) {
        return html(c, 400, errorPage(group, title, `Unknown client "${q.client_id ?? ""}". Sandbox providers only know TaskPilot (client id ${SANDBOX_CLIENT_ID}).`));
      }
      const origins = [c.get("config").publicUrl, new URL(c.req.url).origin];
      const redirect = checkRedirectUri(q.redirect_uri, origins);
      if (!redirect.ok) return html(c, 400, errorPage(group, title, redirect.description));
      const back = (error: string, description: string) =>
        redirectWith(c, redirect.value.toString(), { error, error_description: description, state: q.state });

      if (q.response_type !== "code") return back("unsupported_response_type", "Only response_type=code is supported.");
      const challenge = checkChallenge(q.code_challenge, q.code_challenge_method);
      if (!challenge.ok) return back(challenge.error, challenge.description);
      const scopes = parseScopes(q.scope);
      const unknown = scopes.filter((s) => !(s in SANDBOX_SCOPES[group]));
      if (unknown.length > 0) return back("invalid_scope", `Unknown scope: ${unknown.join(", ")}.`);

      const now = sandboxNow(c);
      const requestId = randomId();
      await insertAuthorization(database(c.env), {
        id: requestId,
        providerGroup: group,
        clientId: q.client_id,
        redirectUri: q.redirect_uri!,
        state: q.state ?? null,
        codeChallenge: challenge.value,
        scope: scopes.join(" "),
        status: "pending",
        accountId: null,
        codeHash: null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + CONSENT_TTL_MS),
      });
      const view = {
        group,
        heading: consentHeading(group, scopes),
        requestId,
        email: accountEmail(c, q.login_hint),
        scopes,
        redirectOrigin: redirect.value.origin,
      };
      return html(c, 200, consentPage(view), redirect.value.origin);
    })
    .post("/", async (c) => {
      const form = await c.req.parseBody();
      const field = (name: string) => (typeof form[name] === "string" ? (form[name] as string) : undefined);
      const db = database(c.env);
      const now = sandboxNow(c);
      // The decision names a pending request by its unguessable id, so another site cannot forge consent for arbitrary parameters.
      const authz = await getPendingAuthorization(db, field("request") ?? "", group, now);
      if (!authz) {
        return html(c, 400, errorPage(group, "This request is no longer valid", "It expired or was already answered. Go back to TaskPilot and connect again."));
      }
      const decision = field("decision");
      if (decision === "deny") {
        await decideAuthorization(db, authz.id, { status: "denied" });
        return redirectWith(c, authz.redirectUri, { error: "access_denied", error_description: "The user denied access.", state: authz.state });
      }
      const parsedEmail = email.safeParse(field("email") ?? "");
      if (decision !== "allow" || !parsedEmail.success) {
        const view = {
          group,
          heading: consentHeading(group, parseScopes(authz.scope)),
          requestId: authz.id,
          email: field("email") ?? "",
          scopes: parseScopes(authz.scope),
          redirectOrigin: new URL(authz.redirectUri).origin,
          error: decision !== "allow" ? "Choose Allow or Deny." : "Enter a valid email address for the sandbox account.",
        };
        return html(c, 400, consentPage(view), view.redirectOrigin);
      }
      const { account, created } = await upsertSandboxAccount(db, parsedEmail.data, parsedEmail.data.split("@")[0]!, now);
      if (created) await seedAccount(db, account, now);
      const code = randomToken("sbx-code-");
      const decided = await decideAuthorization(db, authz.id, {
        status: "approved",
        accountId: account.id,
        codeHash: await sha256Hex(code),
        expiresAt: new Date(now.getTime() + CODE_TTL_MS),
      });
      if (!decided) return html(c, 400, errorPage(group, "This request is no longer valid", "It was already answered. Go back to TaskPilot and connect again."));
      setCookie(c, ACCOUNT_COOKIE, account.email, {
        path: "/sandbox",
        httpOnly: true,
        sameSite: "Lax",
        secure: new URL(c.req.url).protocol === "https:",
        maxAge: 30 * 24 * 3600,
      });
      return redirectWith(c, authz.redirectUri, { code, state: authz.state, ...(group === "google" ? { scope: authz.scope } : {}) });
    });
}
