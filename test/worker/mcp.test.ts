import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { database, schema } from "../../worker/db/client";
import type { Env } from "../../worker/env";
import worker from "../../worker/index";
import { addDocument, runIndexing, type QuietEnv } from "./kb-helpers";
import { pkcePair } from "./sandbox-helpers";
import { ORIGIN } from "./sandbox-helpers";
import { routedToSandbox, sandboxUser, toolEnv } from "./tools-helpers";

vi.setConfig({ testTimeout: 30_000 });

/**
 * /mcp driven by the MCP SDK's own Client and Streamable HTTP transport,
 * after the whole OAuth 2.1 flow a client goes through: dynamic
 * registration, /authorize, the person's approval on the consent API,
 * /token with the PKCE verifier. The app runs with the sandbox providers as
 * the APIs (`toolEnv`) and PUBLIC_URL at the test origin, so the token
 * audience is `${ORIGIN}/mcp`.
 */
const mcpEnv = { ...toolEnv, PUBLIC_URL: ORIGIN } as unknown as Env;
const REDIRECT = "http://127.0.0.1:33418/callback";

async function app(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const request = new Request(typeof input === "string" && input.startsWith("/") ? `${ORIGIN}${input}` : input, { redirect: "manual", ...init });
  return routedToSandbox(async () => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(request, mcpEnv, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  });
}

const bearer = (token: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...extra });

async function register(redirectUris = [REDIRECT], name = "Test MCP client") {
  const res = await app("/register", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_name: name, redirect_uris: redirectUris, token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] }),
  });
  return { res, body: (await res.json()) as { client_id?: string; error?: string } };
}

function authorizeUrl(clientId: string, challenge: string, extra: Record<string, string> = {}) {
  const q = new URLSearchParams({ response_type: "code", client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: "S256", state: "st-1", scope: "tools", resource: `${ORIGIN}/mcp`, ...extra });
  return `/authorize?${q}`;
}

/** Register → authorize → approve as `userToken` → token: what a client holds at the end. */
async function grant(userToken: string) {
  const { body } = await register();
  const clientId = body.client_id!;
  const { verifier, challenge } = await pkcePair();
  const start = await app(authorizeUrl(clientId, challenge));
  expect(start.status).toBe(302);
  const consentUrl = new URL(start.headers.get("location")!, ORIGIN);
  expect(consentUrl.pathname).toBe("/connect/mcp");
  const handle = consentUrl.searchParams.get("request")!;
  const consent = await app(`/api/mcp/consent/${handle}`, { headers: bearer(userToken) });
  expect(consent.status).toBe(200);
  const approved = await app(`/api/mcp/consent/${handle}`, { method: "POST", headers: bearer(userToken, { "content-type": "application/json" }), body: JSON.stringify({ decision: "approve" }) });
  expect(approved.status).toBe(200);
  const back = new URL(((await approved.json()) as { redirectTo: string }).redirectTo);
  expect(back.origin + back.pathname).toBe(REDIRECT);
  expect(back.searchParams.get("state")).toBe("st-1");
  const token = await app("/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code: back.searchParams.get("code")!, redirect_uri: REDIRECT, client_id: clientId, code_verifier: verifier, resource: `${ORIGIN}/mcp` }),
  });
  expect(token.status).toBe(200);
  const tokens = (await token.json()) as { access_token: string; refresh_token: string; token_type: string };
  return { clientId, handle, consent: await consent.json(), ...tokens };
}

async function connectClient(accessToken: string) {
  const client = new Client({ name: "taskpilot-test", version: "1.0.0" }, { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() });
  const transport = new StreamableHTTPClientTransport(new URL(`${ORIGIN}/mcp`), { fetch: (url, init) => app(String(url), init as RequestInit), requestInit: { headers: bearer(accessToken) } });
  await client.connect(transport);
  return client;
}

