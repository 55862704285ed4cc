import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { DeleteAccountBody, LoginBody, LogoutBody, RefreshBody, RegisterBody } from "../../worker/contract/auth";
import { StartAuthBody } from "../../worker/contract/integrations";
import { CreateKbDocumentBody } from "../../worker/contract/kb";
import { validatedBy } from "../../worker/http/validate";
import "../../worker/index";
import { buildOpenApiDocument, documentedApp, type OpenApiDocument } from "../../worker/openapi";
import { OPERATIONS } from "../../worker/openapi/operations";
import { ORIGIN, problemOf, register, uniqueIp } from "./auth-helpers";

/**
 * The OpenAPI document cannot drift from the worker: it must list exactly the
 * /api routes of the app, take its request schemas from the zod objects the
 * routes validate with, and make promises (who must authenticate, which bodies
 * are JSON) that the running worker keeps.
 */

type Json = Record<string, unknown>;
type Op = Json & { summary: string; tags: string[]; security?: unknown[]; parameters?: Json[]; requestBody?: Json; responses: Record<string, Json> };

const app = () => {
  const mounted = documentedApp();
  if (!mounted) throw new Error("worker/index.ts does not mount openApiDocument(app)");
  return mounted;
};

/** The app's own route table, in the document's spelling; `ALL` entries are `app.use` middleware and the /api 404 catch-all. */
function appRoutes(): Set<string> {
  return new Set(
    app()
      .routes.filter((r) => r.method !== "ALL" && r.path.startsWith("/api/"))
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`),
  );
}

function operations(doc: OpenApiDocument): Array<[string, Op]> {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op as Op] as [string, Op]));
}

/** What the route's own validator checks the JSON body with, found in the app's route table. */
function bodySchemaOf(key: string): z.ZodType | undefined {
  const [method, path] = key.split(" ");
  const handlers = app().routes.filter((r) => r.method === method && r.path.replace(/:(\w+)/g, "{$1}") === path);
  return handlers.map((r) => validatedBy(r.handler)).find((v) => v?.target === "json")?.schema;
}

const asRequest = (schema: z.ZodType) => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io: "input", unrepresentable: "any" }) as Json;
  return rest;
};

const concrete = (path: string) => path.replace("{provider}", "gmail");

let doc: OpenApiDocument;
beforeAll(async () => {
  const res = await SELF.fetch(`${ORIGIN}/api/openapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as OpenApiDocument;
});

