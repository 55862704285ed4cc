import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, PROJECT_ROOT } from "../../scripts/lib/dev-server.mjs";
import { d1Execute, runNode, WRANGLER } from "./run";

const run = (args: string[]) => runNode(args);
const sql = d1Execute;

const dirs: string[] = [];
const tempDir = (tag: string) => {
  const dir = mkdtempSync(join(tmpdir(), `taskpilot-${tag}-`));
  dirs.push(dir);
  return dir;
};
let source: string;
let file: string;

beforeAll(async () => {
  source = tempDir("export-src");
  file = join(tempDir("export-out"), "dump.sql");
  await applyMigrations({ persistTo: source, quiet: true });
  await sql(
    source,
    "INSERT INTO users (id, email, password_hash, password_salt, password_iterations, created_at, updated_at) VALUES ('u1', 'export@example.test', 'h', 's', 1, 0, 0); " +
      "INSERT INTO kb_documents (id, user_id, title, mime_type, bytes, status, content_hash, created_at, updated_at) VALUES ('d1', 'u1', 'Guide', 'text/markdown', 10, 'indexed', 'h', 0, 0); " +
      "INSERT INTO kb_chunks (id, user_id, document_id, ordinal, text, heading_path, start, end, tokens) VALUES " +
      "('d1:0', 'u1', 'd1', 0, 'The lighthouse keeper trims the wick', '[\"Lighthouses\"]', 0, 36, 7), " +
      "('d1:1', 'u1', 'd1', 1, 'Quince trees need frost', '[\"Orchards\"]', 37, 60, 5)",
  );
}, 120_000);

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("npm run db:export / db:import (around the FTS5 keyword index)", () => {
  it("wrangler's own export refuses the database, which is why the script exists", async () => {
    // The script's own way to a --persist-to database (a config beside a .wrangler/state link), minus the table list.
    const scratch = tempDir("plain");
    mkdirSync(join(scratch, ".wrangler"));
    symlinkSync(source, join(scratch, ".wrangler", "state"));
    copyFileSync(join(PROJECT_ROOT, "wrangler.toml"), join(scratch, "wrangler.toml"));
    const out = await run([WRANGLER, "d1", "export", "DB", "--local", "--config", join(scratch, "wrangler.toml"), "--output", join(scratch, "x.sql")]);
    expect(out.code).not.toBe(0);
    expect(out.stdout + out.stderr).toMatch(/virtual tables/i);
  }, 60_000);

  it("exports every table and the keyword index's definition; an empty database imports it with the index rebuilt and its triggers live", async () => {
    const exported = await run([join(PROJECT_ROOT, "scripts", "db-export.mjs"), "--persist-to", source, "--output", file]);
    expect(exported.code, exported.stderr).toBe(0);
    const dump = readFileSync(file, "utf8");
    expect(dump).toContain("CREATE VIRTUAL TABLE");
    expect(dump).toContain(`INSERT INTO "kb_chunks_fts"("kb_chunks_fts") VALUES('rebuild');`);
    expect(dump).toMatch(/CREATE TRIGGER `kb_chunks_fts_insert`/);
    expect(dump).toContain("d1_migrations");

    const target = tempDir("import");
    const imported = await run([join(PROJECT_ROOT, "scripts", "db-import.mjs"), file, "--persist-to", target]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain("2 knowledge-base chunks, 2 keyword-index entries");

    // A second import into the now non-empty database is refused: nothing is overwritten.
    const again = await run([join(PROJECT_ROOT, "scripts", "db-import.mjs"), file, "--persist-to", target]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("not empty");

    const match = (word: string) => `SELECT c.id FROM kb_chunks_fts JOIN kb_chunks c ON c.rowid = kb_chunks_fts.rowid WHERE kb_chunks_fts MATCH '${word}'`;
    const [found, , afterInsert, migrations] = await sql(
      target,
      `${match("lighthouse")}; INSERT INTO kb_chunks (id, user_id, document_id, ordinal, text, start, end, tokens) VALUES ('d1:2', 'u1', 'd1', 2, 'A copper dome rotates', 61, 82, 4); ${match("copper")}; SELECT count(*) AS n FROM d1_migrations`,
    );
    expect(found).toEqual([{ id: "d1:0" }]);
    expect(afterInsert).toEqual([{ id: "d1:2" }]);
    expect(migrations).toEqual((await sql(source, "SELECT count(*) AS n FROM d1_migrations"))[0]);
  }, 120_000);
});
