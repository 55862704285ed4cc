#!/usr/bin/env node
// `npm run db:export [-- --output file.sql] [-- --remote] [-- --env production] [-- --persist-to <dir>]`:
// the whole D1 database as one SQL file, although `wrangler d1 export` refuses databases that hold
// virtual tables (the knowledge base's FTS5 keyword index, `kb_chunks_fts`). It exports every ordinary
// table (with `d1_migrations`, so the imported database knows its migrations), then appends, read from
// the source's own schema, each FTS5 table, a `rebuild` of it from its content table, and the triggers.
// `npm run db:import -- <file>` loads such a file into an empty database.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { d1Query, d1Target, parseD1Args, wrangler } from "./lib/d1-cli.mjs";

const { values } = parseD1Args({ output: { type: "string" } });
const output = values.output ?? `taskpilot-export-${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "Z")}.sql`;

/**
 * `wrangler d1 export` has no --persist-to: it reads the local database under `.wrangler/state` beside
 * its config. For another state directory, the config is copied into a scratch directory whose
 * `.wrangler/state` points at it.
 */
async function exportTables(tables, part, file) {
  const args = ["d1", "export", values.database, part, "--output", resolve(file), ...tables.flatMap((t) => ["--table", t])];
  if (!values["persist-to"]) return wrangler([...args, ...d1Target(values)], { remote: values.remote });
  const scratch = mkdtempSync(join(tmpdir(), "taskpilot-export-"));
  try {
    mkdirSync(join(scratch, ".wrangler"));
    symlinkSync(resolve(values["persist-to"]), join(scratch, ".wrangler", "state"));
    copyFileSync(values.config, join(scratch, "wrangler.toml"));
    await wrangler([...args, "--local", "--config", join(scratch, "wrangler.toml"), ...(values.env ? ["--env", values.env] : [])]);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

try {
  const [schema] = await d1Query(values, "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid");
  const virtual = schema.filter((o) => o.type === "table" && /^CREATE VIRTUAL TABLE/i.test(o.sql));
  // FTS5 keeps its index in shadow tables named after the virtual table; they are rebuilt, not copied.
  const shadow = (name) => virtual.some((v) => name.startsWith(`${v.name}_`));
  const tables = schema
    .filter((o) => o.type === "table" && !virtual.includes(o) && !shadow(o.name) && !/^(sqlite_|_cf_)/.test(o.name))
    .map((o) => o.name);
  // Every table's schema before any row: a child table's rows need their parent table to exist, and
  // `--table` keeps the order given, not the order of the foreign keys.
  await exportTables(tables, "--no-data", output);
  const data = `${output}.data`;
  try {
    await exportTables(tables, "--no-schema", data);
    writeFileSync(output, `${readFileSync(output, "utf8").replace(/\s*$/, "\n")}${readFileSync(data, "utf8")}`);
  } finally {
    rmSync(data, { force: true });
  }

  const fts = virtual.map((v) => `${v.sql};\nINSERT INTO "${v.name}"("${v.name}") VALUES('rebuild');`);
  const triggers = schema.filter((o) => o.type === "trigger").map((o) => `${o.sql};`);
  if (fts.length || triggers.length) {
    const tail = ["", "-- Keyword indexes (FTS5), rebuilt from their content tables, then the triggers that keep them in step.", ...fts, ...triggers, ""].join("\n");
    writeFileSync(output, readFileSync(output, "utf8").replace(/\s*$/, "\n") + tail);
  }
  console.log(`Exported ${tables.length} tables${virtual.length ? ` and the definitions of ${virtual.map((v) => v.name).join(", ")} (rebuilt on import)` : ""} to ${output}.`);
} catch (e) {
  console.error(`db:export failed: ${e.message}`);
  process.exit(1);
}
