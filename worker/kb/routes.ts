import { Hono } from "hono";
import { requireUser } from "../auth/middleware";
import { KB_REINDEX_PER_USER, KB_UPLOAD_PER_USER, limitPerUser } from "../auth/rate-limit";
import { KbSearchBody } from "../contract/kb";
import { database } from "../db/client";
import { findKbDocument, listKbChunkRefs, listKbDocuments, readKbText, toKbDocument } from "../db/kb";
import { AppError } from "../errors";
import type { AppBindings } from "../http/types";
import { jsonBody } from "../http/validate";
import "./consumer";
import "./cron";
import "./tool";
import { reindexKnowledge, removeKbDocument } from "./documents";
import { searchKnowledge } from "./search";
import { readUpload, storeUpload } from "./upload";

/** Another user's document and an unknown id are the same 404: the answer never says a document exists. */
async function ownDocument(db: ReturnType<typeof database>, userId: string, id: string) {
  const doc = id.length <= 100 ? await findKbDocument(db, userId, id) : undefined;
  if (!doc) throw new AppError(404, "document_not_found", "No such document.");
  return doc;
}

export const kb = new Hono<AppBindings>()
  .use("*", requireUser)
  .post("/documents", limitPerUser(KB_UPLOAD_PER_USER), async (c) => {
    const upload = await readUpload(c);
    const document = await storeUpload(c.env, c.get("userId"), upload, new Date());
    return c.json({ document }, 202);
  })
  .get("/documents", async (c) => {
    const rows = await listKbDocuments(database(c.env), c.get("userId"));
    return c.json({ documents: rows.map(toKbDocument) });
  })
  .get("/documents/:id", async (c) => {
    const db = database(c.env);
    const doc = await ownDocument(db, c.get("userId"), c.req.param("id"));
    const [text, chunks] = await Promise.all([readKbText(db, doc.id), doc.status === "indexed" ? listKbChunkRefs(db, doc.id) : Promise.resolve([])]);
    return c.json({ document: toKbDocument(doc), text, chunks });
  })
  .delete("/documents/:id", async (c) => {
    const doc = await ownDocument(database(c.env), c.get("userId"), c.req.param("id"));
    await removeKbDocument(c.env, doc);
    return c.body(null, 204);
  })
  .post("/search", jsonBody(KbSearchBody), async (c) => {
    return c.json(await searchKnowledge(c.env, c.get("userId"), c.req.valid("json")));
  })
  .post("/reindex", limitPerUser(KB_REINDEX_PER_USER), async (c) => {
    return c.json(await reindexKnowledge(c.env, c.get("userId"), new Date()), 202);
  });
