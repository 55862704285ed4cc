import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { ORIGIN, register, uniqueIp } from "./auth-helpers";

/**
 * Every /api route, fed what a careless or hostile client sends: the answer is
 * always a 4xx problem+json with a stable code (or, for the OAuth callback that
 * a browser lands on, a redirect back into the app) — never a 500.
 */

interface Route {
  method: string;
  path: string;
  /** Routes that read a JSON body get the body garbage; the others get it too and must ignore or refuse it. */
  json?: boolean;
}

const ROUTES: Route[] = [
  { method: "GET", path: "/api/health" },
  { method: "POST", path: "/api/auth/register", json: true },
  { method: "POST", path: "/api/auth/login", json: true },
  { method: "POST", path: "/api/auth/refresh", json: true },
  { method: "POST", path: "/api/auth/logout", json: true },
  { method: "GET", path: "/api/me" },
  { method: "GET", path: "/api/me/export" },
  { method: "DELETE", path: "/api/me", json: true },
  { method: "POST", path: "/api/realtime/ticket" },
  { method: "GET", path: "/api/realtime" },
  { method: "POST", path: "/api/realtime/test-ping" },
  { method: "POST", path: "/api/realtime/test-event", json: true },
  { method: "GET", path: "/api/events" },
  { method: "GET", path: "/api/integrations" },
  { method: "GET", path: "/api/tools" },
  ...["gmail", "nope", "%00", "..%2F..%2Fhealth"].flatMap((p) => [
    { method: "GET", path: `/api/integrations/${p}/status` },
    { method: "POST", path: `/api/integrations/${p}/auth`, json: true },
    { method: "POST", path: `/api/integrations/${p}/disconnect` },
    { method: "POST", path: `/api/integrations/${p}/refresh` },
    { method: "GET", path: `/api/integrations/${p}/events` },
  ]),
];

const deepNesting = "[".repeat(50_000) + "]".repeat(50_000);

/** name → [content-type, body] */
const BODIES: Record<string, [string | null, string]> = {
  "invalid JSON": ["application/json", "{"],
  "empty body": ["application/json", ""],
  "JSON null": ["application/json", "null"],
  "JSON array": ["application/json", "[]"],
  "JSON number": ["application/json", "42"],
  "wrong types": ["application/json", JSON.stringify({ email: 1, password: [], refreshToken: {}, returnTo: 7, jobId: false, confirm: null })],
  "deep nesting": ["application/json", deepNesting],
  "900 KB string fields": [
    "application/json",
    JSON.stringify(Object.fromEntries(["email", "password", "refreshToken", "returnTo", "message"].map((k) => [k, "a".repeat(180_000)]))),
  ],
  "over 1 MB": ["application/json", JSON.stringify({ filler: "x".repeat(1024 * 1024 + 1) })],
  "text/plain JSON": ["text/plain", JSON.stringify({ email: "a@b.c", password: "correct horse battery" })],
  "form-encoded": ["application/x-www-form-urlencoded", "email=a%40b.c&password=x"],
  "no content type": [null, "{}"],
};

/** Valid JSON that a route with only optional fields may accept: it must still never reach a 500 or pollute anything. */
const TOLERATED_BODIES = [
  '{"__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}}}',
  '{"email":"\\ud800@x.y","password":"\\udfff\\udfff\\udfff\\udfff","returnTo":"/\\ud800","message":"\\udc00"}',
];

const QUERIES = ["?after=-1&limit=abc", "?after=1e999&limit=1e999", "?after[]=1&limit[]=2", "?after=0x10&limit=0", "?ticket=&ticket=a", `?ticket=${"t".repeat(5000)}`];

async function expectClientProblem(res: Response, what: string): Promise<void> {
  const body = await res.text();
  expect(res.status, `${what} → ${res.status} ${body.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${what} → ${res.status} ${body.slice(0, 200)}`).toBeLessThan(500);
  expect(res.headers.get("content-type"), what).toContain("application/problem+json");
  const problem = JSON.parse(body) as { code?: unknown; status?: unknown };
  expect(problem.code, what).toMatch(/^[a-z_]+$/);
  expect(problem.status, what).toBe(res.status);
}

