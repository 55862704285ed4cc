import { z } from "zod";
import { database } from "../db/client";
import { hasIndexedKbDocument } from "../db/kb";
import { AppError } from "../errors";
import { defineTool } from "../tools/define";
import { toolRegistry } from "../tools/registry";
import { clip, itemList } from "../tools/results";
import { searchKnowledge } from "./search";

/** Where the web app opens a cited passage. */
export function citationUrl(documentId: string, chunkId: string): string {
  return `/knowledge/${encodeURIComponent(documentId)}?chunk=${encodeURIComponent(chunkId)}`;
}

/**
 * `kb.search`: the same hybrid search as `POST /api/kb/search`, returning
 * citations — each passage with its document, heading path and a link that
 * opens it at that place — so the agent's answers can cite them.
 */
const search = defineTool({
  name: "kb.search",
  description: "Search the user's knowledge base (their uploaded notes and documents) and return the best-matching passages with citations.",
  parameters: z.object({
    query: z.string().trim().min(1).max(500).describe("What to look for, in the user's words"),
    limit: z.number().int().min(1).max(10).default(5).describe("Passages to return (max 10)"),
  }),
  async run(args, ctx) {
    if (!ctx.env) throw new AppError(503, "tool_unavailable", "The knowledge base is not available here.");
    const { results } = await searchKnowledge(ctx.env, ctx.userId, { query: args.query, topK: args.limit, mode: "hybrid" });
    const items = results.map((r) => ({
      documentId: r.documentId,
      chunkId: r.chunkId,
      title: r.title,
      ...(r.headingPath.length ? { section: r.headingPath.join(" › ") } : {}),
      // The section names the headings; the passage itself is the text under them.
      text: clip(r.text.replace(/^#{1,6}[ \t].*$\n*/gm, "").trim(), 1_200).text,
      score: r.score,
      source: { url: citationUrl(r.documentId, r.chunkId), label: r.headingPath.length ? `${r.title} › ${r.headingPath.at(-1)}` : r.title },
    }));
    return itemList(items, args.limit);
  },
});

/** Offered while the user has at least one indexed document: an empty knowledge base is nothing the agent should reach for. */
toolRegistry.register({ id: "kb", available: (env, userId) => hasIndexedKbDocument(database(env), userId), tools: [search] });
