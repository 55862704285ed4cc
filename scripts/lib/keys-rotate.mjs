// Re-sealing every stored provider token under the first key of TOKEN_ENCRYPTION_KEYS, through
// `wrangler d1 execute`: what `npm run keys:rotate` and `npm run admin -- keys:rotate` share.
// The rotation itself is the worker's own code (worker/integrations/rotate.ts), bundled for Node.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { auditSql, d1Query, d1Target, wrangler } from "./d1-cli.mjs";
import { PROJECT_ROOT, readDevVars } from "./dev-server.mjs";

/** Keeps each `--command` well under the shortest command-line limit (Windows, 32 KiB). */
const MAX_COMMAND_CHARS = 20_000;

async function loadRotation() {
  const out = await build({
    stdin: { contents: `export { rotateThroughSql } from "./worker/integrations/rotate.ts";`, resolveDir: PROJECT_ROOT, loader: "ts" },
    bundle: true,
    format: "esm",
    platform: "node",
    write: false,
    logLevel: "error",
  });
  const dir = await mkdtemp(join(tmpdir(), "taskpilot-rotate-"));
  const file = join(dir, "rotate.mjs");
  await writeFile(file, out.outputFiles[0].text);
  try {
    return await import(pathToFileURL(file).href);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs statements through `wrangler d1 execute --json`, a few per command, and returns one result per statement. */
function sqlRunner(values) {
  const target = d1Target(values);
  return async function runSql(statements) {
    const chunks = [];
    for (const statement of statements) {
      const last = chunks.at(-1);
      if (last && last.join(";\n").length + statement.length < MAX_COMMAND_CHARS) last.push(statement);
      else chunks.push([statement]);
    }
    const results = [];
    for (const chunk of chunks) {
      const out = await wrangler(["d1", "execute", values.database, "--json", "--yes", "--command", chunk.join(";\n"), ...target], { remote: values.remote });
      const parsed = JSON.parse(out);
      if (!Array.isArray(parsed) || parsed.length !== chunk.length) throw new Error(`wrangler answered ${parsed.length ?? "no"} results for ${chunk.length} statements`);
      results.push(...parsed);
    }
    return results;
  };
}

/**
 * Rotates with the keys from the environment, else (locally) from `.dev.vars` (`.dev.vars.<env>` with --env),
 * as `wrangler dev` would read them. Prints what it did; answers the exit code (0 done, 1 rows no key opens,
 * 2 no keys to rotate with).
 */
export async function rotateKeys(values) {
  const devVars = values.remote ? {} : readDevVars(join(PROJECT_ROOT, values.env ? `.dev.vars.${values.env}` : ".dev.vars"));
  const keys = process.env.TOKEN_ENCRYPTION_KEYS || devVars.TOKEN_ENCRYPTION_KEYS;
  if (!keys) {
    console.error(
      values.remote
        ? "Set TOKEN_ENCRYPTION_KEYS to the deployed worker's value (new key first) to rotate the remote database."
        : "TOKEN_ENCRYPTION_KEYS is not set (environment or .dev.vars).",
    );
    return 2;
  }
  const { rotateThroughSql } = await loadRotation();
  const where = values.remote ? `the remote database${values.env ? ` (--env ${values.env})` : ""}` : "the local database";
  const keyId = keys.split(":")[0].trim();
  const report = await rotateThroughSql(sqlRunner(values), keys);
  await d1Query(values, auditSql({ action: "keys.rotated", result: report.unreadable.length ? "failure" : "success", code: report.unreadable.length ? "unreadable_rows" : null, detail: { keyId, rewritten: report.rewritten, unreadable: report.unreadable.length } }));
  console.log(`Scanned ${report.scanned} integration(s) in ${where}; re-sealed ${report.rewritten} under key "${keyId}"; ${report.skipped} changed meanwhile (already current).`);
  if (report.unreadable.length > 0) {
    console.error(`No configured key opens ${report.unreadable.length} row(s): ${report.unreadable.join(", ")}. Keep the old keys until these are disconnected.`);
    return 1;
  }
  return 0;
}
