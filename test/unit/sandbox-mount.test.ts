import { describe, expect, it } from "vitest";
import { isLoopbackOrigin, readConfig, sandboxMount } from "../../worker/config";
import type { Env } from "../../worker/env";

/** The sandbox providers are served only on a loopback PUBLIC_URL or with an explicit APP_ENV=development, never in production. */
describe("sandboxMount", () => {
  it.each([
    // flag, APP_ENV, PUBLIC_URL → decision
    [false, "development", "http://127.0.0.1:8787", { mount: false }],
    [false, undefined, undefined, { mount: false }],
    [true, "development", "http://127.0.0.1:8787", { mount: true }],
    [true, "development", "https://staging.example.com", { mount: true }],
    [true, "development", undefined, { mount: true }],
    [true, undefined, "http://127.0.0.1:8787", { mount: true }],
    [true, undefined, "http://127.8.9.10", { mount: true }],
    [true, undefined, "http://localhost:5173", { mount: true }],
    [true, undefined, "http://[::1]:8787", { mount: true }],
    [true, undefined, "https://taskpilot.example.com", { mount: false, refused: "not_local" }],
    [true, undefined, undefined, { mount: false, refused: "not_local" }],
    [true, undefined, "http://127.0.0.1.example.com", { mount: false, refused: "not_local" }],
    [true, undefined, "http://localhost.example.com", { mount: false, refused: "not_local" }],
    [true, undefined, "http://10.0.0.5:8787", { mount: false, refused: "not_local" }],
    [true, undefined, "http://[::ffff:7f00:1]", { mount: false, refused: "not_local" }],
    [true, undefined, "not a url", { mount: false, refused: "not_local" }],
    [true, "staging", "https://staging.example.com", { mount: false, refused: "not_local" }],
    [true, "Development", "https://staging.example.com", { mount: false, refused: "not_local" }],
    [true, "production", "http://127.0.0.1:8787", { mount: false, refused: "production" }],
    [true, "production", "https://taskpilot.example.com", { mount: false, refused: "production" }],
  ] as const)("flag=%s APP_ENV=%s PUBLIC_URL=%s → %j", (flag, appEnv, publicUrl, decision) => {
    expect(sandboxMount({ flag, appEnv, publicUrl })).toEqual(decision);
  });

  it.each([
    ["http://127.0.0.1", true],
    ["https://localhost", true],
    ["http://[::1]", true],
    ["ftp://127.0.0.1", false],
    ["http://0.0.0.0:8787", false],
    [undefined, false],
  ] as const)("isLoopbackOrigin(%j) → %s", (url, loopback) => {
    expect(isLoopbackOrigin(url)).toBe(loopback);
  });
});

describe("readConfig applies it", () => {
  const cfg = (vars: Record<string, string>) => readConfig(vars as unknown as Env);

  it("a deploy without APP_ENV on a public URL does not serve the sandbox, and names the variable", () => {
    const c = cfg({ SANDBOX_PROVIDERS: "true", PUBLIC_URL: "https://taskpilot.example.com" });
    expect(c.sandboxProviders).toBe(false);
    expect(c.fatal).toBeUndefined();
    expect(c.problems.map((p) => p.variable)).toContain("SANDBOX_PROVIDERS");
  });

  it("APP_ENV=production with the flag refuses to serve at all", () => {
    const c = cfg({ SANDBOX_PROVIDERS: "true", APP_ENV: "production", PUBLIC_URL: "http://127.0.0.1:8787" });
    expect(c.sandboxProviders).toBe(false);
    expect(c.fatal?.variable).toBe("SANDBOX_PROVIDERS");
  });

  it("local development keeps it", () => {
    expect(cfg({ SANDBOX_PROVIDERS: "true", PUBLIC_URL: "http://127.0.0.1:8787" }).sandboxProviders).toBe(true);
    expect(cfg({ SANDBOX_PROVIDERS: "true", APP_ENV: "development", PUBLIC_URL: "https://dev.example.com" }).sandboxProviders).toBe(true);
  });
});
