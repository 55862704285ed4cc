import { database } from "../db/client";
import { listStalledKbDocuments, markKbFailed, requeueKbDocument } from "../db/kb";
import type { Env } from "../env";
import { log } from "../http/log";
import { registerCronTask } from "../ops/cron";
import { announceKbStatus } from "./pipeline";
import { enqueueIndexing } from "./queue";

/** A run still `indexing` after this long died with its isolate (a run of a 10 MB file takes seconds). */
export const KB_STALLED_AFTER_MS = 10 * 60 * 1000;
/** Runs a document gets, counting the queue's retries and this pass's, before it is `failed`. */
export const KB_MAX_RUNS = 5;
const BATCH = 50;

/**
 * Documents never stay "indexing" or "pending" for hours: a run that died
 * (the isolate was evicted mid-run, so no retry was scheduled) and a
 * document whose queue message was lost are queued again, up to
 * KB_MAX_RUNS runs; after that the document is `failed` with the reason.
 */
export async function retryStalledKbDocuments(env: Env, now: Date): Promise<{ requeued: number; failed: number }> {
  const db = database(env);
  const cutoff = new Date(now.getTime() - KB_STALLED_AFTER_MS);
  let requeued = 0;
  let failed = 0;
  for (const doc of await listStalledKbDocuments(db, cutoff, cutoff, BATCH)) {
    if (doc.attempts >= KB_MAX_RUNS) {
      const reason = `Indexing did not finish after ${doc.attempts} attempts${doc.error ? ` (last error: ${doc.error})` : ""}. Delete the document and upload it again.`;
      if (await markKbFailed(db, doc.id, reason, now)) {
        failed++;
        await announceKbStatus(env, doc.userId, doc.id, "failed", reason);
      }
      continue;
    }
    await requeueKbDocument(db, doc.id, now);
    await enqueueIndexing(env, { documentId: doc.id, userId: doc.userId });
    requeued++;
  }
  if (requeued || failed) log("warn", "kb_stalled_documents", { requeued, failed });
  return { requeued, failed };
}

registerCronTask("kb-stalled", async (env, now) => {
  await retryStalledKbDocuments(env, now);
});
