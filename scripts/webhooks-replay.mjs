#!/usr/bin/env node
// `npm run webhooks:replay -- <delivery id>`: queues a stored webhook delivery
// again, marked as a replay (processed even if it was processed before; the
// handlers are idempotent). The id is ours or the provider's
// (`X-GitHub-Delivery`, Slack `event_id`). Prints the delivery as JSON.
// The same as `npm run admin -- webhooks:replay <id> --json`, through the same client
// (scripts/lib/admin-client.mjs): an admin's TASKPILOT_EMAIL / TASKPILOT_PASSWORD or ADMIN_TOKEN,
// TASKPILOT_URL (default http://127.0.0.1:8787) for a deployed worker.
import { connectAdmin, exitCodeOf } from "./lib/admin-client.mjs";

const [id] = process.argv.slice(2).filter((a) => a !== "--");
if (!id || id === "--help") {
  console.error("usage: TASKPILOT_EMAIL=… TASKPILOT_PASSWORD=… npm run webhooks:replay -- <delivery id>  (or npm run admin -- webhooks:replay <id>)");
  process.exit(id === "--help" ? 0 : 2);
}

let api;
try {
  api = await connectAdmin({ remote: Boolean(process.env.TASKPILOT_URL?.startsWith("https:")) });
  const { delivery } = await api.request("POST", `/api/admin/webhooks/deliveries/${encodeURIComponent(id)}/replay`);
  console.log(JSON.stringify(delivery));
  console.error(`queued ${delivery.provider} ${delivery.eventType} ${delivery.deliveryId} again (replay ${delivery.replays})`);
} catch (e) {
  console.error(`replay failed: ${e.message}`);
  process.exitCode = exitCodeOf(e);
} finally {
  await api?.close();
}
