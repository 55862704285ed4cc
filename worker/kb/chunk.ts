import { countTokens } from "./tokens";
import type { Chunk } from "./types";

/**
 * Structure-aware chunking of extracted text (Markdown-like: every format's
 * extractor writes headings as `#` lines). The text is read as blocks —
 * headings, paragraphs, fenced code, tables — and:
 *
 * - a heading always starts a new chunk, and every chunk knows the headings
 *   it sits under (its citation path);
 * - blocks of one section are packed up to the target size; the next chunk
 *   of the same section starts with about 15 % of the previous one (whole
 *   sentences where possible, else whole words), so a passage cut in two is
 *   still found whole in one of them;
 * - a block larger than the target is split: a paragraph between sentences,
 *   then between words; a table between rows; a fenced code block is kept
 *   whole up to twice the target and only beyond that split between lines —
 *   never inside a line, so never inside a word of it;
 * - a chunk is always one contiguous span, `text === document.slice(start, end)`,
 *   cut only at whitespace, so never inside a word or a surrogate pair. The
 *   one exception is a single "word" longer than the target (a pasted key, a
 *   base64 blob), cut at code points because no boundary exists.
 *
 * Deterministic: the same text gives the same chunks.
 */

export interface ChunkOptions {
  /** About this many tokens per chunk (default 500). */
  targetTokens?: number;
  /** Share of the target carried over from the previous chunk of the same section (default 0.15). */
  overlapRatio?: number;
}

type BlockKind = "heading" | "paragraph" | "fence" | "table";

interface Block {
  kind: BlockKind;
  start: number;
  end: number;
  /** Heading level 1–6. */
  level?: number;
  title?: string;
}

interface Piece {
  start: number;
  end: number;
  tokens: number;
  headingPath: string[];
  /** Starts a new chunk whatever fits (the first piece after a heading boundary). */
  section: number;
}

