// The MCP endpoint over the real stack (the bundled worker in Miniflare, OAUTH_KV, the sandbox Gmail): a client that
// went through registration, /authorize, the person's approval and /token, then tools/list and a tools/call of
// gmail.search_messages with the MCP SDK's own client, next to the bare route measured in the same run.
import { createHash, randomBytes } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { connectSandboxGmail } from "./sessions.mjs";
import { summarize } from "./stats.mjs";

const SAMPLES = Number(process.env.BENCH_MCP_SAMPLES ?? 200);
const WARMUP = 20;
const REDIRECT = "http://127.0.0.1:1/callback";

async function ok(res, what) {
  if (res.status >= 400) throw new Error(`${what} → ${res.status} ${await res.text()}`);
  return res;
}

/** Register → authorize → approve (as the user) → token: the access token a client holds. */
export async function mcpToken(base, userToken) {
  const reg = await (await ok(await fetch(`${base}/register`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ client_name: "bench", redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" }) }), "register")).json();
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const q = new URLSearchParams({ response_type: "code", client_id: reg.client_id, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: "S256", state: "b", resource: `${base}/mcp` });
  const start = await fetch(`${base}/authorize?${q}`, { redirect: "manual" });
  const handle = new URL(start.headers.get("location"), base).searchParams.get("request");
  if (!handle) throw new Error(`authorize → ${start.status} ${start.headers.get("location")}`);
  const decided = await (await ok(await fetch(`${base}/api/mcp/consent/${handle}`, { method: "POST", headers: { authorization: `Bearer ${userToken}`, "content-type": "application/json" }, body: JSON.stringify({ decision: "approve" }) }), "consent")).json();
  const code = new URL(decided.redirectTo).searchParams.get("code");
  const token = await (await ok(await fetch(`${base}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT, client_id: reg.client_id, code_verifier: verifier }) }), "token")).json();
  return token.access_token;
}

export async function mcpBench(server, register, progress) {
  progress(`mcp: OAuth flow, then ${SAMPLES} × tools/list, tools/call and the bare route`);
  const { accessToken } = await register(server.url);
  await connectSandboxGmail(server.url, accessToken);
  const token = await mcpToken(server.url, accessToken);
  const client = new Client({ name: "bench", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  const bare = [];
  const list = [];
  const call = [];
  let toolCount = 0;
  try {
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      let t = performance.now();
      await (await fetch(`${server.url}/api/bench-floor`, { method: "POST" })).text();
      const b = performance.now() - t;
      t = performance.now();
      const { tools } = await client.listTools();
      const l = performance.now() - t;
      toolCount = tools.length;
      t = performance.now();
      const result = await client.callTool({ name: "gmail.search_messages", arguments: { query: "invoice" } });
      const c = performance.now() - t;
      if (result.isError) throw new Error(`tools/call failed: ${JSON.stringify(result.content)}`);
      if (i >= WARMUP) (bare.push(b), list.push(l), call.push(c));
    }
  } finally {
    await client.close();
  }
  const floor = summarize(bare);
  const listed = summarize(list);
  const called = summarize(call);
  return {
    measuredAt: new Date().toISOString(),
    method:
      `bundled worker in Miniflare, the MCP SDK's Client over Streamable HTTP from Node on 127.0.0.1, one request at a time, ${SAMPLES} rounds after ${WARMUP} warm-up rounds; ` +
      "each round: a POST to an unrouted /api path (every middleware, no auth: 404), tools/list (token check in KV, the live tool set from D1), and tools/call gmail.search_messages against the sandbox Gmail (plus the sandbox's own HTTP round trip); milliseconds",
    tools: toolCount,
    bareRoute: floor,
    toolsList: listed,
    toolsCall: called,
    p95Ratio: { toolsList: Math.round((listed.p95 / floor.p95) * 100) / 100, toolsCall: Math.round((called.p95 / floor.p95) * 100) / 100 },
  };
}

export function printMcpTables(m, printTable) {
  printTable([
    ["MCP (ms)", "samples", "p50", "p95", "max"],
    ["floor: HTTP → worker → unrouted path", ...Object.values(m.bareRoute).map(String)],
    [`tools/list (${m.tools} tools)`, ...Object.values(m.toolsList).map(String)],
    ["tools/call gmail.search_messages (sandbox)", ...Object.values(m.toolsCall).map(String)],
  ]);
  console.log(`\np95 vs the floor: tools/list ${m.p95Ratio.toolsList}×, tools/call ${m.p95Ratio.toolsCall}×\n`);
}