describe("MCP: OAuth 2.1 for MCP clients, and the user's live tools over Streamable HTTP", () => {
  it("register → authorize → approve → token → initialize → tools/list shows the active integrations' tools → tools/call → disconnect → gone", async () => {
    const user = await sandboxUser(["gmail"]);
    const g = await grant(user.token);
    expect(g.consent).toMatchObject({ client: { id: g.clientId, name: "Test MCP client", redirectHost: "127.0.0.1:33418" }, scopes: ["tools"] });
    expect(g.token_type.toLowerCase()).toBe("bearer");
    expect(g.refresh_token).toBeTruthy();

    const client = await connectClient(g.access_token);
    expect(client.getServerVersion()?.name).toBe("taskpilot");
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["gmail.get_message", "gmail.search_messages", "gmail.send_email"]);
    expect(tools.find((t) => t.name === "gmail.search_messages")!.inputSchema).toMatchObject({ type: "object", properties: { query: expect.any(Object) } });

    const found = await client.callTool({ name: "gmail.search_messages", arguments: { query: "invoice" } });
    expect(found.isError).toBeFalsy();
    const result = found.structuredContent as { items: Array<{ subject: string; source: { url: string } }> };
    expect(result.items.length).toBe(2);
    expect(result.items.every((m) => /invoice/i.test(JSON.stringify(m)) && m.source.url)).toBe(true);

    // Bad arguments and a tool that does not exist are tool errors in words, not protocol failures.
    const bad = await client.callTool({ name: "gmail.search_messages", arguments: { query: 42 } });
    expect(bad.isError).toBe(true);
    expect(JSON.stringify(bad.content)).toContain("Invalid arguments for gmail.search_messages");

    // Gmail goes away: its tools leave the list, and calling one says what to connect.
    await database(mcpEnv).update(schema.integrations).set({ status: "disconnected" }).where(eq(schema.integrations.userId, user.userId));
    expect((await client.listTools()).tools).toEqual([]);
    const gone = await client.callTool({ name: "gmail.search_messages", arguments: { query: "invoice" } });
    expect(gone.isError).toBe(true);
    expect(JSON.stringify(gone.content)).toMatch(/Gmail is not connected/);
    await client.close();

    // The grant is listed with its client and last use, and revoking it ends the token.
    const list = await app("/api/mcp/grants", { headers: bearer(user.token) });
    const { grants, mcpUrl } = (await list.json()) as { grants: Array<{ id: string; clientName: string; lastUsedAt: string | null; calls: number }>; mcpUrl: string };
    expect(mcpUrl).toBe(`${ORIGIN}/mcp`);
    expect(grants).toEqual([expect.objectContaining({ clientName: "Test MCP client", lastUsedAt: expect.any(String) })]);
    expect(grants[0]!.calls).toBeGreaterThan(0);
    expect((await app(`/api/mcp/grants/${grants[0]!.id}`, { method: "DELETE", headers: bearer(user.token) })).status).toBe(204);
    const after = await app("/mcp", { method: "POST", headers: bearer(g.access_token, { "content-type": "application/json", accept: "application/json, text/event-stream" }), body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) });
    expect(after.status).toBe(401);
    // Another user cannot see or revoke someone's grant.
    const stranger = await sandboxUser([]);
    expect((await app(`/api/mcp/grants/${grants[0]!.id}`, { method: "DELETE", headers: bearer(stranger.token) })).status).toBe(404);

    // The account's security log has the approval and the revocation, with the client's name.
    const log = await database(mcpEnv).select().from(schema.auditLog).where(eq(schema.auditLog.subjectUserId, user.userId));
    const mcpRows = log.filter((r) => r.action.startsWith("mcp.")).map((r) => [r.action, r.actorType, JSON.parse(r.detail).clientName]);
    expect(mcpRows).toEqual([
      ["mcp.grant_approved", "user", "Test MCP client"],
      ["mcp.grant_revoked", "user", "Test MCP client"],
    ]);
    const registered = await database(mcpEnv).select().from(schema.auditLog).where(eq(schema.auditLog.action, "mcp.client_registered"));
    expect(registered.length).toBeGreaterThan(0);
    expect(registered.every((r) => r.subjectUserId === null && r.actorType === "mcp_client")).toBe(true);
  });

  it("knowledge-base documents are resources, and kb.search is a tool", async () => {
    const user = await sandboxUser([]);
    const q: QuietEnv = { env: mcpEnv, sent: [] };
    const doc = await addDocument({ env: { ...mcpEnv, KB_INDEX: { send: async () => undefined } as unknown as Queue }, sent: [] }, { id: user.userId, token: user.token }, "Onboarding guide", "# Onboarding\n\nEvery new hire gets a laptop on day one.");
    await runIndexing(q, { id: user.userId, token: user.token }, doc);
    const client = await connectClient((await grant(user.token)).access_token);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["kb.search"]);
    const { resources } = await client.listResources();
    expect(resources).toEqual([expect.objectContaining({ uri: `taskpilot://kb/${doc.id}`, name: "Onboarding guide", mimeType: "text/plain" })]);
    const read = await client.readResource({ uri: `taskpilot://kb/${doc.id}` });
    expect((read.contents[0] as { text: string }).text).toContain("laptop on day one");
    await expect(client.readResource({ uri: "taskpilot://kb/not-a-document" })).rejects.toThrow(/No knowledge-base document/);
    const hits = await client.callTool({ name: "kb.search", arguments: { query: "laptop" } });
    expect(hits.isError).toBeFalsy();
    expect(JSON.stringify(hits.structuredContent)).toContain("laptop");
    await client.close();
  });
});