const HEADING = /^(#{1,6})[ \t]+(.+?)[ \t#]*$/;
const FENCE_OPEN = /^[ ]{0,3}(`{3,}|~{3,})/;
const TABLE_ROW = /^\s*\|/;

/** Splits the text into blocks with their offsets, honouring fences (a `#` inside code is not a heading). */
function readBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const lines: Array<{ start: number; end: number; text: string }> = [];
  let at = 0;
  while (at <= text.length) {
    const nl = text.indexOf("\n", at);
    const end = nl === -1 ? text.length : nl;
    lines.push({ start: at, end, text: text.slice(at, end) });
    if (nl === -1) break;
    at = nl + 1;
  }
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (!line.text.trim()) {
      i++;
      continue;
    }
    const fence = FENCE_OPEN.exec(line.text);
    if (fence) {
      const marker = fence[1]!;
      let j = i + 1;
      while (j < lines.length && !(lines[j]!.text.trimStart().startsWith(marker[0]!.repeat(marker.length)) && lines[j]!.text.trim().replace(/[`~]/g, "") === "")) j++;
      const last = lines[Math.min(j, lines.length - 1)]!;
      blocks.push({ kind: "fence", start: line.start, end: last.end });
      i = j + 1;
      continue;
    }
    const heading = HEADING.exec(line.text);
    if (heading) {
      blocks.push({ kind: "heading", start: line.start, end: line.end, level: heading[1]!.length, title: heading[2]!.trim() });
      i++;
      continue;
    }
    const table = TABLE_ROW.test(line.text);
    let j = i + 1;
    while (j < lines.length && lines[j]!.text.trim() && !FENCE_OPEN.test(lines[j]!.text) && !HEADING.test(lines[j]!.text) && TABLE_ROW.test(lines[j]!.text) === table) j++;
    blocks.push({ kind: table ? "table" : "paragraph", start: line.start, end: lines[j - 1]!.end });
    i = j;
  }
  return blocks;
}

/** Boundaries inside [start, end) where a split may fall, best kind first available: after a sentence, then at whitespace. */
function sentenceEnds(text: string, start: number, end: number): number[] {
  const out: number[] = [];
  const re = /[.!?。！？…]["'”’)\]]*\s+/gu;
  re.lastIndex = start;
  for (let m = re.exec(text); m && m.index < end; m = re.exec(text)) {
    const cut = m.index + m[0].length;
    if (cut < end) out.push(cut);
  }
  return out;
}

function wordStarts(text: string, start: number, end: number): number[] {
  const out: number[] = [];
  const re = /\s+/g;
  re.lastIndex = start;
  for (let m = re.exec(text); m && m.index < end; m = re.exec(text)) {
    const cut = m.index + m[0].length;
    if (cut < end) out.push(cut);
  }
  return out;
}

function lineStarts(text: string, start: number, end: number): number[] {
  const out: number[] = [];
  for (let nl = text.indexOf("\n", start); nl !== -1 && nl + 1 < end; nl = text.indexOf("\n", nl + 1)) out.push(nl + 1);
  return out;
}

/**
 * Cuts [start, end) at the given boundaries into spans of at most `max`
 * tokens, greedily. Each segment between two boundaries is counted once and
 * spans add their segments' counts (BPE counts are near-additive at
 * whitespace, and the chunk's own count is taken exactly at the end), so a
 * huge paragraph costs one pass. A segment alone over `max` goes to `fallback`.
 */
function splitAt(text: string, start: number, end: number, cuts: number[], max: number, fallback: (s: number, e: number) => Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let from = start;
  let tokens = 0;
  let prev = start;
  for (const p of [...cuts, end]) {
    const segment = countTokens(text.slice(prev, p));
    if (segment > max) {
      if (prev > from) out.push([from, prev]);
      out.push(...fallback(prev, p));
      from = p;
      tokens = 0;
    } else if (tokens + segment > max) {
      out.push([from, prev]);
      from = prev;
      tokens = segment;
    } else {
      tokens += segment;
    }
    prev = p;
  }
  if (from < end) out.push([from, end]);
  return out;
}

/** Last resort for a run without whitespace: equal slices of whole code points. */
function codePointSlices(text: string, start: number, end: number, max: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const chars = Array.from(text.slice(start, end));
  const per = Math.max(1, Math.floor((chars.length * max) / Math.max(1, countTokens(text.slice(start, end)))));
  let at = start;
  for (let i = 0; i < chars.length; i += per) {
    const len = chars.slice(i, i + per).join("").length;
    out.push([at, at + len]);
    at += len;
  }
  return out;
}

function splitOversized(text: string, block: Block, max: number): Array<[number, number]> {
  const byCodePoints = (s: number, e: number) => codePointSlices(text, s, e, max);
  const byWords = (s: number, e: number) => splitAt(text, s, e, wordStarts(text, s, e), max, byCodePoints);
  if (block.kind === "paragraph") return splitAt(text, block.start, block.end, sentenceEnds(text, block.start, block.end), max, byWords);
  // Tables between rows, code between lines; a single line longer than the target falls back to words.
  return splitAt(text, block.start, block.end, lineStarts(text, block.start, block.end), max, byWords);
}

/**
 * Where the overlap of the next chunk starts: the earliest sentence start
 * (else word start) in the previous chunk whose tail stays within `budget`
 * tokens. The tail's size is first estimated from the chunk's own
 * characters-per-token, then checked with one count (and moved forward
 * while it is over), so a long document costs a couple of counts per chunk.
 */
function overlapStart(text: string, prev: { start: number; end: number; tokens: number }, atomic: Array<[number, number]>, budget: number): number | undefined {
  if (budget <= 0) return undefined;
  const inAtomic = (p: number) => atomic.some(([s, e]) => p > s && p < e);
  const charsPerToken = (prev.end - prev.start) / Math.max(1, prev.tokens);
  const from = Math.max(prev.start, Math.floor(prev.end - budget * charsPerToken * 1.2));
  for (const candidates of [sentenceEnds(text, from, prev.end), wordStarts(text, from, prev.end)]) {
    const usable = candidates.filter((p) => !inAtomic(p) && p > prev.start && prev.end - p <= budget * charsPerToken * 1.2);
    for (const p of usable) {
      if (countTokens(text.slice(p, prev.end)) <= budget) return p;
    }
  }
  return undefined;
}

export function chunkText(text: string, options: ChunkOptions = {}): Chunk[] {
  const target = Math.max(16, options.targetTokens ?? 500);
  const overlapBudget = Math.floor(target * (options.overlapRatio ?? 0.15));
  const blocks = readBlocks(text);
  // An overlap never starts inside code or a table: half a line of either reads as garbage.
  const fenceSpans: Array<[number, number]> = blocks.filter((b) => b.kind === "fence" || b.kind === "table").map((b) => [b.start, b.end]);

  // Blocks → pieces no larger than the target (a fence may be up to twice the target), each with its heading path.
  const pieces: Piece[] = [];
  const path: Array<{ level: number; title: string }> = [];
  let section = 0;
  let headingOnly = false;
  for (const block of blocks) {
    if (block.kind === "heading") {
      while (path.length && path.at(-1)!.level >= block.level!) path.pop();
      path.push({ level: block.level!, title: block.title! });
      // A heading right under another one joins its section: "# Guide" then "## Install" is one chunk, not two.
      if (!headingOnly) section++;
      headingOnly = true;
      pieces.push({ start: block.start, end: block.end, tokens: countTokens(text.slice(block.start, block.end)), headingPath: path.map((h) => h.title), section });
      continue;
    }
    headingOnly = false;
    const headingPath = path.map((h) => h.title);
    const tokens = countTokens(text.slice(block.start, block.end));
    const limit = block.kind === "fence" ? target * 2 : target;
    const spans = tokens <= limit ? [[block.start, block.end] as [number, number]] : splitOversized(text, block, target);
    for (const [start, end] of spans) {
      pieces.push({ start, end, tokens: spans.length === 1 ? tokens : countTokens(text.slice(start, end)), headingPath, section });
    }
  }

  // Pieces → chunks: packed per section up to the target, the next chunk of a section opening with an overlap.
  const spans: Array<{ start: number; end: number; headingPath: string[] }> = [];
  let current: { start: number; end: number; tokens: number; section: number; headingPath: string[] } | undefined;
  for (const piece of pieces) {
    const fits = current && current.section === piece.section && current.tokens + piece.tokens <= target;
    if (current && fits) {
      current.end = piece.end;
      current.tokens += piece.tokens;
      // The path of the deepest heading the chunk reaches (a heading-only start takes the path of what follows it).
      if (piece.headingPath.length >= current.headingPath.length) current.headingPath = piece.headingPath;
      continue;
    }
    let start = piece.start;
    let tokens = piece.tokens;
    if (current) {
      spans.push(current);
      if (current.section === piece.section) {
        const overlap = overlapStart(text, current, fenceSpans, Math.min(overlapBudget, target - piece.tokens));
        if (overlap !== undefined) {
          start = overlap;
          tokens += countTokens(text.slice(overlap, current.end));
        }
      }
    }
    current = { start, end: piece.end, tokens, section: piece.section, headingPath: piece.headingPath };
  }
  if (current) spans.push(current);

  return spans.map((s, ordinal) => {
    // Cuts fall after whitespace (a line break, a space); the chunk itself starts and ends on text.
    let { start, end } = s;
    while (start < end && /\s/.test(text[start]!)) start++;
    while (end > start && /\s/.test(text[end - 1]!)) end--;
    const chunkText = text.slice(start, end);
    return { ordinal, text: chunkText, start, end, headingPath: s.headingPath, tokens: countTokens(chunkText) };
  });
}
