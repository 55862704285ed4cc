// Specs → pull requests over the real stack (the bundled worker in Miniflare, its real queues and the sandbox GitHub):
// the wall time from POST /api/specs/{id}/execute to the spec.pr_created frame on the user's socket, with the offline
// planner, over several runs; and how many GitHub API calls one spec costs, counted on the worker's outbound requests.
// The floor in the same run is a bare route (an unrouted /api path) and one sandbox GitHub call (GET /repos/{o}/{r}).
import { Response as MiniflareResponse } from "miniflare";
import WebSocket from "ws";
import { connectSandbox } from "./sessions.mjs";
import { summarize } from "./stats.mjs";

const RUNS = Number(process.env.BENCH_SPEC_RUNS ?? 10);
const PR_TIMEOUT_MS = 60_000;

/** GitHub API calls the worker made, by "METHOD /path-shape"; reset per run. */
export function githubCounter() {
  let calls = [];
  return {
    outbound: async (request) => {
      const url = new URL(request.url);
      if (url.pathname.startsWith("/sandbox/github/api/")) calls.push(`${request.method} ${url.pathname.replace(/^\/sandbox\/github\/api/, "")}`);
      const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
      const res = await fetch(request.url, { method: request.method, headers: request.headers, body, redirect: "manual" });
      return new MiniflareResponse(await res.arrayBuffer(), { status: res.status, headers: res.headers });
    },
    take() {
      const taken = calls;
      calls = [];
      return taken;
    },
  };
}

async function api(base, path, token, { method = "POST", body } = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Resolves when the user's socket carries `spec.pr_created` (or rejects on `spec.phase_failed`) for the spec. */
function waitForPr(ws, specId) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no pull request for ${specId} within ${PR_TIMEOUT_MS} ms`)), PR_TIMEOUT_MS);
    const onMessage = (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.jobId !== specId || frame.kind !== "spec") return;
      if (frame.event === "spec.pr_created") (clearTimeout(timer), ws.off("message", onMessage), resolve(performance.now()));
      if (frame.event === "spec.phase_failed") (clearTimeout(timer), ws.off("message", onMessage), reject(new Error(`spec failed: ${JSON.stringify(frame.payload)}`)));
    };
    ws.on("message", onMessage);
  });
}

export async function specsBench(server, register, progress, counter) {
  progress(`specs: ${RUNS} specs from execute to pull request on the sandbox GitHub`);
  const { accessToken: token } = await register(server.url);
  const email = await connectSandbox(server.url, token, "github");
  const login = email.split("@")[0].toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  const repo = `${login}/taskpilot-demo`;
  const { project } = await api(server.url, "/api/projects", token, { body: { name: "Bench", githubRepo: repo } });
  const { ticket } = await api(server.url, "/api/realtime/ticket", token);
  const ws = new WebSocket(`${server.url.replace(/^http/, "ws")}/api/realtime?ticket=${encodeURIComponent(ticket)}`);
  await new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)));
  const wall = [];
  const calls = [];
  let breakdown;
  let tasks;
  try {
    for (let i = 0; i < RUNS; i++) {
      const { spec } = await api(server.url, "/api/specs", token, { body: { projectId: project.id, title: `Bench spec ${i}`, prompt: "Add a health endpoint in src/health.ts.\nDocument it in docs/health.md.\nCover it with a test in test/health.test.ts." } });
      const { spec: planned } = await api(server.url, `/api/specs/${spec.id}/plan`, token);
      tasks = planned.tasks.length;
      counter.take();
      const done = waitForPr(ws, spec.id);
      const started = performance.now();
      await api(server.url, `/api/specs/${spec.id}/execute`, token);
      wall.push((await done) - started);
      const made = counter.take();
      calls.push(made.length);
      const shapes = {};
      for (const c of made) {
        const shape = c.replace(/\/repos\/[^/]+\/[^/]+/, "/repos/{o}/{r}").replace(/\/[0-9a-f]{40}/g, "/{sha}").replace(/\/heads(\/|%2F).+$/, "/heads/{branch}");
        shapes[shape] = (shapes[shape] ?? 0) + 1;
      }
      breakdown = shapes;
    }
  } finally {
    ws.close(1000);
  }
  const floorRoute = [];
  const floorGithub = [];
  for (let i = 0; i < 50; i++) {
    let t = performance.now();
    await (await fetch(`${server.url}/api/bench-floor`, { method: "POST" })).text();
    floorRoute.push(performance.now() - t);
    t = performance.now();
    await (await fetch(`${server.url}/sandbox/github/web/${repo}`)).text();
    floorGithub.push(performance.now() - t);
  }
  const w = summarize(wall);
  return {
    measuredAt: new Date().toISOString(),
    method:
      `bundled worker in Miniflare with its queues as in wrangler.toml (spec-exec batch size 1, pr-create batch window 1 s), offline planner, sandbox GitHub; ` +
      `${RUNS} specs of ${tasks} tasks run one after another; wall = POST …/execute sent → spec.pr_created frame received on a WebSocket; ` +
      `GitHub calls counted on the worker's outbound requests to the sandbox GitHub API; milliseconds`,
    tasksPerSpec: tasks,
    executeToPullRequest: w,
    githubCallsPerSpec: { min: Math.min(...calls), max: Math.max(...calls), lastRun: breakdown },
    floors: { bareRoute: summarize(floorRoute), sandboxGithubPage: summarize(floorGithub) },
  };
}

export function printSpecTables(s, printTable) {
  printTable([
    ["spec → pull request (ms)", "samples", "p50", "p95", "max"],
    ["floor: bare route", ...Object.values(s.floors.bareRoute).map(String)],
    ["floor: one sandbox GitHub page", ...Object.values(s.floors.sandboxGithubPage).map(String)],
    [`execute → pr_created frame, ${s.tasksPerSpec} tasks, offline planner`, ...Object.values(s.executeToPullRequest).map(String)],
  ]);
  console.log(`\nGitHub API calls per spec: ${s.githubCallsPerSpec.min}${s.githubCallsPerSpec.max !== s.githubCallsPerSpec.min ? `–${s.githubCallsPerSpec.max}` : ""}`);
  printTable([["GitHub call (last run)", "count"], ...Object.entries(s.githubCallsPerSpec.lastRun).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, String(v)])]);
  console.log("");
}
