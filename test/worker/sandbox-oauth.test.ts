import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  api,
  authorize,
  authorizeUrl,
  callback,
  connect,
  decide,
  fetchWithEnv,
  GMAIL_SCOPES,
  ORIGIN,
  pkcePair,
  requestIdOf,
  tokenRequest,
  uniqueSandboxEmail,
  type TokenBody,
} from "./sandbox-helpers";
import { sha256Hex } from "../../worker/sandbox/crypto";
import { purgeSandbox } from "../../worker/sandbox";
import { CLOCK_ADVANCE_HEADER, MAX_CLOCK_ADVANCE_SECONDS } from "../../worker/sandbox/clock";
import { CODE_TTL_MS } from "../../worker/sandbox/oauth/authorize";

/** The sandbox authorization server, clause by clause (RFC 6749, RFC 7636, RFC 7009). */

async function oauthErrorOf(res: Response) {
  expect(res.headers.get("content-type")).toContain("application/json");
  return (await res.json()) as { error: string; error_description: string };
}

describe("consent page (RFC 6749 §4.1.1)", () => {
  it("renders who asks for what, with Allow and Deny, under a policy that lets the form return to TaskPilot", async () => {
    const { challenge } = await pkcePair();
    const res = await SELF.fetch(authorizeUrl("google", { challenge, scope: GMAIL_SCOPES, loginHint: "ada@sandbox.test" }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).toContain("TaskPilot wants to read your Sandbox Gmail");
    expect(html).toContain("Read your email messages and settings");
    expect(html).toContain("https://www.googleapis.com/auth/gmail.send");
    expect(html).toMatch(/<button[^>]*name="decision" value="allow"[^>]*>Allow<\/button>/);
    expect(html).toMatch(/<button[^>]*name="decision" value="deny"[^>]*>Deny<\/button>/);
    expect(html).toContain('value="ada@sandbox.test"');
    expect(html).toContain('<html lang="en">');
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("style-src 'unsafe-inline'");
    expect(csp).toContain(`form-action 'self' ${ORIGIN}`);
    expect(csp).not.toContain("script-src");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("names the product of the scopes: Calendar, Slack, GitHub", async () => {
    const { challenge } = await pkcePair();
    const cal = await SELF.fetch(authorizeUrl("google", { challenge, scope: "openid email https://www.googleapis.com/auth/calendar.events" }));
    expect(await cal.text()).toContain("TaskPilot wants to access your Sandbox Google Calendar");
    const slack = await SELF.fetch(authorizeUrl("slack", { challenge }));
    expect(await slack.text()).toContain("TaskPilot wants to access your Sandbox Slack");
    const gh = await SELF.fetch(authorizeUrl("github", { challenge }));
    expect(await gh.text()).toContain("TaskPilot wants to access your Sandbox GitHub");
  });

  it("escapes what the request puts on the page", async () => {
    const { challenge } = await pkcePair();
    const res = await SELF.fetch(authorizeUrl("google", { challenge, loginHint: '"><script>alert(1)</script>@x.test' }));
    const html = await res.text();
    expect(html).not.toContain("<script>");
  });
});

describe("authorization request errors (RFC 6749 §4.1.2.1)", () => {
  it("never redirects to an unregistered redirect_uri or for an unknown client: it shows an error page", async () => {
    const { challenge } = await pkcePair();
    for (const url of [
      authorizeUrl("google", { challenge, redirectUri: "https://evil.example/api/integrations/gmail/callback" }),
      authorizeUrl("google", { challenge, redirectUri: "javascript:alert(1)" }),
      authorizeUrl("google", { challenge, clientId: "someone-else" }),
    ]) {
      const res = await SELF.fetch(url, { redirect: "manual" });
      expect(res.status).toBe(400);
      expect(res.headers.get("location")).toBeNull();
      expect(await res.text()).toContain("Sign-in request rejected");
    }
  });

  it("redirects other errors back with error and state: missing PKCE, plain PKCE, unknown scope, wrong response_type", async () => {
    const { challenge } = await pkcePair();
    const cases: Array<[string, string]> = [
      [authorizeUrl("google", {}), "invalid_request"],
      [authorizeUrl("google", { challenge, method: "plain" }), "invalid_request"],
      [authorizeUrl("google", { challenge, scope: "email https://mail.google.com/" }), "invalid_scope"],
      [authorizeUrl("google", { challenge, responseType: "token" }), "unsupported_response_type"],
    ];
    for (const [url, error] of cases) {
      const res = await SELF.fetch(url, { redirect: "manual" });
      expect(res.status).toBe(302);
      const back = new URL(res.headers.get("location")!);
      expect(back.origin + back.pathname).toBe(callback());
      expect(back.searchParams.get("error")).toBe(error);
      expect(back.searchParams.get("state")).toBe("state-123");
      expect(back.searchParams.get("code")).toBeNull();
    }
  });
});

describe("the decision", () => {
  it("Allow redirects with a code and the state", async () => {
    const { challenge } = await pkcePair();
    const { code, location } = await authorize("google", { challenge, email: uniqueSandboxEmail("allow"), state: "s-allow" });
    expect(code.length).toBeGreaterThan(40);
    expect(location.searchParams.get("state")).toBe("s-allow");
    expect(location.origin + location.pathname).toBe(callback());
  });

  it("Deny redirects with error=access_denied and the state, and the request cannot be approved afterwards", async () => {
    const { challenge } = await pkcePair();
    const page = await SELF.fetch(authorizeUrl("slack", { challenge, state: "s-deny" }));
    const requestId = requestIdOf(await page.text());
    const res = await decide("slack", requestId, "deny");
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get("location")!);
    expect(back.searchParams.get("error")).toBe("access_denied");
    expect(back.searchParams.get("state")).toBe("s-deny");
    expect(back.searchParams.get("code")).toBeNull();
    const again = await decide("slack", requestId, "allow", uniqueSandboxEmail("late"));
    expect(again.status).toBe(400);
    expect(again.headers.get("location")).toBeNull();
  });

  it("a forged decision for a request id that was never shown is refused", async () => {
    const res = await decide("google", "00112233445566778899aabbccddeeff", "allow", "x@sandbox.test");
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
  });

  it("an invalid email re-renders the page with an error instead of issuing a code", async () => {
    const { challenge } = await pkcePair();
    const page = await SELF.fetch(authorizeUrl("google", { challenge }));
    const res = await decide("google", requestIdOf(await page.text()), "allow", "not-an-email");
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("Enter a valid email address");
  });
});

describe("token endpoint: authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6)", () => {
  it("issues a short-lived access token and a refresh token; client auth by Basic header or by body", async () => {
    const basic = await connect("google");
    expect(basic.token_type).toBe("Bearer");
    expect(basic.expires_in).toBe(300);
    expect(basic.access_token).toMatch(/^ya29\./);
    expect(basic.refresh_token).toBeTruthy();
    expect(basic.scope).toContain("gmail.readonly");

    const { verifier, challenge } = await pkcePair();
    const { code } = await authorize("github", { challenge, email: uniqueSandboxEmail("body") });
    const res = await tokenRequest(
      "github",
      { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: callback(), client_id: "sandbox-client", client_secret: "sandbox-secret" },
      false,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(((await res.json()) as TokenBody).access_token).toMatch(/^gho_/);
  });

  it("a wrong client secret is invalid_client (401) and does not spend the code", async () => {
    const { verifier, challenge } = await pkcePair();
    const { code } = await authorize("google", { challenge, email: uniqueSandboxEmail("secret") });
    const params = { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: callback() };
    const bad = await tokenRequest("google", params, "sandbox-client:wrong");
    expect(bad.status).toBe(401);
    expect((await oauthErrorOf(bad)).error).toBe("invalid_client");
    expect(bad.headers.get("www-authenticate")).toContain("Basic");
    const none = await tokenRequest("google", params, false);
    expect(none.status).toBe(401);
    const good = await tokenRequest("google", params);
    expect(good.status).toBe(200);
  });

  it("a code_verifier that does not match the challenge is invalid_grant, and burns the code", async () => {
    const { verifier, challenge } = await pkcePair();
    const other = await pkcePair();
    const { code } = await authorize("google", { challenge, email: uniqueSandboxEmail("pkce") });
    const bad = await tokenRequest("google", { grant_type: "authorization_code", code, code_verifier: other.verifier, redirect_uri: callback() });
    expect(bad.status).toBe(400);
    const body = await oauthErrorOf(bad);
    expect(body.error).toBe("invalid_grant");
    expect(body.error_description).toContain("code_verifier");
    const missing = await authorize("google", { challenge, email: uniqueSandboxEmail("pkce2") });
    const noVerifier = await tokenRequest("google", { grant_type: "authorization_code", code: missing.code, redirect_uri: callback() });
    expect((await oauthErrorOf(noVerifier)).error).toBe("invalid_grant");
    const retry = await tokenRequest("google", { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: callback() });
    expect((await oauthErrorOf(retry)).error).toBe("invalid_grant");
  });

  it("a code is single use: the replay fails and the tokens the code produced are revoked", async () => {
    const { verifier, challenge } = await pkcePair();
    const { code } = await authorize("google", { challenge, email: uniqueSandboxEmail("replay") });
    const params = { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: callback() };
    const first = await tokenRequest("google", params);
    expect(first.status).toBe(200);
    const tokens = (await first.json()) as TokenBody;
    expect((await api("/sandbox/google/oauth2/v3/userinfo", tokens.access_token)).status).toBe(200);

    const replay = await tokenRequest("google", params);
    expect(replay.status).toBe(400);
    expect((await oauthErrorOf(replay)).error).toBe("invalid_grant");
    expect((await api("/sandbox/google/oauth2/v3/userinfo", tokens.access_token)).status).toBe(401);
    const refresh = await tokenRequest("google", { grant_type: "refresh_token", refresh_token: tokens.refresh_token });
    expect((await oauthErrorOf(refresh)).error).toBe("invalid_grant");
  });

  it("a code issued for one redirect_uri does not work with another", async () => {
    const { verifier, challenge } = await pkcePair();
    const { code } = await authorize("google", { challenge, email: uniqueSandboxEmail("redirect") });
    const res = await tokenRequest("google", { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: callback("calendar") });
    expect(res.status).toBe(400);
    const body = await oauthErrorOf(res);
    expect(body.error).toBe("invalid_grant");
    expect(body.error_description).toContain("redirect_uri");
  });

  it("a code of one provider is unknown at another's token endpoint", async () => {
    const { verifier, challenge } = await pkcePair();
    const { code } = await authorize("google", { challenge, email: uniqueSandboxEmail("cross") });
    const res = await tokenRequest("github", { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: callback() });
    expect((await oauthErrorOf(res)).error).toBe("invalid_grant");
  });

  it("malformed requests get RFC 6749 errors, never a 500", async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ grant_type: "password", username: "a", password: "b" }, "unsupported_grant_type"],
      [{ grant_type: "authorization_code" }, "invalid_request"],
      [{ grant_type: "refresh_token" }, "invalid_request"],
      [{ grant_type: "refresh_token", refresh_token: "1//sbx-not-a-token" }, "invalid_grant"],
    ];
    for (const [params, error] of cases) {
      const res = await tokenRequest("google", params);
      expect(res.status).toBe(400);
      expect((await oauthErrorOf(res)).error).toBe(error);
    }
    const text = await SELF.fetch(`${ORIGIN}/sandbox/google/oauth/token`, { method: "POST", headers: { "content-type": "text/plain" }, body: "x" });
    expect(text.status).toBe(400);
    expect((await oauthErrorOf(text)).error).toBe("invalid_request");
  });
});

