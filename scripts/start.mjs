// `npm start`: build the SPA, make sure local secrets exist, migrate the local
// D1 and serve everything with wrangler dev at 127.0.0.1:${PORT:-8787}.
import { applyMigrations, buildWeb, ensureDevVars, startDevServer } from "./lib/dev-server.mjs";

const port = Number(process.env.PORT ?? 8787);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`PORT must be a port number, got "${process.env.PORT}".`);
  process.exit(2);
}

let server;
try {
  console.log("› Building the web app…");
  await buildWeb({ quiet: true });

  const vars = ensureDevVars();
  console.log(vars.created ? "› Created .dev.vars with fresh random secrets." : "› Using the existing .dev.vars.");

  console.log("› Applying D1 migrations locally…");
  await applyMigrations({ quiet: true });

  console.log("› Starting wrangler dev…");
  server = await startDevServer({ port, inspectorPort: null });
} catch (e) {
  console.error(`\nnpm start failed: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}
console.log(`\n  TaskPilot is running at ${server.url}\n  Press Ctrl-C to stop.\n`);

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  await server.stop();
  process.exit(0);
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);

const code = await server.exited;
if (!stopping) {
  console.error(`wrangler dev stopped unexpectedly (${code}).`);
  process.exit(1);
}
