import type { Context, Hono } from "hono";
import { findTargetHandler } from "hono/utils/handler";
import { z } from "zod";
import { version } from "../../package.json";
import { validatedBy } from "../http/validate";
import { OPERATIONS, type Operation, type Tag } from "./operations";
import { componentSchemas, schemaRef } from "./schemas";

/**
 * `GET /api/openapi.json`: the OpenAPI 3.1 document of the API, built from the
 * app's own route table. Every `/api` route of `app.routes` becomes an
 * operation; its request body and query parameters are the zod schemas its
 * `jsonBody` / `queryParams` validators check with (worker/http/validate.ts),
 * converted by zod's own `z.toJSONSchema` into JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1. Summaries, auth and responses come from
 * ./operations.ts. `/sandbox/*` is left out: it imitates other companies'
 * APIs (worker/sandbox/README.md).
 */

/** Any app, whatever its bindings: the document reads only its route table. */
type AnyHono = Hono<any, any, any>;
type Json = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  tags: { name: string; description: string }[];
  security: Record<string, string[]>[];
  paths: Record<string, Record<string, Json>>;
  components: { securitySchemes: Json; responses: Record<string, Json>; schemas: Record<string, Json> };
}

const DOCUMENTED_PREFIX = "/api/";
const BEARER_CODES = ["unauthorized", "invalid_token", "token_expired"];

const TAGS: Record<Tag, string> = {
  accounts: "Registration, sign-in, refresh rotation, the account itself.",
  realtime: "The per-user event stream: tickets, the socket, the history.",
  integrations: "OAuth connections to Gmail, Google Calendar, Slack and GitHub.",
  tools: "What the agent may call, given the live integrations.",
  sessions: "Agent sessions: conversations, their turns, checkpoints and cost.",
  knowledge: "The knowledge base: uploads, indexing, hybrid search with citations.",
  admin: "Operations for users with the admin role, or the operator's ADMIN_TOKEN: webhook deliveries and replay, the security log, an account's integrations, export and deletion, dead letters and their requeue.",
  templates: "Prompt templates with typed variables: the built-in library, your own, preview and one-step start into a chat.",
  specs: "Projects linked to GitHub, specs refined in chat and planned into a PRD, executed on a branch by a queue into a pull request; apps.",
  mcp: "The MCP server's consent and grants (the MCP endpoint itself, /mcp, and its OAuth endpoints /authorize, /token, /register and the well-known metadata are described by MCP and OAuth, not here).",
  operations: "Health and this document.",
  development: "Only with SANDBOX_PROVIDERS=true (never in production).",
};

const STATUS_TEXT: Record<number, string> = {
  400: "Bad request",
  401: "Not authenticated",
  403: "Not allowed for this user",
  404: "Not found",
  409: "Conflict with the current state",
  413: "Body too large",
  426: "Upgrade required",
  429: "Rate limited",
  500: "Server error",
  502: "The provider failed",
  503: "Server not configured for this",
};

/** Request schemas as the client sends them: defaults make a field optional, transforms are described by their input. */
function requestSchema(schema: z.ZodType): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io: "input", unrepresentable: "any" }) as Json;
  return rest;
}

/** An upload route's body: a multipart file, or the same content as JSON. */
function uploadBody(json: z.ZodType): Json {
  return {
    required: true,
    content: {
      "multipart/form-data": {
        schema: {
          type: "object",
          required: ["file"],
          properties: { file: { type: "string", contentMediaType: "application/octet-stream" }, title: { type: "string", maxLength: 200 } },
        },
      },
      "application/json": { schema: requestSchema(json) },
    },
  };
}

/** `/api/integrations/:provider/status` → `/api/integrations/{provider}/status` (a `{regex}` or `?` suffix is dropped). */
function openApiPath(path: string): string {
  return path
    .split("/")
    .map((segment) => (segment.startsWith(":") ? `{${/^:([^{?]+)/.exec(segment)?.[1] ?? segment.slice(1)}}` : segment))
    .join("/");
}

interface RouteInfo {
  method: string;
  path: string;
  body?: z.ZodType;
  query?: z.ZodType;
}

/** One entry per method and path: Hono lists each middleware and handler of a route as its own entry. */
function collectRoutes(app: AnyHono): RouteInfo[] {
  const byKey = new Map<string, RouteInfo>();
  for (const route of app.routes) {
    if (route.method === "ALL" || !route.path.startsWith(DOCUMENTED_PREFIX)) continue;
    const path = openApiPath(route.path);
    const key = `${route.method} ${path}`;
    const info = byKey.get(key) ?? { method: route.method, path };
    // A sub-app with its own onError wraps its handlers; the validator is underneath.
    const validated = validatedBy(findTargetHandler(route.handler));
    if (validated?.target === "json") info.body = validated.schema;
    if (validated?.target === "query") info.query = validated.schema;
    byKey.set(key, info);
  }
  return [...byKey.values()];
}

function queryParameters(schema: z.ZodType): Json[] {
  const json = requestSchema(schema);
  const properties = (json.properties ?? {}) as Record<string, Json>;
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return { in: "query", name, ...(required.has(name) ? { required: true } : {}), ...(description ? { description } : {}), schema: rest };
  });
}

function pathParameters(path: string): Json[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => ({
    in: "path",
    name,
    required: true,
    schema: name === "provider" ? schemaRef("ProviderName") : { type: "string" },
  }));
}

/** The shared responses, referenced from every operation that can answer them. */
const SHARED_RESPONSES = {
  Unauthenticated: { status: 401, codes: BEARER_CODES },
  InvalidRequest: { status: 400, codes: ["invalid_request"] },
  PayloadTooLarge: { status: 413, codes: ["payload_too_large"] },
  InternalError: { status: 500, codes: ["internal_error"] },
  ConfigInvalid: { status: 503, codes: ["config_invalid"] },
} as const;

