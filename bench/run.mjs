// `npm run bench`: publish → received latency over the real stack (the
// worker bundle as `wrangler deploy` builds it, run by Miniflare/workerd:
// UserHub Durable Object, D1, WebSocket) on 1, 10 and 100 sockets of one user, next to the floor of a bare Durable Object round trip
// measured in the same run; and GET /api/integrations throughput next to the bare route, for this bundle and for the
// bundle of a baseline commit (BENCH_BASELINE) in the same run; and the agent's pure figures (bench/agent.mjs: tool-list
// payload in tokens, offline-planner step time). Prints tables and writes bench/results.json. BENCH_ONLY=agent measures
// only the agent's figures and replaces just that section of bench/results.json; BENCH_ONLY=sessions does the same for
// session init vs a bare D1 insert and the offline-planner turn (bench/sessions.mjs); BENCH_ONLY=kb for the knowledge
// base (bench/kb.mjs: ingest MB/s, search p50/p95 per mode at 1k, 10k and 100k chunks, recall@10 against an exact scan);
// BENCH_ONLY=templates for the template preview (bench/templates.mjs: the generator cold and cached, the route vs the bare route);
// BENCH_ONLY=webhooks for the receivers (bench/webhooks.mjs: verify + store + enqueue vs the bare route); BENCH_ONLY=specs for
// spec → pull request wall time and GitHub calls per spec (bench/specs.mjs, a worker of its own that counts outbound calls);
// BENCH_ONLY=mcp for tools/list and tools/call over /mcp with the MCP SDK's client next to the bare route (bench/mcp.mjs);
// BENCH_ONLY=audit for the sign-in with the audit row next to the bundle before the audit log (bench/audit.mjs);
// BENCH_ONLY=load for N simulated users (default 100) with a socket each and a mix of API calls for a bounded time:
// throughput, p50/p95/p99 per route next to the bare route, errors, sockets held and events lost (bench/load.mjs;
// BENCH_LOAD_USERS, BENCH_LOAD_DURATION, BENCH_LOAD_SEED, BENCH_LOAD_THINK_MS); a load run with an error, a lost event
// or a dropped socket makes the bench exit non-zero.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { Miniflare } from "miniflare";
import { generateSecrets, OFFLINE_ENV, PROJECT_ROOT } from "../scripts/lib/dev-server.mjs";
import { createServer } from "node:net";
import { agentBench, printAgentTables } from "./agent.mjs";
import { kbBench, printKbTables } from "./kb.mjs";
import { printTemplateTables, templatesBench } from "./templates.mjs";
import { printWebhookTables, webhooksBench } from "./webhooks.mjs";
import { githubCounter, printSpecTables, specsBench } from "./specs.mjs";
import { mcpBench, printMcpTables } from "./mcp.mjs";
import { AUDIT_BASELINE, auditBench, printAuditTables } from "./audit.mjs";
import { loadBench, loadOptionsFrom, printLoadTables } from "./load.mjs";
import { connectSandboxGmail, plannerTurn, sessionInit } from "./sessions.mjs";
import { summarize } from "./stats.mjs";
import { integrationsVsFloor } from "./throughput.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const EVENTS_PER_RUN = Number(process.env.BENCH_EVENTS ?? 1000);
const CLIENT_DEFLATE = process.env.BENCH_DEFLATE === "1";
const SOCKET_COUNTS = [1, 10, 100];
const FLOOR_SAMPLES = 1000;
const WARMUP = 50;
const TARGET_P95_MS = 20;
const DELIVERY_TIMEOUT_MS = 10_000;
/**
 * The commit just before the authenticated hot path stopped reading the user
 * row per request (and re-importing the HMAC key, and rebuilding the drizzle
 * handle): the "before" of the GET /api/integrations figure. BENCH_BASELINE
 * names another commit, or `none` to skip it.
 */
const DEFAULT_BASELINE = "3b584839551d87ed130894f55c67807cac49f20d";
const BASELINE = process.env.BENCH_BASELINE ?? DEFAULT_BASELINE;
const HTTP_SLICES = Number(process.env.BENCH_HTTP_SLICES ?? 20);
const HTTP_SLICE_SIZE = 100;
const HTTP_CONCURRENCY = Number(process.env.BENCH_HTTP_CONCURRENCY ?? 4);
const HTTP_WARMUP = 100;

async function api(base, path, { token, body, method = "POST" } = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
  return res.json();
}

