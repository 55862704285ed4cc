import { describe, expect, it } from "vitest";
import { authenticateClient, checkChallenge, checkCodeExchange, checkRedirectUri } from "../../worker/sandbox/oauth/rules";
import { s256Challenge } from "../../worker/sandbox/crypto";
import { consentHeading, parseScopes } from "../../worker/sandbox/catalog";

/** The sandbox authorization server's trust decisions, table-driven against the RFC clauses they follow. */

const basic = (id: string, secret: string) => `Basic ${btoa(`${id}:${secret}`)}`;

describe("authenticateClient (RFC 6749 §2.3.1)", () => {
  it.each([
    ["Basic header", basic("sandbox-client", "sandbox-secret"), {}, true, undefined],
    ["body parameters", undefined, { client_id: "sandbox-client", client_secret: "sandbox-secret" }, true, undefined],
    ["wrong secret", basic("sandbox-client", "nope"), {}, false, "invalid_client"],
    ["unknown client", basic("other", "sandbox-secret"), {}, false, "invalid_client"],
    ["no credentials", undefined, {}, false, "invalid_client"],
    ["id without secret", undefined, { client_id: "sandbox-client" }, false, "invalid_client"],
    ["both header and body secret", basic("sandbox-client", "sandbox-secret"), { client_secret: "sandbox-secret" }, false, "invalid_request"],
    ["header and a different body id", basic("sandbox-client", "sandbox-secret"), { client_id: "other" }, false, "invalid_request"],
    ["garbage Basic", "Basic %%%", {}, false, "invalid_client"],
  ])("%s", (_name, header, body, ok, error) => {
    const r = authenticateClient(header, body);
    expect(r.ok).toBe(ok);
    if (!r.ok) expect(r.error).toBe(error);
  });

  it("decodes form-encoded credentials in the Basic header", () => {
    expect(authenticateClient(`Basic ${btoa("sandbox-client:sandbox%2Dsecret")}`, {}).ok).toBe(true);
  });
});

describe("checkRedirectUri (RFC 6749 §3.1.2, §10.15)", () => {
  const allowed = ["http://127.0.0.1:8787", "https://app.test"];
  it.each([
    ["http://127.0.0.1:8787/api/integrations/gmail/callback", true],
    ["https://app.test/api/integrations/slack/callback?x=1", true],
    ["https://evil.example/api/integrations/gmail/callback", false],
    ["https://app.test.evil.example/cb", false],
    ["http://app.test/cb", false],
    ["https://app.test/cb#frag", false],
    ["javascript:alert(1)", false],
    ["/relative", false],
    [undefined, false],
  ])("%s → %s", (uri, ok) => {
    expect(checkRedirectUri(uri, allowed).ok).toBe(ok);
  });
});

describe("checkChallenge (RFC 7636 §4.2–4.3)", () => {
  it.each([
    ["E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256", true],
    ["E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "plain", false],
    ["E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", undefined, false],
    ["short", "S256", false],
    [undefined, "S256", false],
  ])("%s with %s", (challenge, method, ok) => {
    expect(checkChallenge(challenge, method).ok).toBe(ok);
  });
});

describe("checkCodeExchange (RFC 6749 §4.1.3, RFC 7636 §4.6)", () => {
  // RFC 7636 Appendix B's example verifier and challenge.
  const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const now = new Date("2026-01-01T00:00:00Z");
  const code = { clientId: "sandbox-client", redirectUri: "https://app.test/cb", codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", expiresAt: new Date(now.getTime() + 60_000) };
  const good = { clientId: "sandbox-client", redirectUri: "https://app.test/cb", codeVerifier: verifier };

  it("computes the RFC 7636 Appendix B challenge", async () => {
    expect(await s256Challenge(verifier)).toBe(code.codeChallenge);
  });

  it.each([
    ["all bound values match", {}, {}, true],
    ["expired", { expiresAt: now }, {}, false],
    ["another client", {}, { clientId: "other" }, false],
    ["another redirect_uri", {}, { redirectUri: "https://app.test/other" }, false],
    ["no redirect_uri", {}, { redirectUri: undefined }, false],
    ["wrong verifier", {}, { codeVerifier: "x".repeat(43) }, false],
    ["no verifier", {}, { codeVerifier: undefined }, false],
    ["verifier with illegal characters", {}, { codeVerifier: `${verifier}!` }, false],
  ])("%s", async (_name, codeChange, presentedChange, ok) => {
    const r = await checkCodeExchange({ ...code, ...codeChange }, { ...good, ...presentedChange }, now);
    expect(r.ok).toBe(ok);
    if (!r.ok) expect(r.error).toBe("invalid_grant");
  });
});

describe("catalog", () => {
  it("splits scopes on spaces and commas, once each", () => {
    expect(parseScopes("repo, read:user repo")).toEqual(["repo", "read:user"]);
    expect(parseScopes(undefined)).toEqual([]);
  });
  it("heads the consent page with the product asked for", () => {
    expect(consentHeading("google", ["openid", "email", "https://www.googleapis.com/auth/gmail.readonly"])).toBe("TaskPilot wants to read your Sandbox Gmail");
    expect(consentHeading("google", ["openid", "email"])).toBe("TaskPilot wants to read your Sandbox Google Account");
    expect(consentHeading("github", ["repo"])).toBe("TaskPilot wants to access your Sandbox GitHub");
  });
});
