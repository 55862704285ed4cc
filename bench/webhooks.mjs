// The webhook receivers over the real stack (the bundled worker in Miniflare): a signed GitHub delivery — read the raw
// body, verify HMAC-SHA256, store the row in D1, enqueue on WEBHOOKS, answer — and a repeat of a stored delivery,
// next to the bare route measured in the same run. Slack answers within 3 s, GitHub within 10 s: the figure to watch is
// how far below that the receiver stays.
import { createHmac } from "node:crypto";
import { summarize } from "./stats.mjs";

const SAMPLES = Number(process.env.BENCH_WEBHOOK_SAMPLES ?? 300);
const WARMUP = 20;

export async function webhooksBench(server, progress) {
  progress(`webhooks: ${SAMPLES} signed GitHub deliveries, repeats and the bare route`);
  // A realistic payload: a pull_request event is a few KB.
  const payload = JSON.stringify({ action: "opened", number: 1, pull_request: { number: 1, title: "x".repeat(200), body: "y".repeat(3000), merged: false } });
  const signature = `sha256=${createHmac("sha256", server.secrets.GITHUB_WEBHOOK_SECRET).update(payload).digest("hex")}`;
  const send = async (deliveryId) => {
    const res = await fetch(`${server.url}/webhooks/github`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "pull_request", "x-github-delivery": deliveryId, "x-hub-signature-256": signature },
      body: payload,
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`webhook → ${res.status} ${text}`);
    return JSON.parse(text);
  };
  const bare = [];
  const fresh = [];
  const repeat = [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    let t = performance.now();
    await (await fetch(`${server.url}/api/bench-floor`, { method: "POST" })).text();
    const b = performance.now() - t;
    const id = crypto.randomUUID();
    t = performance.now();
    const first = await send(id);
    const f = performance.now() - t;
    t = performance.now();
    const again = await send(id);
    const r = performance.now() - t;
    if (first.duplicate || !again.duplicate) throw new Error("the receiver did not tell a new delivery from a repeat");
    if (i >= WARMUP) (bare.push(b), fresh.push(f), repeat.push(r));
  }
  const receiver = summarize(fresh);
  const floor = summarize(bare);
  return {
    measuredAt: new Date().toISOString(),
    method:
      `bundled worker in Miniflare, one request at a time from Node on 127.0.0.1, ${SAMPLES} rounds after ${WARMUP} warm-up rounds; each round: a POST to an unrouted /api path (every middleware, no auth, no storage), ` +
      `a signed GitHub pull_request delivery of ${payload.length} bytes with a new delivery id (verify + store + enqueue + answer; the queue consumer runs meanwhile, as in production), and the same delivery again (verify + the unique index + answer); milliseconds`,
    bareRoute: floor,
    receiverNew: receiver,
    receiverRepeat: summarize(repeat),
    p95Ratio: Math.round((receiver.p95 / floor.p95) * 100) / 100,
    budgetsMs: { slack: 3000, github: 10000 },
  };
}

export function printWebhookTables(w, printTable) {
  printTable([
    ["webhook receiver (ms)", "samples", "p50", "p95", "max"],
    ["floor: HTTP → worker → unrouted path (404)", ...Object.values(w.bareRoute).map(String)],
    ["POST /webhooks/github, new delivery (verify + store + enqueue)", ...Object.values(w.receiverNew).map(String)],
    ["POST /webhooks/github, repeat of a stored delivery", ...Object.values(w.receiverRepeat).map(String)],
  ]);
  console.log(`\nreceiver p95 = ${w.p95Ratio}× the bare route's; Slack's budget is ${w.budgetsMs.slack} ms, GitHub's ${w.budgetsMs.github} ms\n`);
}
