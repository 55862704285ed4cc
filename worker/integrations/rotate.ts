import { parseEncryptionKeys, type EncryptionKey } from "../config";
import { database, type Database } from "../db/client";
import { replaceTokenEnvelopes, replaceTokenEnvelopesStatement, sealedIntegrationsPage, listSealedIntegrations, type SealedSnapshot } from "../db/integrations";
import { decryptToken, encryptToken, isCurrentEnvelope, type TokenColumn } from "./crypto";

export interface RotationReport {
  scanned: number;
  rewritten: number;
  /** Rows no configured key opens; left as they are and named so they can be disconnected. */
  unreadable: string[];
  /** Rows changed by a refresh, connect or disconnect between read and write; that writer already sealed them in the current format. */
  skipped: number;
}

export interface Replacement {
  row: SealedSnapshot;
  next: { accessTokenEnc: string | null; refreshTokenEnc: string | null };
}

/**
 * Where the rows live: D1 through drizzle inside the worker and its tests,
 * or SQL run by `wrangler d1 execute` (local or remote) for
 * `npm run keys:rotate`, so both run this one implementation.
 */
export interface RotationStore {
  /** Rows that hold any sealed token, in id order after `afterId`. */
  listSealed(afterId: string, limit: number): Promise<SealedSnapshot[]>;
  /** Compare-and-swap per replacement: each goes through only if the row still holds the envelopes it was read with. */
  replaceEnvelopes(replacements: Replacement[]): Promise<boolean[]>;
}

export function d1RotationStore(db: Database): RotationStore {
  return {
    listSealed: (afterId, limit) => listSealedIntegrations(db, afterId, limit),
    async replaceEnvelopes(replacements) {
      const done: boolean[] = [];
      for (const { row, next } of replacements) done.push(await replaceTokenEnvelopes(db, row, next));
      return done;
    },
  };
}

/** The result of one SQL statement, as `wrangler d1 execute --json` prints it. */
export interface StatementResult {
  results: Array<Record<string, unknown>>;
}

/** Runs statements (one SQL text, separated by `;`) and returns one result per statement. */
export type SqlRunner = (statements: string[]) => Promise<StatementResult[]>;

/** A SQLite literal: `wrangler d1 execute --command` takes SQL text, not bound parameters. */
function literal(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "string" && !value.includes("\0")) return `'${value.replaceAll("'", "''")}'`;
  throw new Error(`cannot write ${typeof value} as a SQL literal`);
}

function inline(query: { toSQL(): { sql: string; params: unknown[] } }): string {
  const { sql, params } = query.toSQL();
  const parts = sql.split("?");
  if (parts.length !== params.length + 1) throw new Error("unexpected placeholder in generated SQL");
  return parts.reduce((out, part, i) => out + literal(params[i - 1]) + part);
}

/**
 * The same statements as the D1 store (worker/db/integrations.ts builds
 * them), rendered to SQL text for a runner such as `wrangler d1 execute`.
 */
export function sqlRotationStore(run: SqlRunner): RotationStore {
  // Only renders statements; nothing is sent through this binding.
  const db = database({ DB: {} as D1Database });
  return {
    async listSealed(afterId, limit) {
      const [result] = await run([inline(sealedIntegrationsPage(db, afterId, limit))]);
      return (result?.results ?? []).map((r) => ({
        id: String(r.id),
        accessTokenEnc: (r.access_token_enc as string | null) ?? null,
        refreshTokenEnc: (r.refresh_token_enc as string | null) ?? null,
      }));
    },
    async replaceEnvelopes(replacements) {
      if (replacements.length === 0) return [];
      const results = await run(replacements.map(({ row, next }) => inline(replaceTokenEnvelopesStatement(db, row, next))));
      return replacements.map((_, i) => (results[i]?.results.length ?? 0) === 1);
    },
  };
}

const PAGE = 100;

/**
 * Re-seals every stored token under the first key of `keys` in the current
 * envelope format: rows on an older key, and `v1` envelopes (bound to the
 * row id only) which become `v2` (bound to row id and column). Afterwards
 * the older keys can be removed from TOKEN_ENCRYPTION_KEYS. Rows already
 * current are left alone; a row that no key opens is reported, not destroyed.
 */
export async function rotateTokenEnvelopes(store: RotationStore, keys: EncryptionKey[]): Promise<RotationReport> {
  const first = keys[0];
  if (!first) throw new Error("TOKEN_ENCRYPTION_KEYS has no key");
  const report: RotationReport = { scanned: 0, rewritten: 0, unreadable: [], skipped: 0 };
  let after = "";
  for (;;) {
    const rows = await store.listSealed(after, PAGE);
    const replacements: Replacement[] = [];
    for (const row of rows) {
      report.scanned += 1;
      const stale = [row.accessTokenEnc, row.refreshTokenEnc].some((sealed) => sealed !== null && !isCurrentEnvelope(sealed, first.kid));
      if (!stale) continue;
      try {
        const reseal = async (column: TokenColumn, sealed: string | null) =>
          sealed === null ? null : encryptToken(keys, row.id, column, await decryptToken(keys, row.id, column, sealed));
        replacements.push({
          row,
          next: { accessTokenEnc: await reseal("access_token_enc", row.accessTokenEnc), refreshTokenEnc: await reseal("refresh_token_enc", row.refreshTokenEnc) },
        });
      } catch {
        report.unreadable.push(row.id);
      }
    }
    for (const done of await store.replaceEnvelopes(replacements)) {
      if (done) report.rewritten += 1;
      else report.skipped += 1;
    }
    if (rows.length < PAGE) return report;
    after = rows[rows.length - 1]!.id;
  }
}

/** The worker's own D1. */
export function rotateTokenKeys(db: Database, keys: EncryptionKey[]): Promise<RotationReport> {
  return rotateTokenEnvelopes(d1RotationStore(db), keys);
}

/** Entry for `npm run keys:rotate`: SQL through wrangler, keys in the format of the variable the worker reads. */
export function rotateThroughSql(run: SqlRunner, keysVariable: string): Promise<RotationReport> {
  return rotateTokenEnvelopes(sqlRotationStore(run), parseEncryptionKeys(keysVariable));
}
