// HTTP throughput of one route next to the bare floor, for `npm run bench`.
import { round2, summarize } from "./stats.mjs";

/**
 * Closed loop on 127.0.0.1: `concurrency` clients each send their next
 * request as soon as the previous one is answered, until `requests` have been
 * answered. Every answer must have `status`.
 */
async function closedLoop({ url, headers = {}, status }, requests, concurrency) {
  const latencies = [];
  let sent = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < requests) {
        sent += 1;
        const at = performance.now();
        const res = await fetch(url, { headers });
        await res.arrayBuffer();
        if (res.status !== status) throw new Error(`GET ${url} → ${res.status}, expected ${status}`);
        latencies.push(performance.now() - at);
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, latencies };
}

/**
 * `GET /api/integrations` (auth + the route's D1 query) against the bare
 * floor (an unrouted /api path: every middleware, no auth, no D1) on each
 * bundle. The four series are measured in interleaved slices, the order
 * rotating every slice, so load that drifts on a shared machine falls on all
 * of them alike; req/s = a series' requests ÷ the time spent in its slices.
 */
export async function integrationsVsFloor(bundles, { slices, sliceSize, concurrency, warmup, progress }) {
  const series = bundles.flatMap((bundle) => [
    { bundle, kind: "floor", url: `${bundle.url}/api/bench-floor`, status: 404 },
    { bundle, kind: "integrations", url: `${bundle.url}/api/integrations`, status: 200, headers: { authorization: `Bearer ${bundle.accessToken}` } },
  ]);
  for (const s of series) {
    await closedLoop(s, warmup, concurrency);
    s.seconds = 0;
    s.latencies = [];
  }
  for (let i = 0; i < slices; i++) {
    if (i % 5 === 0) progress(`GET /api/integrations vs floor, slice ${i + 1}/${slices}`);
    for (let k = 0; k < series.length; k++) {
      const s = series[(i + k) % series.length];
      const { seconds, latencies } = await closedLoop(s, sliceSize, concurrency);
      s.seconds += seconds;
      s.latencies.push(...latencies);
    }
  }
  const figure = (s) => ({ requests: s.latencies.length, requestsPerSecond: Math.round(s.latencies.length / s.seconds), latency: summarize(s.latencies) });
  return bundles.map((bundle) => {
    const [floor, integrations] = ["floor", "integrations"].map((kind) => figure(series.find((s) => s.bundle === bundle && s.kind === kind)));
    return { label: bundle.label, commit: bundle.commit, floor, integrations, ratio: round2(integrations.requestsPerSecond / floor.requestsPerSecond) };
  });
}
