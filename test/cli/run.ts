import { spawn } from "node:child_process";
import { join } from "node:path";
import { wrangler } from "../../scripts/lib/d1-cli.mjs";
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
 * Through the scripts' own runner: a running app holds the same file, and a busy database is waited out there.
 */
export async function d1Execute(persistTo: string, command: string): Promise<unknown[][]> {
  const out = await wrangler(["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--json", "--command", command]);
  return (JSON.parse(out) as Array<{ results: unknown[] }>).map((r) => r.results);
}
