import { spawn } from "node:child_process";
import { join } from "node:path";
import { expect } from "vitest";
import { isBusy, retryWhileBusy } from "../../scripts/lib/d1-cli.mjs";
import { OFFLINE_ENV, PROJECT_ROOT } from "../../scripts/lib/dev-server.mjs";

/** The project's scripts and wrangler, run the way a person runs them, offline. */
export const WRANGLER = join(PROJECT_ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

export function runNode(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env: { ...process.env, ...OFFLINE_ENV, CI: "true", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Runs SQL on a local D1 state directory in one wrangler call (each costs about a second); every statement's rows.
 * A running app holds the same file, so a busy database is waited out as the project's scripts do.
 */
export async function d1Execute(persistTo: string, command: string): Promise<unknown[][]> {
  const out = await retryWhileBusy(async () => {
    const run = await runNode([WRANGLER, "d1", "execute", "DB", "--local", "--persist-to", persistTo, "--json", "--command", command]);
    if (run.code !== 0 && isBusy(run.stderr + run.stdout)) throw new Error(run.stderr + run.stdout);
    return run;
  });
  expect(out.code, out.stderr).toBe(0);
  return (JSON.parse(out.stdout) as Array<{ results: unknown[] }>).map((r) => r.results);
}
