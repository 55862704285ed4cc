// `npm test`: every suite in one command. The worker pool serves dist/web
// through the ASSETS binding, so the SPA is built first.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { OFFLINE_ENV, PROJECT_ROOT, buildWeb } from "./lib/dev-server.mjs";

await buildWeb({ quiet: true });

const vitest = join(PROJECT_ROOT, "node_modules", "vitest", "vitest.mjs");
const child = spawn(process.execPath, [vitest, "run", ...process.argv.slice(2)], {
  cwd: PROJECT_ROOT,
  env: { ...process.env, ...OFFLINE_ENV },
  stdio: "inherit",
});
const code = await new Promise((resolve) => child.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0))));
process.exit(code);
