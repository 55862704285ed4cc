#!/usr/bin/env node
// `npm run keys:rotate [-- --remote] [-- --env production] [-- --persist-to <dir>]`:
// re-seals every stored provider token under the first key of
// TOKEN_ENCRYPTION_KEYS, in the current envelope format (older `v1`
// envelopes become `v2`, bound to their column). Run it after putting a new
// key first; once it reports no unreadable rows, the old keys can be removed
// from the list.
//
// It reads and writes through `wrangler d1 execute`: the local database by
// default (keys from the environment, else .dev.vars), the deployed one with
// --remote (keys from the environment only: set TOKEN_ENCRYPTION_KEYS to the
// value the deployed worker has). Every write is a compare-and-swap on the
// envelopes it read, so running it while the worker serves is safe.
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { auditSql, d1Query, d1Target, parseD1Args, wrangler } from "./lib/d1-cli.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** Keeps each `--command` well under the shortest command-line limit (Windows, 32 KiB). */
const MAX_COMMAND_CHARS = 20_000;

const { values } = parseD1Args();

/** The rotation code is the worker's own (worker/integrations/rotate.ts), bundled for Node so both use one implementation. */
async function loadRotation() {
  const out = await build({
    stdin: { contents: `export { rotateThroughSql } from "./worker/integrations/rotate.ts";`, resolveDir: root, loader: "ts" },
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

/** TOKEN_ENCRYPTION_KEYS from `.dev.vars` (`.dev.vars.<env>` with --env), as `wrangler dev` would read it. */
function devVarsKeys() {
  const file = join(root, values.env ? `.dev.vars.${values.env}` : ".dev.vars");
  if (!existsSync(file)) return undefined;
  for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
    const match = /^\s*TOKEN_ENCRYPTION_KEYS\s*=\s*(.*?)\s*$/.exec(line);
    if (match) return match[1].replace(/^(["'])(.*)\1$/, "$2");
  }
  return undefined;
}

const target = d1Target(values);

/** Runs statements through `wrangler d1 execute --json`, a few per command, and returns one result per statement. */
async function runSql(statements) {
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
}

const keys = process.env.TOKEN_ENCRYPTION_KEYS || (values.remote ? undefined : devVarsKeys());
if (!keys) {
  console.error(
    values.remote
      ? "Set TOKEN_ENCRYPTION_KEYS to the deployed worker's value (new key first) to rotate the remote database."
      : "TOKEN_ENCRYPTION_KEYS is not set (environment or .dev.vars).",
  );
  process.exit(2);
}

const { rotateThroughSql } = await loadRotation();
const where = values.remote ? `the remote database${values.env ? ` (--env ${values.env})` : ""}` : "the local database";
const report = await rotateThroughSql(runSql, keys);
await d1Query(values, auditSql({ action: "keys.rotated", result: report.unreadable.length ? "failure" : "success", code: report.unreadable.length ? "unreadable_rows" : null, detail: { keyId: keys.split(":")[0].trim(), rewritten: report.rewritten, unreadable: report.unreadable.length } }));
console.log(
  `Scanned ${report.scanned} integration(s) in ${where}; re-sealed ${report.rewritten} under key "${keys.split(":")[0].trim()}"; ${report.skipped} changed meanwhile (already current).`,
);
if (report.unreadable.length > 0) {
  console.error(`No configured key opens ${report.unreadable.length} row(s): ${report.unreadable.join(", ")}. Keep the old keys until these are disconnected.`);
  process.exitCode = 1;
}