describe("GET /api/openapi.json", () => {
  it("serves an OpenAPI 3.1 document to anyone, without an access token", async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const served = (await res.json()) as OpenApiDocument;
    expect(served.openapi).toBe("3.1.0");
    expect(served.info.title).toBe("TaskPilot API");
    // What is served is what the app's route table builds, not a stored copy.
    expect(served).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument(app()))));
  });

  it("lists exactly the /api routes the app has: each route is documented and each documented operation exists", () => {
    const routes = appRoutes();
    const documented = new Set(operations(doc).map(([key]) => key));
    expect(routes.size, "the route table looks empty").toBeGreaterThanOrEqual(20);
    for (const key of ["POST /api/auth/register", "DELETE /api/me", "GET /api/integrations/{provider}/callback", "GET /api/openapi.json"]) {
      expect(routes.has(key), key).toBe(true);
    }
    for (const key of routes) expect(documented.has(key), `${key} exists but is not documented`).toBe(true);
    for (const key of documented) expect(routes.has(key), `${key} is documented but no such route exists`).toBe(true);
    expect(Object.keys(doc.paths).filter((p) => !p.startsWith("/api/"))).toEqual([]);
  });

  it("has an entry in worker/openapi/operations.ts for every route, and none for a route that does not exist", () => {
    const routes = appRoutes();
    for (const key of routes) expect(OPERATIONS[key], `add "${key}" to OPERATIONS in worker/openapi/operations.ts`).toBeDefined();
    for (const key of Object.keys(OPERATIONS)) expect(routes.has(key), `OPERATIONS has "${key}", which is no route of the app`).toBe(true);
    const tags = new Set(doc.tags.map((t) => t.name));
    for (const [key, op] of operations(doc)) {
      expect(op.summary, key).not.toBe("");
      expect(tags.has(op.tags[0]!), `${key} tag ${op.tags[0]}`).toBe(true);
      expect(Object.keys(op.responses).some((s) => /^[123]\d\d$/.test(s)), `${key} has no success response`).toBe(true);
    }
  });

  it("documents every error as problem+json with its stable codes", () => {
    const resolve = (r: Json) => (typeof r.$ref === "string" ? doc.components.responses[r.$ref.split("/").pop()!]! : r);
    for (const [key, op] of operations(doc)) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        const content = resolve(response).content as Record<string, { schema: { allOf: [Json, { properties: { code: { enum: string[] } } }] } }>;
        const problem = content["application/problem+json"];
        expect(problem, `${key} ${status}`).toBeDefined();
        expect(problem!.schema.allOf[0]).toEqual({ $ref: "#/components/schemas/Problem" });
        for (const code of problem!.schema.allOf[1].properties.code.enum) expect(code, `${key} ${status}`).toMatch(/^[a-z_]+$/);
      }
      expect(op.responses["500"], key).toEqual({ $ref: "#/components/responses/InternalError" });
    }
    const refresh = doc.paths["/api/auth/refresh"]!.post as Op;
    const codes = ((refresh.responses["401"]!.content as Json)["application/problem+json"] as { schema: { allOf: [Json, { properties: { code: { enum: string[] } } }] } })
      .schema.allOf[1].properties.code.enum;
    expect(codes).toContain("refresh_token_reused");
  });

  it("takes each request body from the zod object its route validates with", () => {
    const bodies: Array<[string, z.ZodType]> = [
      ["POST /api/auth/register", RegisterBody],
      ["POST /api/auth/login", LoginBody],
      ["POST /api/auth/refresh", RefreshBody],
      ["POST /api/auth/logout", LogoutBody],
      ["DELETE /api/me", DeleteAccountBody],
      ["POST /api/integrations/{provider}/auth", StartAuthBody],
    ];
    const ops = new Map(operations(doc));
    for (const [key, schema] of bodies) {
      expect(bodySchemaOf(key), `${key} validates with another schema`).toBe(schema);
      const body = ops.get(key)!.requestBody as { required: boolean; content: Record<string, { schema: Json }> };
      expect(body.required, key).toBe(true);
      expect(body.content["application/json"]!.schema, key).toEqual(asRequest(schema));
    }
    // And every route that validates a JSON body documents one, as does an upload route that reads its own; no other route claims one.
    for (const [key, op] of ops) expect(op.requestBody !== undefined, key).toBe(bodySchemaOf(key) !== undefined || OPERATIONS[key]?.upload !== undefined);
    const upload = ops.get("POST /api/kb/documents")!.requestBody as { content: Record<string, { schema: Json }> };
    expect(Object.keys(upload.content)).toEqual(["multipart/form-data", "application/json"]);
    expect(upload.content["application/json"]!.schema).toEqual(asRequest(CreateKbDocumentBody));
    const register = ops.get("POST /api/auth/register")!.requestBody as { content: Record<string, { schema: { required: string[]; properties: Json } }> };
    expect(register.content["application/json"]!.schema.required).toEqual(["email", "password"]);
    expect(register.content["application/json"]!.schema.properties.password).toMatchObject({ minLength: 8, maxLength: 256 });
  });

  it("takes query and path parameters from the routes", () => {
    const ops = new Map(operations(doc));
    const params = (key: string) => Object.fromEntries((ops.get(key)!.parameters ?? []).map((p) => [`${p.in}:${p.name}`, p]));
    expect(params("GET /api/events")).toMatchObject({
      "query:after": { schema: { type: "string", default: "0" } },
      "query:limit": { schema: { type: "integer", minimum: 0, maximum: 500, default: 100 } },
    });
    expect(params("GET /api/events")["query:after"]!.required).toBeUndefined();
    expect(params("GET /api/realtime")["query:ticket"]).toMatchObject({ required: true, schema: { type: "string", minLength: 1, maxLength: 512 } });
    for (const [key, op] of ops) {
      for (const [, name] of key.matchAll(/\{([^}]+)\}/g)) {
        expect(op.parameters?.find((p) => p.in === "path" && p.name === name), `${key} {${name}}`).toMatchObject({ required: true });
      }
    }
    expect(params("GET /api/integrations/{provider}/status")["path:provider"]!.schema).toEqual({ $ref: "#/components/schemas/ProviderName" });
    expect(doc.components.schemas.ProviderName).toEqual({ type: "string", enum: ["gmail", "calendar", "slack", "github"] });
  });

  it("resolves every $ref and gives each operation a unique id", () => {
    const refs = new Set<string>();
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object") {
        for (const [k, x] of Object.entries(v)) {
          if (k === "$ref" && typeof x === "string") refs.add(x);
          else walk(x);
        }
      }
    };
    walk(doc);
    expect(refs.size).toBeGreaterThan(5);
    for (const ref of refs) {
      const [, , section, name] = ref.split("/");
      expect((doc.components as Record<string, Record<string, unknown>>)[section!]?.[name!], ref).toBeDefined();
    }
    const ids = operations(doc).map(([, op]) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("the running worker keeps the document's promises", () => {
  let token: string;
  beforeAll(async () => {
    token = (await register()).accessToken;
  });

  const send = (key: string, init: { token?: string; contentType?: string; body?: string } = {}) => {
    const [method, path] = key.split(" ") as [string, string];
    const headers: Record<string, string> = { "cf-connecting-ip": uniqueIp() };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.contentType) headers["content-type"] = init.contentType;
    return SELF.fetch(`${ORIGIN}${concrete(path)}`, { method, headers, body: method === "GET" ? undefined : init.body, redirect: "manual" });
  };

  it("every operation documented as needing a bearer token refuses a request without one with 401 unauthorized", async () => {
    const bearer = operations(doc).filter(([, op]) => op.security === undefined);
    expect(bearer.length).toBeGreaterThan(10);
    for (const [key] of bearer) {
      const res = await send(key, { contentType: "application/json", body: "{}" });
      expect(res.status, key).toBe(401);
      expect((await problemOf(res)).code, key).toBe("unauthorized");
    }
  });

  it("every operation documented as public answers without a bearer token", async () => {
    const open = operations(doc).filter(([, op]) => Array.isArray(op.security) && op.security.length === 0);
    expect(open.map(([key]) => key)).toEqual(expect.arrayContaining(["GET /api/health", "POST /api/auth/login", "GET /api/openapi.json"]));
    for (const [key] of open) {
      const res = await send(key, { contentType: "application/json", body: "{}" });
      const body = await res.text();
      expect(res.status, `${key} → ${res.status} ${body.slice(0, 120)}`).toBeLessThan(500);
      if (res.status === 401) expect(JSON.parse(body).code, key).not.toBe("unauthorized");
    }
  });

  it("every operation documented with a JSON body refuses a body that is not JSON, as 400 invalid_request", async () => {
    const withBody = operations(doc).filter(([, op]) => op.requestBody);
    expect(withBody.length).toBeGreaterThanOrEqual(6);
    for (const [key] of withBody) {
      const res = await send(key, { token, contentType: "text/plain", body: '{"email":"a@b.c"}' });
      expect(res.status, key).toBe(400);
      expect((await problemOf(res)).code, key).toBe("invalid_request");
    }
  });
});