function problemResponse(status: number, codes: readonly string[]): Json {
  const headers: Json = {};
  if (codes.some((c) => BEARER_CODES.includes(c))) headers["WWW-Authenticate"] = { description: "Bearer challenge (RFC 6750 §3).", schema: { type: "string" } };
  if (codes.includes("rate_limited")) headers["Retry-After"] = { description: "Seconds until another attempt may succeed.", schema: { type: "integer" } };
  return {
    description: `${STATUS_TEXT[status] ?? "Error"}: ${codes.map((c) => `\`${c}\``).join(", ")}.`,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    content: {
      "application/problem+json": {
        schema: { allOf: [schemaRef("Problem"), { type: "object", properties: { code: { enum: [...codes] } } }] },
      },
    },
  };
}

/** The problem codes of one operation: its own, plus those its middleware can answer with. */
function problemCodes(op: Operation, route: RouteInfo): Map<number, string[]> {
  const codes = new Map<number, string[]>();
  const add = (status: number, list: readonly string[]) => codes.set(status, [...new Set([...(codes.get(status) ?? []), ...list])]);
  if (route.body || op.upload || (route.query && !op.lenientQuery)) add(400, ["invalid_request"]);
  if (op.auth === "bearer") add(401, BEARER_CODES);
  for (const [status, list] of Object.entries(op.problems ?? {})) add(Number(status), list);
  if (route.body || op.upload) add(413, ["payload_too_large"]);
  add(500, ["internal_error"]);
  add(503, ["config_invalid"]);
  return new Map([...codes].sort(([a], [b]) => a - b));
}

function sharedResponseFor(status: number, codes: string[]): string | undefined {
  return Object.entries(SHARED_RESPONSES).find(([, r]) => r.status === status && r.codes.length === codes.length && r.codes.every((c) => codes.includes(c)))?.[0];
}

function operationId(method: string, path: string): string {
  const words = path
    .split("/")
    .filter((s) => s && s !== "api")
    .map((s) => (s.startsWith("{") ? `by-${s.slice(1, -1)}` : s))
    .flatMap((s) => s.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return [method.toLowerCase(), ...words.map((w) => w[0]!.toUpperCase() + w.slice(1))].join("");
}

function operation(route: RouteInfo, op: Operation): Json {
  const parameters = [...pathParameters(route.path), ...(route.query ? queryParameters(route.query) : [])];
  const responses: Json = {};
  for (const [status, success] of Object.entries(op.responses)) {
    if (!success) continue;
    responses[status] = {
      description: success.description,
      ...(success.headers
        ? { headers: Object.fromEntries(Object.entries(success.headers).map(([name, description]) => [name, { description, schema: { type: "string" } }])) }
        : {}),
      ...(success.schema ? { content: { "application/json": { schema: schemaRef(success.schema) } } } : {}),
    };
  }
  for (const [status, codes] of problemCodes(op, route)) {
    const existing = responses[status] as Json | undefined;
    const shared = sharedResponseFor(status, codes);
    if (existing) {
      // `/api/health` answers 503 with its report, and with a problem when the configuration is unsafe.
      responses[status] = { ...existing, content: { ...(existing.content as Json), ...(problemResponse(status, codes).content as Json) } };
    } else {
      responses[status] = shared ? { $ref: `#/components/responses/${shared}` } : problemResponse(status, codes);
    }
  }
  return {
    operationId: operationId(route.method, route.path),
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    ...(op.auth === "public" ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body ? { requestBody: { required: true, content: { "application/json": { schema: requestSchema(route.body) } } } } : {}),
    ...(op.upload ? { requestBody: uploadBody(op.upload.json) } : {}),
    responses,
  };
}

/**
 * Builds the document from the app's routes (call it after every route is
 * mounted). A route without an entry in ./operations.ts is still listed, with
 * its schemas and no summary; the test names it.
 */
export function buildOpenApiDocument(app: AnyHono): OpenApiDocument {
  const paths: OpenApiDocument["paths"] = {};
  for (const route of collectRoutes(app)) {
    const op: Operation = OPERATIONS[`${route.method} ${route.path}`] ?? { summary: "", tag: "operations", auth: "bearer", responses: {} };
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route, op);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "TaskPilot API",
      version,
      description:
        "JSON in and out. Errors are RFC 9457 `application/problem+json` with a stable `code` and the request id; invalid input is 400 `invalid_request` with the failing fields in `errors`. An unknown `/api` path or method is 404 `not_found`. docs/architecture.md describes the request and event paths.",
    },
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "The access token from register, login or refresh (15 minutes)." },
      },
      responses: Object.fromEntries(Object.entries(SHARED_RESPONSES).map(([name, r]) => [name, problemResponse(r.status, r.codes)])),
      schemas: componentSchemas(),
    },
  };
}

const built = new WeakMap<AnyHono, OpenApiDocument>();
let mounted: AnyHono | undefined;

/** The app `openApiDocument` was mounted on: the route table the document describes (its test compares the two). */
export function documentedApp(): AnyHono | undefined {
  return mounted;
}

/** The handler for `GET /api/openapi.json`; the document is built once per isolate, on the first request, when every route exists. */
export function openApiDocument(app: AnyHono) {
  mounted = app;
  return (c: Context) => {
    let doc = built.get(app);
    if (!doc) {
      doc = buildOpenApiDocument(app);
      built.set(app, doc);
    }
    return c.json(doc);
  };
}
