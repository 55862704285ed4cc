// `npm run bench`: publish → received latency over the real stack (the
// worker bundle as `wrangler deploy` builds it, run by Miniflare/workerd:
// UserHub Durable Object, D1, WebSocket) on 1, 10 and 100 sockets of one user, next to the floor of a bare Durable Object round trip
// measured in the same run. Prints a table and writes bench/results.json.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { Miniflare } from "miniflare";
import { generateSecrets, OFFLINE_ENV, PROJECT_ROOT } from "../scripts/lib/dev-server.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const EVENTS_PER_RUN = Number(process.env.BENCH_EVENTS ?? 1000);
const CLIENT_DEFLATE = process.env.BENCH_DEFLATE === "1";
const SOCKET_COUNTS = [1, 10, 100];
const FLOOR_SAMPLES = 1000;
const WARMUP = 50;
const TARGET_P95_MS = 20;
const DELIVERY_TIMEOUT_MS = 10_000;

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (v) => Math.round(v * 100) / 100;
  return { samples: sorted.length, p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), max: round(sorted.at(-1)) };
}

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
 * and workerd.
 */
async function startBundledWorker() {
  progress("bundling the worker");
  const out = mkdtempSync(join(tmpdir(), "taskpilot-bench-"));
  execFileSync(process.execPath, [join(PROJECT_ROOT, "node_modules", "wrangler", "bin", "wrangler.js"), "deploy", "--dry-run", "--outdir", out], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...OFFLINE_ENV },
    stdio: "pipe",
  });
  progress("starting the worker");
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    modules: true,
    modulesRoot: out,
    scriptPath: join(out, "index.js"),
    compatibilityDate: "2026-04-20",
    compatibilityFlags: ["nodejs_compat"],
    bindings: { APP_ENV: "development", SANDBOX_PROVIDERS: "true", LOG_LEVEL: "warn", ...generateSecrets() },
    d1Databases: { DB: "taskpilot-bench" },
    durableObjects: { USER_HUB: { className: "UserHub", useSQLite: true }, AGENT_SESSION: { className: "AgentSession", useSQLite: true } },
    queueProducers: { KB_INDEX: "taskpilot-kb-index", SPEC_EXEC: "taskpilot-spec-exec", PR_CREATE: "taskpilot-pr-create", WEBHOOKS: "taskpilot-webhooks" },
  });
  const url = await mf.ready;
  const db = await mf.getD1Database("DB");
  const migrations = join(PROJECT_ROOT, "drizzle");
  for (const file of readdirSync(migrations).filter((f) => f.endsWith(".sql")).sort()) {
    const statements = readFileSync(join(migrations, file), "utf8").split("--> statement-breakpoint").map((x) => x.trim()).filter(Boolean);
    await db.batch(statements.map((x) => db.prepare(x)));
  }
  return {
    url: url.origin,
    stop: async () => {
      await mf.dispose();
      rmSync(out, { recursive: true, force: true });
    },
  };
}

const progress = (step) => process.stderr.write(`bench: ${step}\n`);

async function main() {
  const loadBefore = loadavg()[0];
  const server = await startBundledWorker();
  try {
    const email = `bench-${Date.now()}@example.test`;
    const { accessToken } = await api(server.url, "/api/auth/register", { body: { email, password: "bench password 123" } });
    progress("floors");
    const floors = { httpHubRoundTrip: await hubFloor(server.url, accessToken), socketHubRoundTrip: await socketFloor(server.url, accessToken) };
    const runs = [];
    for (const count of SOCKET_COUNTS) {
      progress(`${count} socket(s) × ${EVENTS_PER_RUN} events`);
      runs.push(await publishRun(server.url, accessToken, count, EVENTS_PER_RUN));
    }

    const rows = [
      ["measurement", "samples", "p50 ms", "p95 ms", "max ms"],
      ["floor: HTTP → worker → hub ping", ...Object.values(floors.httpHubRoundTrip).map(String)],
      ["floor: socket → hub handler → socket", ...Object.values(floors.socketHubRoundTrip).map(String)],
      ...runs.flatMap((r) => [
        [`publish → received, ${r.sockets} socket(s), each delivery`, ...Object.values(r.delivery).map(String)],
        [`publish → received, ${r.sockets} socket(s), last socket`, ...Object.values(r.allSocketsReached).map(String)],
      ]),
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows) console.log(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  "));
    const hundred = runs.find((r) => r.sockets === 100);
    const met = hundred.delivery.p95 <= TARGET_P95_MS;
    console.log(`\ntarget: p95 ≤ ${TARGET_P95_MS} ms for 100 sockets → ${hundred.delivery.p95} ms (${met ? "met" : "NOT met"})`);

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
    };
    writeFileSync(join(HERE, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
    console.log(`wrote ${join("bench", "results.json")}`);
  } finally {
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
