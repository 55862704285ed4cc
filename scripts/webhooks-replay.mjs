#!/usr/bin/env node
// `npm run webhooks:replay -- <delivery id>`: queues a stored webhook delivery
// again, marked as a replay (processed even if it was processed before; the
// handlers are idempotent). The id is ours or the provider's
// (`X-GitHub-Delivery`, Slack `event_id`). Signs in as an admin:
//
//   TASKPILOT_EMAIL=ops@example.com TASKPILOT_PASSWORD=… npm run webhooks:replay -- <id>
//   TASKPILOT_URL (default http://127.0.0.1:8787) for a deployed worker.
const base = (process.env.TASKPILOT_URL || "http://127.0.0.1:8787").replace(/\/$/, "");
const [id] = process.argv.slice(2).filter((a) => a !== "--");
if (!id || id === "--help") {
  console.error("usage: TASKPILOT_EMAIL=… TASKPILOT_PASSWORD=… npm run webhooks:replay -- <delivery id>");
  process.exit(id === "--help" ? 0 : 2);
}
const email = process.env.TASKPILOT_EMAIL;
const password = process.env.TASKPILOT_PASSWORD;
if (!email || !password) {
  console.error("Set TASKPILOT_EMAIL and TASKPILOT_PASSWORD of an admin (npm run admin:grant -- <email>), and TASKPILOT_URL if the app is not on http://127.0.0.1:8787.");
  process.exit(2);
}

async function call(path, { body, token } = {}) {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body ?? {}),
  });
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) throw new Error(`${res.status} ${data?.code ?? ""}: ${data?.detail ?? text.slice(0, 200)}`);
  return data;
}

try {
  const session = await call("/api/auth/login", { body: { email, password } });
  const { delivery } = await call(`/api/admin/webhooks/deliveries/${encodeURIComponent(id)}/replay`, { token: session.accessToken });
  console.log(JSON.stringify(delivery));
  console.error(`queued ${delivery.provider} ${delivery.eventType} ${delivery.deliveryId} again (replay ${delivery.replays})`);
} catch (e) {
  console.error(`replay failed: ${e.message}`);
  process.exit(1);
}
