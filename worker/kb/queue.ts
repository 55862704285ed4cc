import { z } from "zod";
import type { Env } from "../env";

/** A `KB_INDEX` message: which document to index. Everything else is read from D1 and R2 when it runs, so a late message indexes what is there now. */
export const IndexMessage = z.object({ documentId: z.string().min(1).max(100), userId: z.string().min(1).max(100) });
export type IndexMessage = z.infer<typeof IndexMessage>;

export async function enqueueIndexing(env: Pick<Env, "KB_INDEX">, message: IndexMessage): Promise<void> {
  await env.KB_INDEX.send(message, { contentType: "json" });
}

/** Queues many documents in batches of 100 (the Queues limit for one sendBatch). */
export async function enqueueIndexingMany(env: Pick<Env, "KB_INDEX">, messages: IndexMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 100) {
    await env.KB_INDEX.sendBatch(messages.slice(i, i + 100).map((body) => ({ body, contentType: "json" as const })));
  }
}