async function openSocket(base, token) {
  const { ticket } = await api(base, "/api/realtime/ticket", { token });
  // All sockets share this one Node process, whose ws client inflates compressed frames on a small shared
  // zlib queue: with 100 sockets that queue, not the hub, dominated the figures. A browser tab inflates only
  // its own frames, so compression is off by default here; BENCH_DEFLATE=1 measures with it.
  const ws = new WebSocket(`${base.replace(/^http/, "ws")}/api/realtime?ticket=${encodeURIComponent(ticket)}`, {
    perMessageDeflate: CLIENT_DEFLATE,
  });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  return ws;
}

/** Publishes one event at a time and waits until every socket has it, so latency is never queueing. */
async function publishRun(base, token, socketCount, events) {
  const sockets = await Promise.all(Array.from({ length: socketCount }, () => openSocket(base, token)));
  const pending = new Map();
  for (const ws of sockets) {
    ws.on("message", (data) => {
      const at = performance.now();
      const frame = JSON.parse(data.toString());
      const waiting = pending.get(frame.message);
      if (!waiting) return;
      waiting.arrivals.push(at - waiting.sentAt);
      if (waiting.arrivals.length === socketCount) waiting.done();
    });
  }
  const perDelivery = [];
  const lastSocket = [];
  for (let i = 0; i < WARMUP + events; i++) {
    const message = `bench-${socketCount}-${i}`;
    const arrived = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`event ${message} not delivered to all ${socketCount} sockets in ${DELIVERY_TIMEOUT_MS} ms`)), DELIVERY_TIMEOUT_MS);
      pending.set(message, { sentAt: 0, arrivals: [], done: () => (clearTimeout(timer), resolve()) });
    });
    pending.get(message).sentAt = performance.now();
    const response = api(base, "/api/realtime/test-event", { token, body: { jobId: "bench", status: "bench", message } });
    await Promise.all([arrived, response]);
    const { arrivals } = pending.get(message);
    pending.delete(message);
    if (i < WARMUP) continue;
    perDelivery.push(...arrivals);
    lastSocket.push(Math.max(...arrivals));
  }
  await Promise.all(sockets.map((ws) => new Promise((resolve) => (ws.once("close", resolve), ws.close(1000)))));
  return { sockets: socketCount, events, delivery: summarize(perDelivery), allSocketsReached: summarize(lastSocket) };
}

/** HTTP → worker → UserHub RPC ping → HTTP: the same path as a publish, minus the work. */
async function hubFloor(base, token) {
  const samples = [];
  for (let i = 0; i < WARMUP + FLOOR_SAMPLES; i++) {
    const started = performance.now();
    await api(base, "/api/realtime/test-ping", { token });
    if (i >= WARMUP) samples.push(performance.now() - started);
  }
  return summarize(samples);
}

/** A ping the hub's own handler answers (not the auto-response): client → Durable Object → client. */
async function socketFloor(base, token) {
  const ws = await openSocket(base, token);
  const samples = [];
  for (let i = 0; i < WARMUP + FLOOR_SAMPLES; i++) {
    const started = performance.now();
    await new Promise((resolve) => {
      ws.once("message", resolve);
      ws.send('{ "type": "ping" }');
    });
    if (i >= WARMUP) samples.push(performance.now() - started);
  }
  ws.close(1000);
  return summarize(samples);
}

/**
 * The worker exactly as deployed (`wrangler deploy --dry-run` bundle) in
 * Miniflare, with in-memory D1 and Durable Objects. Unlike `wrangler dev`
 * there is no proxy worker relaying every WebSocket frame and no file
 * watcher to restart the worker mid-run, so what is measured is our code
 * and workerd. `projectDir` is this checkout, or a baseline's.
 */
