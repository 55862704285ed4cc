import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ORIGIN, post, uniqueEmail } from "./auth-helpers";
import { fetchWithEnv } from "./sandbox-helpers";

const publicUrl = (env as unknown as { PUBLIC_URL: string }).PUBLIC_URL;

describe("CORS only for PUBLIC_URL", () => {
  it("answers a preflight from PUBLIC_URL and lets it read the response with credentials", async () => {
    const preflight = await SELF.fetch(`${ORIGIN}/api/auth/login`, {
      method: "OPTIONS",
      headers: { origin: publicUrl, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBe(publicUrl);
    expect(preflight.headers.get("access-control-allow-credentials")).toBe("true");
    const res = await SELF.fetch(`${ORIGIN}/api/health`, { headers: { origin: publicUrl } });
    expect(res.headers.get("access-control-allow-origin")).toBe(publicUrl);
  });

  it("gives any other origin no CORS headers, so a foreign page cannot read our answers", async () => {
    for (const origin of ["https://evil.example", "null", `${publicUrl}.evil.example`, publicUrl.replace("http://", "https://")]) {
      const preflight = await SELF.fetch(`${ORIGIN}/api/auth/login`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST" },
      });
      expect(preflight.headers.get("access-control-allow-origin"), origin).toBeNull();
      const res = await SELF.fetch(`${ORIGIN}/api/health`, { headers: { origin } });
      expect(res.headers.get("access-control-allow-origin"), origin).toBeNull();
    }
  });
});

describe("a missing or malformed variable", () => {
  it.each([
    ["missing", ""],
    ["too short", "short"],
  ])("JWT_SECRET %s: a request that needs it is 503 config_missing naming it, and /api/health lists it", async (_label, value) => {
    const res = await fetchWithEnv(`${ORIGIN}/api/auth/register`, { JWT_SECRET: value }, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: uniqueEmail("config"), password: "correct horse battery" }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await res.json()) as { code: string; variable: string; detail: string };
    expect(problem).toMatchObject({ code: "config_missing", variable: "JWT_SECRET" });
    expect(problem.detail).toContain("JWT_SECRET");
    if (value) expect(problem.detail).not.toContain(value);

    const health = await fetchWithEnv(`${ORIGIN}/api/health`, { JWT_SECRET: value });
    const body = (await health.json()) as { status: string; checks: { config: { problems: Array<{ variable: string }> } } };
    expect(body.status).toBe("degraded");
    expect(body.checks.config.problems.map((p) => p.variable)).toContain("JWT_SECRET");
  });

  it("does not touch routes that do not need it", async () => {
    const res = await fetchWithEnv(`${ORIGIN}/api/nope`, { JWT_SECRET: "" });
    expect(res.status).toBe(404);
  });
});

describe("request ids", () => {
  it("are on every response, success or problem, and a sane incoming one is kept", async () => {
    const ok = await SELF.fetch(`${ORIGIN}/api/health`, { headers: { "x-request-id": "trace-abc-123" } });
    expect(ok.headers.get("x-request-id")).toBe("trace-abc-123");
    const bad = await post("/api/auth/login", "{");
    const id = bad.headers.get("x-request-id");
    expect(id).toMatch(/.+/);
    expect(((await bad.json()) as { requestId: string }).requestId).toBe(id);
    const long = await SELF.fetch(`${ORIGIN}/api/health`, { headers: { "x-request-id": "x".repeat(500) } });
    expect(long.headers.get("x-request-id")).not.toBe("x".repeat(500));
  });
});