describe("MCP: the account export", () => {
  it("lists every client given access, with its scopes and last use, and never a token", async () => {
    const user = await sandboxUser(["gmail"]);
    const used = await grant(user.token);
    const idle = await grant(user.token);
    const client = await connectClient(used.access_token);
    await client.callTool({ name: "gmail.search_messages", arguments: { query: "invoice" } });
    await client.close();

    const res = await app("/api/me/export", { headers: bearer(user.token) });
    expect(res.status).toBe(200);
    const text = await res.text();
    const { mcpGrants } = JSON.parse(text) as { mcpGrants: Array<{ clientId: string; clientName: string; scopes: string[]; lastUsedAt: string | null; calls: number }> };
    const byClient = new Map(mcpGrants.map((g) => [g.clientId, g]));
    expect(mcpGrants).toHaveLength(2);
    expect(byClient.get(used.clientId)).toMatchObject({ clientName: "Test MCP client", scopes: ["tools"], lastUsedAt: expect.any(String) });
    expect(byClient.get(used.clientId)!.calls).toBeGreaterThan(0);
    expect(byClient.get(idle.clientId)).toMatchObject({ clientName: "Test MCP client", lastUsedAt: null, calls: 0 });
    for (const secret of [used.access_token, used.refresh_token, idle.access_token, idle.refresh_token]) expect(text).not.toContain(secret);
  });
});

describe("MCP: an account that is deleted", () => {
  it("takes its grants with it: the client's token is refused", async () => {
    const user = await sandboxUser([]);
    const g = await grant(user.token);
    const del = await app("/api/me", { method: "DELETE", headers: bearer(user.token, { "content-type": "application/json" }), body: JSON.stringify({ password: "correct horse battery" }) });
    expect(del.status).toBe(204);
    const after = await app("/mcp", { method: "POST", headers: bearer(g.access_token, { "content-type": "application/json", accept: "application/json, text/event-stream" }), body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) });
    expect(after.status).toBe(401);
    const refreshed = await app("/token", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: g.refresh_token, client_id: g.clientId }) });
    expect(refreshed.status).toBe(400);
  });
});