describe("token endpoint: refresh_token (RFC 6749 §6, rotation)", () => {
  it("rotates: the new pair works, the old refresh token is invalid_grant", async () => {
    const first = await connect("slack");
    const res = await tokenRequest("slack", { grant_type: "refresh_token", refresh_token: first.refresh_token });
    expect(res.status).toBe(200);
    const second = (await res.json()) as TokenBody;
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    const authTest = await api("/sandbox/slack/api/auth.test", second.access_token, { method: "POST" });
    expect(((await authTest.json()) as { ok: boolean }).ok).toBe(true);

    const reused = await tokenRequest("slack", { grant_type: "refresh_token", refresh_token: first.refresh_token });
    expect(reused.status).toBe(400);
    expect((await oauthErrorOf(reused)).error).toBe("invalid_grant");
    const next = await tokenRequest("slack", { grant_type: "refresh_token", refresh_token: second.refresh_token });
    expect(next.status).toBe(200);
  });

  it("concurrent use of one refresh token lets exactly one caller win", async () => {
    const t = await connect("google");
    const results = await Promise.all(
      Array.from({ length: 5 }, () => tokenRequest("google", { grant_type: "refresh_token", refresh_token: t.refresh_token }).then((r) => r.status)),
    );
    expect(results.filter((s) => s === 200)).toHaveLength(1);
    expect(results.filter((s) => s === 400)).toHaveLength(4);
  });
});

