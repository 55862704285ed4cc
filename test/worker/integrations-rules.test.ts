import { describe, expect, it } from "vitest";
import { readConfig } from "../../worker/config";
import type { Env } from "../../worker/env";
import { ArcticFetchError, OAuth2RequestError, UnexpectedErrorResponseBodyError, UnexpectedResponseError } from "arctic";
import { toProviderError } from "../../worker/integrations/oauth-client";
import { providersHealth, resolveProvider } from "../../worker/integrations/providers";
import { browserCookieAfterCallback, callbackRedirect, checkBrowser, checkState, isBrowserNonce, missingScopes, safeReturnTo } from "../../worker/integrations/state";

const PUBLIC = "https://app.example.com";
const cfgOf = (vars: Record<string, string>) => readConfig({ PUBLIC_URL: PUBLIC, ...vars } as unknown as Env);

describe("safeReturnTo (RFC 6749 §10.15: no open redirect)", () => {
  it.each([
    [undefined, "/integrations"],
    ["", "/integrations"],
    ["/integrations", "/integrations"],
    ["/a/b?x=1#frag", "/a/b?x=1#frag"],
    ["/a/../b", "/b"],
  ])("accepts %j as %j", (raw, path) => {
    expect(safeReturnTo(PUBLIC, raw)).toEqual({ ok: true, path });
  });

  it.each(["https://evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example", "/a\\b", "/\tx", "/x\ny", "http:/evil", "mailto:x@y", "relative/path"])(
    "refuses %j",
    (raw) => {
      expect(safeReturnTo(PUBLIC, raw).ok).toBe(false);
    },
  );
});

describe("checkState", () => {
  const row = { provider: "gmail", expiresAt: new Date(10_000) };
  it.each([
    [undefined, "gmail", 0, "invalid_state"],
    [row, "github", 0, "state_provider_mismatch"],
    [row, "gmail", 10_000, "state_expired"],
    [row, "gmail", 20_000, "state_expired"],
  ] as const)("rejects %# as %s", (r, provider, now, code) => {
    expect(checkState(r, provider, now)).toEqual({ ok: false, code });
  });
  it("accepts the right provider within the lifetime", () => {
    expect(checkState(row, "gmail", 9_999)).toEqual({ ok: true });
  });
});

describe("checkBrowser (RFC 9700 §4.7.1: the callback comes from the browser that started the flow)", () => {
  const mine = "a".repeat(64);
  const other = `${"a".repeat(63)}b`;
  it.each([
    ["the same hash", mine, mine, true],
    ["no cookie", mine, undefined, false],
    ["another browser's cookie", mine, other, false],
    ["a prefix of the hash", mine, mine.slice(0, 32), false],
    ["a longer value", mine, `${mine}0`, false],
    ["a row from before the binding (null)", null, mine, false],
    ["a row from before the binding, no cookie", null, undefined, false],
    ["an empty stored hash", "", "", false],
  ] as const)("%s → %s", (_name, stored, presented, ok) => {
    expect(checkBrowser(stored, presented)).toEqual(ok ? { ok: true } : { ok: false, code: "browser_mismatch" });
  });
});

describe("browserCookieAfterCallback (parallel flows share one nonce per browser)", () => {
  it.each([
    [true, false, "clear"],
    [true, true, "keep"],
    [false, false, "keep"],
    [false, true, "keep"],
  ] as const)("matched=%s, other flows pending=%s → %s", (matched, otherFlowsPending, action) => {
    expect(browserCookieAfterCallback({ matched, otherFlowsPending })).toBe(action);
  });
});

describe("isBrowserNonce", () => {
  it.each([
    ["A".repeat(43), true],
    ["abc_DEF-0123456789abcdefghijklmnopqrstuvwxy", true],
    ["A".repeat(42), false],
    ["A".repeat(44), false],
    [`${"A".repeat(42)}=`, false],
    [`${"A".repeat(42)}+`, false],
    ["", false],
    [undefined, false],
  ] as const)("%j → %s", (value, ok) => {
    expect(isBrowserNonce(value)).toBe(ok);
  });
});