function send(route: Route, init: { token?: string; contentType?: string | null; body?: string; query?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { "cf-connecting-ip": uniqueIp() };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.contentType) headers["content-type"] = init.contentType;
  const hasBody = init.body !== undefined && route.method !== "GET";
  return SELF.fetch(`${ORIGIN}${route.path}${init.query ?? ""}`, { method: route.method, headers, body: hasBody ? init.body : undefined });
}

describe("every /api route answers garbage with a 4xx problem", () => {
  let token: string;
  beforeAll(async () => {
    token = (await register()).accessToken;
  });

  it.each(ROUTES.filter((r) => r.json))("$method $path refuses every malformed body", async (route) => {
    for (const [name, [contentType, body]] of Object.entries(BODIES)) {
      await expectClientProblem(await send(route, { token, contentType, body }), `${route.method} ${route.path} with ${name}`);
    }
  });

  it.each(ROUTES.filter((r) => r.json))("$method $path takes prototype keys and lone surrogates without a 500", async (route) => {
    for (const body of TOLERATED_BODIES) {
      const res = await send(route, { token, contentType: "application/json", body });
      expect(res.status, body).toBeLessThan(500);
      if (res.status >= 400) await expectClientProblem(res, `${route.method} ${route.path} with ${body}`);
    }
    expect(({} as { admin?: unknown }).admin).toBeUndefined();
  });

  it.each(ROUTES.filter((r) => r.path !== "/api/health" && !r.path.startsWith("/api/auth/")))(
    "$method $path refuses a missing, malformed or foreign credential",
    async (route) => {
      for (const bad of [undefined, "", "not-a-jwt", "a.b.c", `${token}x`, "x".repeat(10_000)]) {
        const res = await send(route, { token: bad, contentType: "application/json", body: "{}" });
        await expectClientProblem(res, `${route.method} ${route.path} with token ${String(bad).slice(0, 12)}`);
      }
    },
  );

  it.each(ROUTES.filter((r) => r.method === "GET"))("$method $path survives a garbage query string", async (route) => {
    for (const query of QUERIES) {
      const res = await send(route, { token, query });
      expect(res.status, `${route.path}${query.slice(0, 40)}`).toBeLessThan(500);
      if (res.status >= 400) await expectClientProblem(res, `${route.path}${query.slice(0, 40)}`);
    }
  });

  it("refuses a wrong method on a known path and an unknown path as problems, not the SPA", async () => {
    for (const [method, path] of [
      ["PUT", "/api/auth/login"],
      ["DELETE", "/api/integrations"],
      ["PATCH", "/api/events"],
      ["GET", "/api/auth/register"],
      ["GET", "/api/does-not-exist"],
      ["POST", "/api/integrations/gmail/status"],
    ] as const) {
      await expectClientProblem(await send({ method, path }, { token, contentType: "application/json", body: "{}" }), `${method} ${path}`);
    }
  });

  it("sends the OAuth callback's garbage back into the app with an error, never a 500", async () => {
    for (const query of ["", "?code=x", "?state=x", "?code[]=a&state[]=b", `?code=${"c".repeat(9000)}&state=s`, "?error=%00%ff&state=%E0%A4%A"]) {
      const res = await SELF.fetch(`${ORIGIN}/api/integrations/gmail/callback${query}`, { redirect: "manual" });
      expect(res.status, query).toBe(302);
      expect(new URL(res.headers.get("location")!, ORIGIN).searchParams.get("error"), query).toMatch(/^[a-z_]+$/);
    }
    await expectClientProblem(await SELF.fetch(`${ORIGIN}/api/integrations/nope/callback?code=x&state=y`, { redirect: "manual" }), "unknown provider callback");
  });
});
