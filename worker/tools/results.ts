import { z } from "zod";

/**
 * The shape of every tool result: small enough to put in front of a model on
 * each turn (a raw Gmail or GitHub answer runs to tens of thousands of
 * tokens), and citable — each item names where a person can open it.
 */

/** At most this many items per call, whatever the provider returned. */
export const MAX_ITEMS = 20;
/** At most this many characters of any one body (a message, an issue, an event description). */
export const MAX_BODY_CHARS = 2_000;

export interface SourceLink {
  url: string;
  label: string;
}

export interface ClippedText {
  text: string;
  /** Characters left out, when the text was cut. */
  omittedChars?: number;
}

/** The first `max` characters, cut at a code point (never half a surrogate pair), with how many were left out. */
export function clip(text: string, max = MAX_BODY_CHARS): ClippedText {
  const chars = Array.from(text);
  if (chars.length <= max) return { text };
  return { text: chars.slice(0, max).join(""), omittedChars: chars.length - max };
}

export interface More {
  /** How many more items there are, where that is known; null when the provider only says "there are more". */
  count: number | null;
  /** Pass back as `cursor` for the next page; null when the provider offers no way to page on. */
  cursor: string | null;
}

export interface ItemList<T> {
  items: T[];
  /** Null when this is everything; else how many more and how to get them. */
  more: More | null;
}

/**
 * At most `limit` (and never more than MAX_ITEMS) items, saying what was
 * left: `total` is the provider's count of all matches (Gmail's estimate on
 * a first page), `cursor` its token for the next page.
 */
export function itemList<T>(items: T[], limit: number, next: { cursor?: string | undefined; total?: number | null } = {}): ItemList<T> {
  const shown = items.slice(0, Math.min(limit, MAX_ITEMS));
  const overflow = items.length - shown.length;
  const cursor = next.cursor || null;
  if (!cursor && overflow === 0) return { items: shown, more: null };
  const count = typeof next.total === "number" ? Math.max(0, next.total - shown.length) : cursor ? null : overflow;
  return { items: shown, more: { count, cursor } };
}

/** The paging parameters every list tool takes, with the cap in the schema itself so the model sees it. */
export const pageParams = {
  limit: z.number().int().min(1).max(MAX_ITEMS).default(10).describe(`Items to return (max ${MAX_ITEMS})`),
  cursor: z.string().max(500).optional().describe("From a previous result's more.cursor"),
};
