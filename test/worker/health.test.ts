import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

describe("GET /api/health", () => {
  it("runs real checks against D1, the UserHub Durable Object and the queue bindings", async () => {
    const res = await SELF.fetch("https://app.test/api/health");
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(res.status).toBe(200);
    expect(body.status).toBe("ok");
    expect(body.checks.database?.ok).toBe(true);
    expect(body.checks.realtime?.ok).toBe(true);
    expect(body.checks.queues?.ok).toBe(true);
    expect(res.headers.get("x-request-id")).toMatch(/.+/);
  });

  it("answers unknown /api routes with problem+json 404, not the SPA", async () => {
    const res = await SELF.fetch("https://app.test/api/nope");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const body = (await res.json()) as { code: string; requestId: string };
    expect(body.code).toBe("not_found");
    expect(body.requestId).toBe(res.headers.get("x-request-id"));
  });
});