describe("MCP: bad input", () => {
  it("no token, or a malformed one → 401 naming the resource metadata; the metadata is served", async () => {
    for (const headers of [{}, bearer("not-a-token")]) {
      const res = await app("/mcp", { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain(`resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource`);
    }
    const prm = (await (await app("/.well-known/oauth-protected-resource/mcp")).json()) as { resource: string; authorization_servers: string[] };
    expect(prm).toMatchObject({ resource: `${ORIGIN}/mcp`, authorization_servers: [ORIGIN] });
    const as = (await (await app("/.well-known/oauth-authorization-server")).json()) as Record<string, unknown>;
    expect(as).toMatchObject({ issuer: ORIGIN, authorization_endpoint: `${ORIGIN}/authorize`, token_endpoint: `${ORIGIN}/token`, registration_endpoint: `${ORIGIN}/register` });
    expect(as.code_challenge_methods_supported).toContain("S256");
  });

  it("malformed JSON-RPC gets a JSON-RPC error, not a 500", async () => {
    const user = await sandboxUser([]);
    const { access_token } = await grant(user.token);
    const headers = bearer(access_token, { "content-type": "application/json", accept: "application/json, text/event-stream" });
    const broken = await app("/mcp", { method: "POST", headers, body: "{not json" });
    expect(broken.status).toBeLessThan(500);
    expect(((await broken.json()) as { error: { code: number } }).error.code).toBe(-32700);
    const notRpc = await app("/mcp", { method: "POST", headers, body: JSON.stringify({ hello: "world" }) });
    expect(notRpc.status).toBeLessThan(500);
    expect(((await notRpc.json()) as { error: { code: number } }).error).toBeDefined();
  });

  it("registration refuses a redirect URI that is neither https nor loopback", async () => {
    for (const uri of ["http://evil.example/cb", "javascript:alert(1)", "ftp://x/cb", "https://ok.example/cb#frag"]) {
      const { res, body } = await register([uri]);
      expect(res.status, uri).toBe(400);
      expect(body.error, uri).toMatch(/^invalid_(redirect_uri|client_metadata)$/);
    }
    // A private-use scheme alone could never be used by a request; next to a loopback one (as Cursor registers), fine.
    const privateOnly = await register(["com.example.app:/oauth"]);
    expect(privateOnly.res.status).toBe(400);
    expect((await register(["cursor://anysphere.cursor-retrieval/oauth/callback", "http://127.0.0.1:5173/callback"])).res.status).toBe(201);
    expect((await register(["https://claude.ai/api/mcp/auth_callback"])).res.status).toBe(201);
    expect((await register(["http://localhost:6274/oauth/callback"])).res.status).toBe(201);
    // The same path is the web app's sign-up page for a browser.
    const page = await app("/register", { headers: { accept: "text/html" } });
    expect([page.status, page.headers.get("content-type")]).toEqual([200, "text/html; charset=utf-8"]);
  });

  it("authorize requires PKCE S256 and this deployment's /mcp as the resource; a denial goes back as access_denied; a consent is answered once", async () => {
    const user = await sandboxUser([]);
    const { body } = await register();
    const clientId = body.client_id!;
    const { challenge } = await pkcePair();
    const plain = await app(authorizeUrl(clientId, "a".repeat(43), { code_challenge_method: "plain" }));
    expect(new URL(plain.headers.get("location")!).searchParams.get("error")).toBe("invalid_request");
    const noPkce = new URLSearchParams({ response_type: "code", client_id: clientId, redirect_uri: REDIRECT, state: "s" });
    const missing = await app(`/authorize?${noPkce}`);
    expect(new URL(missing.headers.get("location")!, ORIGIN).searchParams.get("error")).toBe("invalid_request");
    const foreign = await app(authorizeUrl(clientId, challenge, { resource: "https://other.example/mcp" }));
    expect(new URL(foreign.headers.get("location")!, ORIGIN).searchParams.get("error")).toMatch(/invalid_target|invalid_request/);
    // An unknown client or an unregistered redirect URI is never redirected to: the consent page shows the error.
    const unknown = await app(authorizeUrl("no-such-client", challenge));
    expect(new URL(unknown.headers.get("location")!, ORIGIN).pathname).toBe("/connect/mcp");
    const elsewhere = await app(authorizeUrl(clientId, challenge, { redirect_uri: "https://evil.example/cb" }));
    const shown = new URL(elsewhere.headers.get("location")!, ORIGIN);
    expect([shown.pathname, shown.searchParams.has("error")]).toEqual(["/connect/mcp", true]);

    const start = await app(authorizeUrl(clientId, challenge));
    const handle = new URL(start.headers.get("location")!, ORIGIN).searchParams.get("request")!;
    const deny = await app(`/api/mcp/consent/${handle}`, { method: "POST", headers: bearer(user.token, { "content-type": "application/json" }), body: JSON.stringify({ decision: "deny" }) });
    const denied = new URL(((await deny.json()) as { redirectTo: string }).redirectTo);
    expect([denied.searchParams.get("error"), denied.searchParams.get("state")]).toEqual(["access_denied", "st-1"]);
    const again = await app(`/api/mcp/consent/${handle}`, { method: "POST", headers: bearer(user.token, { "content-type": "application/json" }), body: JSON.stringify({ decision: "approve" }) });
    expect(again.status).toBe(404);
    expect((await app(`/api/mcp/consent/${handle}`, { headers: {} })).status).toBe(401);
    expect((await app("/api/mcp/consent/short", { headers: bearer(user.token) })).status).toBe(404);
  });

  it("a code needs its verifier and is single use (a replay revokes what it gave); a refresh token rotates", async () => {
    const user = await sandboxUser([]);
    const { body } = await register();
    const clientId = body.client_id!;
    const { verifier, challenge } = await pkcePair();
    const start = await app(authorizeUrl(clientId, challenge));
    const handle = new URL(start.headers.get("location")!, ORIGIN).searchParams.get("request")!;
    const approved = await app(`/api/mcp/consent/${handle}`, { method: "POST", headers: bearer(user.token, { "content-type": "application/json" }), body: JSON.stringify({ decision: "approve" }) });
    const code = new URL(((await approved.json()) as { redirectTo: string }).redirectTo).searchParams.get("code")!;
    const form = (params: Record<string, string>) => app("/token", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(params) });
    const exchange = (v: string) => form({ grant_type: "authorization_code", code, redirect_uri: REDIRECT, client_id: clientId, code_verifier: v });
    const wrong = await exchange("wrong-verifier-".padEnd(43, "x"));
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toBe("invalid_grant");
    const ok = await exchange(verifier);
    expect(ok.status).toBe(200);
    const tokens = (await ok.json()) as { refresh_token: string; access_token: string };

    const rotated = await form({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: clientId });
    expect(rotated.status, await rotated.clone().text()).toBe(200);
    const next = (await rotated.json()) as { refresh_token: string; access_token: string };
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    const client = await connectClient(next.access_token);
    expect((await client.listTools()).tools).toEqual([]);
    await client.close();

    // The code again: refused, and the grant it produced is revoked with every token of it.
    expect((await exchange(verifier)).status).toBe(400);
    const after = await app("/mcp", { method: "POST", headers: bearer(next.access_token, { "content-type": "application/json", accept: "application/json, text/event-stream" }), body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) });
    expect(after.status).toBe(401);
  });
});