describe("missingScopes and callbackRedirect", () => {
  it("lists what was asked for and not granted", () => {
    expect(missingScopes(["a", "b", "c"], ["c", "a", "extra"])).toEqual(["b"]);
    expect(missingScopes(["a"], ["a"])).toEqual([]);
  });
  it("keeps the stored query and adds the outcome", () => {
    expect(callbackRedirect(PUBLIC, "/settings?tab=x", { connected: "gmail" })).toBe("https://app.example.com/settings?tab=x&connected=gmail");
  });
});

describe("resolveProvider", () => {
  it("uses the sandbox with its client when sandbox mode is on and no client id is set", () => {
    const p = resolveProvider(cfgOf({ SANDBOX_PROVIDERS: "true", APP_ENV: "development" }), "gmail");
    expect(p).toMatchObject({
      sandbox: true,
      clientId: "sandbox-client",
      clientSecret: "sandbox-secret",
      authorizeUrl: `${PUBLIC}/sandbox/google/oauth/authorize`,
      tokenUrl: `${PUBLIC}/sandbox/google/oauth/token`,
      apiUrl: `${PUBLIC}/sandbox/google`,
      revokeStyle: "rfc7009",
      missing: [],
    });
  });

  it("uses the real provider once a client id is configured, and env overrides win", () => {
    const cfg = cfgOf({ SANDBOX_PROVIDERS: "true", APP_ENV: "development", GITHUB_CLIENT_ID: "id", GITHUB_CLIENT_SECRET: "secret", GITHUB_API_URL: "https://ghe.example.com/api/v3/" });
    const p = resolveProvider(cfg, "github");
    expect(p).toMatchObject({
      sandbox: false,
      authorizeUrl: "https://github.com/login/oauth/authorize",
      apiUrl: "https://ghe.example.com/api/v3",
      revokeStyle: "github_app_token",
    });
  });

  it("names the missing variables without sandbox mode, and in /api/health", () => {
    const cfg = cfgOf({ SANDBOX_PROVIDERS: "false", SLACK_CLIENT_ID: "id" });
    expect(resolveProvider(cfg, "slack").missing).toEqual(["SLACK_CLIENT_SECRET"]);
    expect(providersHealth(cfg)).toMatchObject({
      gmail: { configured: false, missing: ["GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"] },
      slack: { configured: false, missing: ["SLACK_CLIENT_SECRET"] },
    });
  });

  it("reports a malformed endpoint override as a config problem naming it", () => {
    const cfg = cfgOf({ GOOGLE_TOKEN_URL: "not a url" });
    expect(cfg.problems).toContainEqual({ variable: "GOOGLE_TOKEN_URL", message: "must be an absolute http(s) URL" });
    expect(resolveProvider(cfg, "gmail").tokenUrl).not.toBe("not a url");
  });
});

describe("toProviderError", () => {
  it.each([
    [new OAuth2RequestError("invalid_grant", "Bad Request", null, null), "invalid_grant", false],
    [new ArcticFetchError(new TypeError("connection refused")), "provider_unreachable", true],
    [new UnexpectedResponseError(502), "provider_unavailable", true],
    [new UnexpectedResponseError(200), "provider_bad_response", false],
    [new UnexpectedErrorResponseBodyError(400, { nope: true }), "provider_bad_response", false],
  ])("%s → %s (transient %s)", (error, code, transient) => {
    expect(toProviderError(error)).toMatchObject({ code, transient });
  });

  it("clips long provider descriptions", () => {
    const long = "x".repeat(5000);
    expect(toProviderError(new OAuth2RequestError("invalid_request", long, null, null)).description.length).toBeLessThanOrEqual(301);
  });
});
