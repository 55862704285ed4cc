#!/usr/bin/env node
// `npm run db:import -- <file.sql> [-- --remote] [-- --env production] [-- --persist-to <dir>]`: loads a
// file written by `npm run db:export` into an EMPTY D1 database (a database with tables is refused,
// so nothing is overwritten), then checks that the keyword index holds one entry per chunk.
import { existsSync } from "node:fs";
import { d1Query, d1Target, parseD1Args, wrangler } from "./lib/d1-cli.mjs";

const { values, positionals } = parseD1Args({}, { allowPositionals: true });
const file = positionals[0];
if (!file || !existsSync(file)) {
  console.error("Usage: npm run db:import -- <file.sql> [--remote] [--env production] [--persist-to <dir>]");
  process.exit(2);
}

try {
  const [existing] = await d1Query(values, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'");
  if (existing.length) {
    console.error(`The target database is not empty (${existing.length} tables, e.g. ${existing[0].name}); import only into a new database.`);
    process.exit(1);
  }
  await wrangler(["d1", "execute", values.database, "--yes", "--file", file, ...d1Target(values)], { remote: values.remote });
  const [[counts]] = await d1Query(values, "SELECT (SELECT count(*) FROM kb_chunks) AS chunks, (SELECT count(*) FROM kb_chunks_fts_docsize) AS keyword");
  console.log(`Imported ${file}: ${counts.chunks} knowledge-base chunks, ${counts.keyword} keyword-index entries.`);
  if (counts.chunks !== counts.keyword) {
    console.error("The keyword index does not match the chunks: run INSERT INTO kb_chunks_fts(kb_chunks_fts) VALUES('rebuild').");
    process.exit(1);
  }
} catch (e) {
  console.error(`db:import failed: ${e.message}`);
  process.exit(1);
}