/** A free loopback port, so PUBLIC_URL can name the worker's own origin (the sandbox OAuth flow redirects there). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function startBundledWorker(projectDir = PROJECT_ROOT, label = "this checkout", { outbound } = {}) {
  progress(`bundling the worker (${label})`);
  const out = mkdtempSync(join(tmpdir(), "taskpilot-bench-"));
  execFileSync(process.execPath, [join(PROJECT_ROOT, "node_modules", "wrangler", "bin", "wrangler.js"), "deploy", "--dry-run", "--outdir", out], {
    cwd: projectDir,
    env: { ...process.env, ...OFFLINE_ENV },
    stdio: "pipe",
  });
  progress(`starting the worker (${label})`);
  const port = await freePort();
  const secrets = generateSecrets();
  const mf = new Miniflare({
    host: "127.0.0.1",
    port,
    modules: true,
    modulesRoot: out,
    scriptPath: join(out, "index.js"),
    compatibilityDate: "2026-04-20",
    compatibilityFlags: ["nodejs_compat"],
    bindings: { APP_ENV: "development", SANDBOX_PROVIDERS: "true", LOG_LEVEL: "warn", PUBLIC_URL: `http://127.0.0.1:${port}`, ...secrets },
    d1Databases: { DB: "taskpilot-bench" },
    durableObjects: {
      USER_HUB: { className: "UserHub", useSQLite: true },
      AGENT_SESSION: { className: "AgentSession", useSQLite: true },
      // Connecting an integration runs in its flight; a baseline bundle from before that class has no such binding.
      ...(/\bIntegrationFlight\b/.test(readFileSync(join(out, "index.js"), "utf8")) ? { INTEGRATION_FLIGHT: { className: "IntegrationFlight", useSQLite: true } } : {}),
      ...(/\bKnowledgeIndex\b/.test(readFileSync(join(out, "index.js"), "utf8")) ? { KB_VECTORS: { className: "KnowledgeIndex", useSQLite: true } } : {}),
      // The metrics shards, as in wrangler.toml (a bundle from before them has no such class).
      ...(/\bMetricsStore\b/.test(readFileSync(join(out, "index.js"), "utf8")) ? { METRICS: { className: "MetricsStore", useSQLite: true } } : {}),
    },
    r2Buckets: { KB_FILES: "taskpilot-kb-files" },
    kvNamespaces: { OAUTH_KV: "taskpilot-oauth" },
    // The worker's own outbound requests (to the sandbox providers at PUBLIC_URL), for a section that counts them.
    ...(outbound ? { outboundService: outbound } : {}),
    queueProducers: { KB_INDEX: "taskpilot-kb-index", SPEC_EXEC: "taskpilot-spec-exec", PR_CREATE: "taskpilot-pr-create", WEBHOOKS: "taskpilot-webhooks" },
    // The knowledge base's indexing runs on its queue, as in wrangler.toml.
    queueConsumers: {
      "taskpilot-kb-index": { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 3, deadLetterQueue: "taskpilot-kb-index-dlq" },
      "taskpilot-kb-index-dlq": { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 3 },
      "taskpilot-webhooks": { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 5, deadLetterQueue: "taskpilot-webhooks-dlq" },
      "taskpilot-webhooks-dlq": { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 3 },
      "taskpilot-spec-exec": { maxBatchSize: 1, maxBatchTimeout: 1, maxRetries: 3, deadLetterQueue: "taskpilot-spec-exec-dlq" },
      "taskpilot-spec-exec-dlq": { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 3 },
      "taskpilot-pr-create": { maxBatchSize: 5, maxBatchTimeout: 1, maxRetries: 5, deadLetterQueue: "taskpilot-pr-create-dlq" },
      "taskpilot-pr-create-dlq": { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 3 },
    },
  });
  const url = await mf.ready;
  const db = await mf.getD1Database("DB");
  const migrations = join(projectDir, "drizzle");
  for (const file of readdirSync(migrations).filter((f) => f.endsWith(".sql")).sort()) {
    const statements = readFileSync(join(migrations, file), "utf8").split("--> statement-breakpoint").map((x) => x.trim()).filter(Boolean);
    await db.batch(statements.map((x) => db.prepare(x)));
  }
  return {
    url: url.origin,
    db,
    secrets,
    stop: async () => {
      await mf.dispose();
      rmSync(out, { recursive: true, force: true });
    },
  };
}

const git = (...args) => execFileSync("git", ["-C", PROJECT_ROOT, ...args], { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 256 * 1024 * 1024 });

/**
 * The baseline commit's files in a temporary directory (`git archive`, so the
 * repository is left as it is), sharing this checkout's node_modules and
 * built web assets; `{ skipped }` with the reason when it cannot be had.
 */
