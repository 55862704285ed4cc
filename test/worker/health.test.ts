import { env, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fetchWithEnv } from "./sandbox-helpers";

describe("GET /api/health", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

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

  it("tells an anonymous caller which checks failed, never the exception text, which goes to the log under the request id", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
    // Real failures of the runtime: each binding is bound to the wrong kind of resource.
    const res = await fetchWithEnv("https://app.test/api/health", {
      DB: env.USER_HUB,
      USER_HUB: env.DB,
      JWT_SECRET: "too-short",
      TOKEN_ENCRYPTION_KEYS: "secret-kid:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=,secret-kid:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=",
    } as unknown as Record<string, string>);
    expect(res.status).toBe(503);
    const text = await res.text();
    const body = JSON.parse(text) as { status: string; checks: Record<string, Record<string, unknown>> };
    expect(body.status).toBe("degraded");
    for (const leak of ["function", "prepare", "idFromName", "secret-kid", "appears twice", "32 bytes", "error"]) expect(text).not.toContain(leak);
    expect(body.checks.database).toMatchObject({ ok: false, status: "failed" });
    expect(body.checks.realtime).toMatchObject({ ok: false, status: "failed" });
    expect(Object.keys(body.checks.database!).sort()).toEqual(["ms", "ok", "status"]);
    expect(Object.keys(body.checks.realtime!).sort()).toEqual(["ms", "ok", "status"]);
    expect(body.checks.queues).toMatchObject({ ok: true, status: "ok" });
    expect(body.checks.config).toEqual({ ok: false, status: "failed", problems: [{ variable: "JWT_SECRET" }, { variable: "TOKEN_ENCRYPTION_KEYS" }] });

    const failures = lines.filter((l) => l.includes("health_check_failed")).map((l) => JSON.parse(l) as { check: string; requestId: string; error: string });
    expect(failures.map((f) => f.check).sort()).toEqual(["database", "realtime"]);
    for (const f of failures) {
      expect(f.requestId).toBe(res.headers.get("x-request-id"));
      expect(f.error.length).toBeGreaterThan(0);
      expect(text).not.toContain(f.error);
    }
  });

  describe("the knowledge base's vectors", () => {
    // Vectorize has no local mode: its binding is stood in for by the one call the check makes.
    const vectorize = (describe: () => Promise<unknown>) => ({ describe }) as unknown as string;
    const index1536 = vectorize(async () => ({ dimensions: 1536, vectorCount: 0 }));

    it("are degraded when the embedder the configuration picks makes vectors the Vectorize index refuses (no OPENAI_API_KEY: the 256-dimension local one)", async () => {
      const res = await fetchWithEnv("https://app.test/api/health", { VECTORIZE: index1536 });
      expect(res.status).toBe(503);
      const body = (await res.json()) as { status: string; checks: Record<string, Record<string, unknown>> };
      expect(body.status).toBe("degraded");
      expect(body.checks.vectors).toMatchObject({
        ok: false,
        status: "failed",
        backend: "vectorize",
        embedder: "local-hash-v1",
        dimensions: 256,
        indexDimensions: 1536,
        problem: "dimension_mismatch",
      });
    });

    it("are ok once the embedder matches the index (OPENAI_API_KEY set: text-embedding-3-small, 1,536)", async () => {
      const res = await fetchWithEnv("https://app.test/api/health", { VECTORIZE: index1536, OPENAI_API_KEY: "sk-test-not-used" });
      const body = (await res.json()) as { status: string; checks: Record<string, Record<string, unknown>> };
      expect(body.checks.vectors).toMatchObject({ ok: true, backend: "vectorize", dimensions: 1536, indexDimensions: 1536 });
      expect(body.checks.vectors).not.toHaveProperty("problem");
      expect([res.status, body.status]).toEqual([200, "ok"]);
    });

    it("are ok locally, where each user's index takes the recorded embedder's vectors", async () => {
      const body = (await (await SELF.fetch("https://app.test/api/health")).json()) as { checks: Record<string, Record<string, unknown>> };
      expect(body.checks.vectors).toMatchObject({ ok: true, backend: "local", embedder: "local-hash-v1", dimensions: 256 });
      expect(body.checks.vectors).not.toHaveProperty("indexDimensions");
    });

    it("name a KB_EMBEDDER whose key is missing, and a Vectorize that cannot be asked is failed without its error text", async () => {
      const missing = (await (await fetchWithEnv("https://app.test/api/health", { KB_EMBEDDER: "openai" })).json()) as { checks: Record<string, Record<string, unknown>> };
      expect(missing.checks.vectors).toMatchObject({ ok: false, problem: "embedder_unavailable" });

      vi.spyOn(console, "error").mockImplementation(() => undefined);
      const res = await fetchWithEnv("https://app.test/api/health", {
        VECTORIZE: vectorize(async () => {
          throw new Error("VECTOR_GET_ERROR (code = 40002): vectorize.not_found taskpilot-kb");
        }),
        OPENAI_API_KEY: "sk-test-not-used",
      });
      const text = await res.text();
      expect(res.status).toBe(503);
      expect(text).not.toContain("not_found");
      expect(Object.keys((JSON.parse(text) as { checks: Record<string, object> }).checks.vectors!).sort()).toEqual(["ms", "ok", "status"]);
    });
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
