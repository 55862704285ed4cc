// Templates: the prompt generator's own time (bench/templates.ts, in Node) and POST /api/templates/{id}/preview over
// the real stack (the bundled worker in Miniflare: auth, the live tool set from D1, the generator), cold and cached,
// next to the bare route measured in the same run.
import { loadBundled } from "./agent.mjs";
import { connectSandboxGmail } from "./sessions.mjs";
import { summarize } from "./stats.mjs";

const ROUNDS = Number(process.env.BENCH_TEMPLATE_ROUNDS ?? 2000);
const HTTP_SAMPLES = Number(process.env.BENCH_TEMPLATE_SAMPLES ?? 300);
const TEMPLATE = "builtin-gmail-unread-from";
export const TARGETS_US = { cold: 2000, cached: 200 };

async function post(base, path, token, body) {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), "content-type": "application/json" },
    body: JSON.stringify(body ?? {}),
  });
  const text = await res.text();
  return { status: res.status, body: text };
}

export async function templatesBench(server, register, progress) {
  progress(`templates: the generator, cold and cached, ${ROUNDS} rounds over the built-in library`);
  const bench = await loadBundled("templates");
  const pure = bench.composeTimes(ROUNDS, 200);
  const generator = { cold: summarize(pure.cold), cached: summarize(pure.cached) };

  progress(`templates: POST …/preview × ${HTTP_SAMPLES} cold, cached and the bare route`);
  const { accessToken } = await register(server.url);
  await connectSandboxGmail(server.url, accessToken);
  const bare = [];
  const cold = [];
  const cached = [];
  const warm = { sender: "ana@example.com" };
  for (let i = 0; i < 20 + HTTP_SAMPLES; i++) {
    let t = performance.now();
    await post(server.url, "/api/bench-floor", undefined);
    const b = performance.now() - t;
    t = performance.now();
    // A sender never asked for before: a miss.
    const miss = await post(server.url, `/api/templates/${TEMPLATE}/preview`, accessToken, { variables: { sender: `s${i}-${crypto.randomUUID().slice(0, 8)}@example.com` } });
    const c = performance.now() - t;
    t = performance.now();
    const hit = await post(server.url, `/api/templates/${TEMPLATE}/preview`, accessToken, { variables: warm });
    const h = performance.now() - t;
    if (miss.status !== 200 || hit.status !== 200) throw new Error(`preview → ${miss.status} / ${hit.status}: ${miss.body.slice(0, 200)}`);
    if (JSON.parse(miss.body).cached || (i > 0 && !JSON.parse(hit.body).cached) || JSON.parse(hit.body).confidence !== "high") throw new Error("the preview's cache did not behave");
    if (i >= 20) (bare.push(b), cold.push(c), cached.push(h));
  }
  const route = { bareRoute: summarize(bare), previewCold: summarize(cold), previewCached: summarize(cached) };
  return {
    measuredAt: new Date().toISOString(),
    method:
      `generator: composeCached() in Node on each of the ${pure.templates} built-in templates with every integration connected, ${ROUNDS} rounds after 200 warm-up rounds; ` +
      "cold = the cache emptied before the call, cached = the same call again; microseconds (workerd's clock does not move during computation, so the worker cannot time itself). " +
      `route: POST /api/templates/${TEMPLATE}/preview from Node on 127.0.0.1 against the bundled worker in Miniflare, one request at a time, with Sandbox Gmail connected; ` +
      "cold = a sender never sent before (a miss), cached = the same sender every time (a hit), interleaved with a POST to an unrouted /api path (every middleware, no auth, no D1); 20 warm-up rounds not counted; milliseconds",
    generatorMicroseconds: generator,
    targetsMicroseconds: TARGETS_US,
    met: { cold: generator.cold.p95 <= TARGETS_US.cold, cached: generator.cached.p95 <= TARGETS_US.cached },
    routeMilliseconds: route,
    routeRatios: {
      coldToBare: Math.round((route.previewCold.p95 / route.bareRoute.p95) * 100) / 100,
      cachedToBare: Math.round((route.previewCached.p95 / route.bareRoute.p95) * 100) / 100,
    },
  };
}

export function printTemplateTables(t, printTable) {
  printTable([
    ["template preview: the generator (µs)", "samples", "p50", "p95", "max", "target p95"],
    ["cold (parse, check, interpolate, map tools)", ...Object.values(t.generatorMicroseconds.cold).map(String), `≤ ${t.targetsMicroseconds.cold}`],
    ["cached (key + lookup)", ...Object.values(t.generatorMicroseconds.cached).map(String), `≤ ${t.targetsMicroseconds.cached}`],
  ]);
  console.log(`\ntargets: cold ${t.met.cold ? "met" : "NOT met"}, cached ${t.met.cached ? "met" : "NOT met"}\n`);
  printTable([
    ["template preview: the route (ms)", "samples", "p50", "p95", "max", "p95 ÷ bare"],
    ["floor: HTTP → worker → unrouted path (404)", ...Object.values(t.routeMilliseconds.bareRoute).map(String), "1"],
    ["POST …/preview, cold", ...Object.values(t.routeMilliseconds.previewCold).map(String), String(t.routeRatios.coldToBare)],
    ["POST …/preview, cached", ...Object.values(t.routeMilliseconds.previewCached).map(String), String(t.routeRatios.cachedToBare)],
  ]);
  console.log("");
}