function baselineCheckout(ref) {
  if (ref === "none" || ref === "") return { skipped: "BENCH_BASELINE=none" };
  let commit;
  try {
    commit = git("rev-parse", "--verify", `${ref}^{commit}`).toString().trim();
  } catch {
    return { skipped: `baseline ${ref} is not a commit of this repository` };
  }
  const dir = mkdtempSync(join(tmpdir(), "taskpilot-bench-baseline-"));
  execFileSync("tar", ["-x", "-C", dir], { input: git("archive", "--format=tar", commit) });
  symlinkSync(join(PROJECT_ROOT, "node_modules"), join(dir, "node_modules"));
  symlinkSync(join(PROJECT_ROOT, "dist"), join(dir, "dist"));
  return { dir, commit, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function printTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  "));
}

async function register(base) {
  const email = `bench-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`;
  return api(base, "/api/auth/register", { body: { email, password: "bench password 123" } });
}

/** GET /api/integrations vs the floor on this bundle and, when there is one, the baseline's. */
async function httpThroughput(current) {
  const baseline = baselineCheckout(BASELINE);
  const bundles = [];
  let baselineServer;
  try {
    if (baseline.dir) {
      baselineServer = await startBundledWorker(baseline.dir, `baseline ${baseline.commit.slice(0, 12)}`);
      bundles.push({ label: "before", commit: baseline.commit, url: baselineServer.url, accessToken: (await register(baselineServer.url)).accessToken });
    } else {
      progress(`no before figure: ${baseline.skipped}`);
    }
    bundles.push({ label: "after", commit: currentCommit(), url: current.url, accessToken: (await register(current.url)).accessToken });
    const results = await integrationsVsFloor(bundles, {
      slices: HTTP_SLICES,
      sliceSize: HTTP_SLICE_SIZE,
      concurrency: HTTP_CONCURRENCY,
      warmup: HTTP_WARMUP,
      progress,
    });
    return { baselineSkipped: baseline.skipped, results };
  } finally {
    await baselineServer?.stop();
    baseline.remove?.();
  }
}

/** Sign-in with the audit log (this bundle) next to the bundle of the commit before it, in the same run. */
async function auditVsBaseline(current) {
  const baseline = baselineCheckout(process.env.BENCH_AUDIT_BASELINE ?? AUDIT_BASELINE);
  let server;
  try {
    if (baseline.dir) server = await startBundledWorker(baseline.dir, `baseline ${baseline.commit.slice(0, 12)}`);
    else progress(`no before figure: ${baseline.skipped}`);
    return await auditBench(current, server ? { url: server.url, commit: baseline.commit } : undefined, progress);
  } finally {
    await server?.stop();
    baseline.remove?.();
  }
}

function currentCommit() {
  try {
    const head = git("rev-parse", "HEAD").toString().trim();
    return git("status", "--porcelain", "--untracked-files=no").toString().trim() ? `${head}+changes` : head;
  } catch {
    return "unknown";
  }
}

const progress = (step) => process.stderr.write(`bench: ${step}\n`);

const SESSION_SAMPLES = Number(process.env.BENCH_SESSIONS ?? 200);
const TURN_SAMPLES = Number(process.env.BENCH_TURNS ?? 100);

/** Session init next to a bare D1 insert, then offline-planner turns with one Sandbox Gmail call, on one fresh user. */
async function sessionsBench(server) {
  const { accessToken } = await register(server.url);
  progress(`session init × ${SESSION_SAMPLES} (and the bare D1 insert floor)`);
  const init = await sessionInit(server.url, accessToken, server.db, { samples: SESSION_SAMPLES, warmup: 20 });
  progress("connecting Sandbox Gmail");
  await connectSandboxGmail(server.url, accessToken);
  progress(`offline-planner turn with one sandbox tool call × ${TURN_SAMPLES}`);
  const turn = await plannerTurn(server.url, accessToken, { samples: TURN_SAMPLES, warmup: 10 });
  return {
    measuredAt: new Date().toISOString(),
    method:
      "bundled worker in Miniflare, one request at a time from Node on 127.0.0.1. sessionInit: POST /api/sessions (auth, the AgentSession Durable Object, its row, first checkpoint and D1 mirror) " +
      "interleaved with two floors: one INSERT into a scratch D1 table through Miniflare's D1 binding from Node (the target's floor; the binding proxy adds its own cost), and a POST to an unrouted /api path (every middleware, no auth, no storage); 20 warm-up rounds not counted. " +
      "turn: POST /api/sessions/{id}/messages \"search my email for invoice\" on a fresh session each (created outside the timing), no OPENAI_API_KEY so the offline planner runs: " +
      "model step → gmail.search_messages against Sandbox Gmail (connected through the sandbox consent flow) → model step → reply; 10 warm-up turns not counted",
    ...init,
    offlinePlannerTurn: turn,
  };
}

function printSessionTables(sessions) {
  printTable([
    ["agent sessions", "samples", "p50 ms", "p95 ms", "max ms"],
    ["floor: bare D1 insert (Node → Miniflare D1 binding)", ...Object.values(sessions.bareD1Insert).map(String)],
    ["floor: HTTP → worker → unrouted path (404)", ...Object.values(sessions.bareHttpRoute).map(String)],
    ["session init (POST /api/sessions)", ...Object.values(sessions.sessionInit).map(String)],
    ["offline-planner turn, one sandbox tool call", ...Object.values(sessions.offlinePlannerTurn.turn).map(String)],
  ]);
  console.log(`\ntarget: session init p95 ≤ 2× the floor's p95 → ${sessions.p95Ratio}× (${sessions.met ? "met" : "NOT met"})\n`);
}

/** One section of bench/results.json measured on its own (BENCH_ONLY=<name>), the others left as they are. */
async function sectionOnly(name, measure, print, options) {
  const server = await startBundledWorker(PROJECT_ROOT, "this checkout", options);
  try {
    const section = await measure(server);
    print(section);
    writeSection(name, section);
  } finally {
    await server.stop();
  }
}

function writeSection(name, section) {
  const file = join(HERE, "results.json");
  const previous = JSON.parse(readFileSync(file, "utf8"));
  writeFileSync(file, `${JSON.stringify({ ...previous, [name]: section }, null, 2)}\n`);
  console.log(`wrote the ${name} section of ${join("bench", "results.json")}`);
}

const SECTIONS = {
  sessions: () => sectionOnly("sessions", (server) => sessionsBench(server), printSessionTables),
  kb: () => sectionOnly("kb", (server) => kbBench(server, register, progress), (kb) => printKbTables(kb, printTable)),
  templates: () => sectionOnly("templates", (server) => templatesBench(server, register, progress), (t) => printTemplateTables(t, printTable)),
  webhooks: () => sectionOnly("webhooks", (server) => webhooksBench(server, progress), (w) => printWebhookTables(w, printTable)),
  audit: () => sectionOnly("audit", (server) => auditVsBaseline(server), (a) => printAuditTables(a, printTable)),
  mcp: () => sectionOnly("mcp", (server) => mcpBench(server, register, progress), (m) => printMcpTables(m, printTable)),
  load: () => sectionOnly("load", (server) => loadBench(server, progress, loadOptionsFrom()), printLoad),
  specs: () => {
    const counter = githubCounter();
    return sectionOnly("specs", (server) => specsBench(server, register, progress, counter), (s) => printSpecTables(s, printTable), { outbound: counter.outbound });
  },
};

/** The load run's tables; a run that lost an event, dropped a socket or saw an error fails the bench. */
function printLoad(load) {
  printLoadTables(load, printTable);
  if (!load.passed) process.exitCode = 1;
}

async function agentOnly() {
  progress("agent: tool payload, offline planner");
  const agent = { measuredAt: new Date().toISOString(), ...(await agentBench()) };
  printAgentTables(agent, printTable);
  writeSection("agent", agent);
}

async function main() {
  const only = process.env.BENCH_ONLY;
  if (only === "agent") return agentOnly();
  if (only) {
    if (!SECTIONS[only]) throw new Error(`BENCH_ONLY=${only}: expected agent, ${Object.keys(SECTIONS).join(", ")}`);
    return SECTIONS[only]();
  }
  const loadBefore = loadavg()[0];
  // Pure and quick: measured before the worker starts, so nothing else competes for the CPU.
  progress("agent: tool payload, offline planner");
  const agent = { measuredAt: new Date().toISOString(), ...(await agentBench()) };
  const server = await startBundledWorker();
  try {
    const http = await httpThroughput(server);
    const sessions = await sessionsBench(server);
    const kb = await kbBench(server, register, progress);
    const templates = await templatesBench(server, register, progress);
    const webhooks = await webhooksBench(server, progress);
    const mcp = await mcpBench(server, register, progress);
    const auditCost = await auditVsBaseline(server);
    const load = await loadBench(server, progress, loadOptionsFrom());
    const { accessToken } = await register(server.url);
    progress("floors");
    const floors = { httpHubRoundTrip: await hubFloor(server.url, accessToken), socketHubRoundTrip: await socketFloor(server.url, accessToken) };
    const runs = [];
    for (const count of SOCKET_COUNTS) {
      progress(`${count} socket(s) × ${EVENTS_PER_RUN} events`);
      runs.push(await publishRun(server.url, accessToken, count, EVENTS_PER_RUN));
    }

    printTable([
      ["measurement", "samples", "p50 ms", "p95 ms", "max ms"],
      ["floor: HTTP → worker → hub ping", ...Object.values(floors.httpHubRoundTrip).map(String)],
      ["floor: socket → hub handler → socket", ...Object.values(floors.socketHubRoundTrip).map(String)],
      ...runs.flatMap((r) => [
        [`publish → received, ${r.sockets} socket(s), each delivery`, ...Object.values(r.delivery).map(String)],
        [`publish → received, ${r.sockets} socket(s), last socket`, ...Object.values(r.allSocketsReached).map(String)],
      ]),
    ]);
    const hundred = runs.find((r) => r.sockets === 100);
    const met = hundred.delivery.p95 <= TARGET_P95_MS;
    console.log(`\ntarget: p95 ≤ ${TARGET_P95_MS} ms for 100 sockets → ${hundred.delivery.p95} ms (${met ? "met" : "NOT met"})\n`);

    printTable([
      ["GET /api/integrations vs bare route", "commit", "req/s", "p50 ms", "p95 ms", "floor req/s", "floor p50", "floor p95", "ratio"],
      ...http.results.map((r) => [
        r.label,
        r.commit.slice(0, 12),
        String(r.integrations.requestsPerSecond),
        String(r.integrations.latency.p50),
        String(r.integrations.latency.p95),
        String(r.floor.requestsPerSecond),
        String(r.floor.latency.p50),
        String(r.floor.latency.p95),
        String(r.ratio),
      ]),
    ]);
    if (http.baselineSkipped) console.log(`(no before figure: ${http.baselineSkipped})`);
    console.log("");
    printAgentTables(agent, printTable);
    printSessionTables(sessions);
    printKbTables(kb, printTable);
    printTemplateTables(templates, printTable);
    printWebhookTables(webhooks, printTable);
    printMcpTables(mcp, printTable);
    printAuditTables(auditCost, printTable);
    printLoad(load);

    const results = {
      measuredAt: new Date().toISOString(),
      machine: { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: cpus().length, cpuModel: cpus()[0]?.model },
      // Other work on the machine shows up in the tails; the 1-minute load average says how much there was.
      loadAverage1m: { before: Math.round(loadBefore * 100) / 100, after: Math.round(loadavg()[0] * 100) / 100 },
      method:
        "wrangler deploy --dry-run bundle in Miniflare (workerd), in-memory D1 and Durable Objects; one user; events published one at a time through POST /api/realtime/test-event; " +
        "latency = time from sending the POST to the frame arriving on a socket (ws client, same machine" +
        (CLIENT_DEFLATE ? ", permessage-deflate on" : ", permessage-deflate off") +
        "); " +
        `${WARMUP} warm-up events per run are not counted`,
      floors,
      runs,
      target: { socketCount: 100, p95Ms: TARGET_P95_MS, met },
      integrationsThroughput: {
        method:
          `closed loop from one Node process on 127.0.0.1, ${HTTP_CONCURRENCY} concurrent clients; ` +
          "GET /api/integrations with a bearer token (user with no integrations) next to the bare route (GET of an unrouted /api path: every middleware, no auth, no D1, 404); " +
          `"before" is the bundle of the baseline commit, "after" this checkout's, both running in the same run; the four series are measured in ${HTTP_SLICES} interleaved slices of ${HTTP_SLICE_SIZE} requests ` +
          `(order rotating per slice, after ${HTTP_WARMUP} warm-up requests each); req/s = requests ÷ time in the series' slices; ratio = route req/s ÷ floor req/s of the same bundle`,
        baselineSkipped: http.baselineSkipped ?? null,
        results: http.results,
      },
      agent,
      sessions,
      kb,
      templates,
      webhooks,
      mcp,
      audit: auditCost,
      load,
    };
    writeFileSync(join(HERE, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
    console.log(`wrote ${join("bench", "results.json")}`);
  } finally {
    await server.stop();
  }
  // Specs count the worker's outbound GitHub calls, so they run on a worker of their own.
  await SECTIONS.specs();
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
