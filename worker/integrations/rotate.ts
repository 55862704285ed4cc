import { parseEncryptionKeys, type EncryptionKey } from "../config";
import type { Database } from "../db/client";
import { listSealedIntegrations, replaceTokenEnvelopes } from "../db/integrations";
import { decryptToken, encryptToken, envelopeKeyId } from "./crypto";

export interface RotationReport {
  scanned: number;
  rewritten: number;
  /** Rows whose tokens no configured key opens; left as they are and named so they can be disconnected. */
  unreadable: string[];
  /** Rows changed by a refresh between read and write; the refresh already sealed them under the first key. */
  skipped: number;
}

const PAGE = 100;

/**
 * Re-seals every stored token under the first key of `keys`, so the older
 * keys can then be removed from TOKEN_ENCRYPTION_KEYS. Rows already on the
 * first key are left alone; a row that no key opens is reported, not
 * destroyed.
 */
export async function rotateTokenKeys(db: Database, keys: EncryptionKey[]): Promise<RotationReport> {
  const first = keys[0];
  if (!first) throw new Error("TOKEN_ENCRYPTION_KEYS has no key");
  const report: RotationReport = { scanned: 0, rewritten: 0, unreadable: [], skipped: 0 };
  let after = "";
  for (;;) {
    const rows = await listSealedIntegrations(db, after, PAGE);
    if (rows.length === 0) return report;
    for (const row of rows) {
      report.scanned += 1;
      const stale = [row.accessTokenEnc, row.refreshTokenEnc].some((sealed) => sealed !== null && envelopeKeyId(sealed) !== first.kid);
      if (!stale) continue;
      try {
        const reseal = async (sealed: string | null) => (sealed === null ? null : encryptToken(keys, row.id, await decryptToken(keys, row.id, sealed)));
        const next = { accessTokenEnc: await reseal(row.accessTokenEnc), refreshTokenEnc: await reseal(row.refreshTokenEnc) };
        if (await replaceTokenEnvelopes(db, row, next)) report.rewritten += 1;
        else report.skipped += 1;
      } catch {
        report.unreadable.push(row.id);
      }
    }
    after = rows[rows.length - 1]!.id;
  }
}

/** Entry for `npm run keys:rotate`: the keys come from the same variable the worker reads. */
export async function rotateTokenKeysInDatabase(db: Database, keysVariable: string): Promise<RotationReport> {
  return rotateTokenKeys(db, parseEncryptionKeys(keysVariable));
}