describe("revocation (RFC 7009) and expiry", () => {
  it("revoking ends the grant: the API answers the provider's 401 and the refresh token stops working", async () => {
    const t = await connect("google");
    const res = await SELF.fetch(`${ORIGIN}/sandbox/google/oauth/revoke`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa("sandbox-client:sandbox-secret")}` },
      body: new URLSearchParams({ token: t.refresh_token }),
    });
    expect(res.status).toBe(200);
    const call = await api("/sandbox/google/gmail/v1/users/me/messages?q=invoice", t.access_token);
    expect(call.status).toBe(401);
    expect(call.headers.get("www-authenticate")).toContain("invalid_token");
    expect(((await call.json()) as { error: { status: string } }).error.status).toBe("UNAUTHENTICATED");
    const refresh = await tokenRequest("google", { grant_type: "refresh_token", refresh_token: t.refresh_token });
    expect((await oauthErrorOf(refresh)).error).toBe("invalid_grant");
  });

  it("an unknown token is still 200 (RFC 7009 §2.2); a missing one is invalid_request", async () => {
    const post = (body: Record<string, string>) =>
      SELF.fetch(`${ORIGIN}/sandbox/github/oauth/revoke`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(body) });
    expect((await post({ token: "gho_sbx-unknown" })).status).toBe(200);
    expect((await post({})).status).toBe(400);
  });

  it("an access token past its lifetime is rejected like the provider does (lifetime from SANDBOX_ACCESS_TOKEN_TTL_SECONDS)", async () => {
    const { verifier, challenge } = await pkcePair();
    const { code } = await authorize("github", { challenge, email: uniqueSandboxEmail("ttl") });
    const res = await fetchWithEnv(`${ORIGIN}/sandbox/github/oauth/token`, { SANDBOX_ACCESS_TOKEN_TTL_SECONDS: "600" }, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa("sandbox-client:sandbox-secret")}` },
      body: new URLSearchParams({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: callback() }),
    });
    const t = (await res.json()) as TokenBody;
    expect(t.expires_in).toBe(600);
    // The sandbox's clock moves for one request instead of the test waiting out the lifetime.
    const at = (advance: number) => api("/sandbox/github/api/user", t.access_token, { headers: { [CLOCK_ADVANCE_HEADER]: String(advance) } });
    expect((await at(0)).status).toBe(200);
    expect((await at(300)).status).toBe(200);
    const expired = await at(600);
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { message: string }).message).toBe("Bad credentials");
    // Nothing was changed by looking: the real clock still sees a live token.
    expect((await api("/sandbox/github/api/user", t.access_token)).status).toBe(200);
  });

  it("an authorization code past its 60 s lifetime is invalid_grant, seen through the sandbox clock", async () => {
    const { verifier, challenge } = await pkcePair();
    const { code } = await authorize("google", { challenge, email: uniqueSandboxEmail("code-ttl") });
    const exchange = (advance: number) =>
      SELF.fetch(`${ORIGIN}/sandbox/google/oauth/token`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Basic ${btoa("sandbox-client:sandbox-secret")}`,
          [CLOCK_ADVANCE_HEADER]: String(advance),
        },
        body: new URLSearchParams({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: callback() }),
      });
    const late = await oauthErrorOf(await exchange(CODE_TTL_MS / 1000));
    expect(late).toEqual({ error: "invalid_grant", error_description: "The authorization code has expired." });
  });

  it("refuses a malformed clock header instead of ignoring it", async () => {
    for (const bad of ["-5", "1.5", "soon", String(MAX_CLOCK_ADVANCE_SECONDS + 1)]) {
      const res = await api("/sandbox/github/api/user", "gho_sbx-unknown", { headers: { [CLOCK_ADVANCE_HEADER]: bad } });
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe("invalid_sandbox_clock");
    }
  });
});

describe("mounting", () => {
  it("exists only when SANDBOX_PROVIDERS=true", async () => {
    const url = `${ORIGIN}/sandbox/google/oauth/authorize?client_id=sandbox-client`;
    const off = await fetchWithEnv(url, { SANDBOX_PROVIDERS: "false" });
    expect(off.status).toBe(404);
    expect(off.headers.get("content-type")).toContain("application/problem+json");
    expect(((await off.json()) as { code: string }).code).toBe("not_found");
    const token = await fetchWithEnv(`${ORIGIN}/sandbox/google/oauth/token`, { SANDBOX_PROVIDERS: "false" }, { method: "POST" });
    expect(token.status).toBe(404);
    const on = await fetchWithEnv(url, { SANDBOX_PROVIDERS: "true" });
    expect(on.status).toBe(400);
  });

  it("is refused outright in production", async () => {
    const res = await fetchWithEnv(`${ORIGIN}/sandbox/google/oauth/authorize`, { SANDBOX_PROVIDERS: "true", APP_ENV: "production" });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { code: string }).code).toBe("config_invalid");
  });
});

describe("housekeeping", () => {
  it("the cron pass drops grants and tokens a day past expiry or revocation, and keeps live ones", async () => {
    const live = await connect("google");
    const revoked = await connect("google");
    await SELF.fetch(`${ORIGIN}/sandbox/google/oauth/revoke`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: revoked.access_token }),
    });
    const later = new Date(Date.now() + 2 * 86_400_000);
    await purgeSandbox(env, later);
    const count = async (token: string) =>
      (await env.DB.prepare("SELECT count(*) AS n FROM sandbox_tokens WHERE token_hash = ?").bind(await sha256Hex(token)).first<{ n: number }>())!.n;
    // The refresh token never expires and was not revoked: it stays. Everything of the revoked grant is gone.
    expect(await count(live.refresh_token)).toBe(1);
    expect(await count(live.access_token)).toBe(0);
    expect(await count(revoked.refresh_token)).toBe(0);
    const refreshed = await tokenRequest("google", { grant_type: "refresh_token", refresh_token: live.refresh_token });
    expect(refreshed.status).toBe(200);
  });
});
