import { describe, expect, it } from "vitest";
import { chunkText } from "../../worker/kb/chunk";
import { countTokens } from "../../worker/kb/tokens";
import type { Chunk } from "../../worker/kb/types";

/** What must hold of every chunking: exact spans, whole words, no lone surrogates, full coverage, sizes near the target. */
function checkInvariants(text: string, chunks: Chunk[], target = 500) {
  const covered = new Uint8Array(text.length);
  chunks.forEach((c, i) => {
    expect(c.ordinal).toBe(i);
    expect(c.text).toBe(text.slice(c.start, c.end));
    expect(c.tokens).toBe(countTokens(c.text));
    expect(c.text.trim().length).toBeGreaterThan(0);
    // Never inside a word: both ends sit at the text's ends or next to whitespace.
    if (c.start > 0) expect(/\s/.test(text[c.start - 1]!) || /\s/.test(text[c.start]!)).toBe(true);
    if (c.end < text.length) expect(/\s/.test(text[c.end]!) || /\s/.test(text[c.end - 1]!)).toBe(true);
    expect(c.text).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
    for (let k = c.start; k < c.end; k++) covered[k] = 1;
  });
  for (let k = 0; k < text.length; k++) if (!/\s/.test(text[k]!)) expect(covered[k], `character ${k} (${text[k]}) is in no chunk`).toBe(1);
  for (const c of chunks) expect(c.tokens).toBeLessThanOrEqual(target * 1.2);
}

const words = (n: number, seed = 1) => Array.from({ length: n }, (_, i) => ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"][(i * 7 + seed) % 7]).join(" ");

describe("chunkText", () => {
  it("a tiny document is one chunk", () => {
    const text = "Just one line.";
    expect(chunkText(text)).toEqual([{ ordinal: 0, text, start: 0, end: text.length, headingPath: [], tokens: countTokens(text) }]);
  });

  it("an empty or blank document has no chunks", () => {
    expect(chunkText("")).toEqual([]);
    expect(chunkText(" \n\n\t\n")).toEqual([]);
  });

  it("a heading starts a new chunk and each chunk knows the headings it sits under", () => {
    const text = "# Guide\n\nIntro words.\n\n## Install\n\nRun the installer.\n\n### Linux\n\nUse the package.\n\n## Usage\n\nStart it.";
    const chunks = chunkText(text);
    checkInvariants(text, chunks);
    expect(chunks.map((c) => [c.text, c.headingPath])).toEqual([
      ["# Guide\n\nIntro words.", ["Guide"]],
      ["## Install\n\nRun the installer.", ["Guide", "Install"]],
      ["### Linux\n\nUse the package.", ["Guide", "Install", "Linux"]],
      ["## Usage\n\nStart it.", ["Guide", "Usage"]],
    ]);
  });

  it("a heading directly under another joins it instead of standing alone", () => {
    const text = "# Field guide\n\n## Lighthouses\n\nThe keeper trims the wick.";
    expect(chunkText(text).map((c) => [c.text, c.headingPath])).toEqual([[text, ["Field guide", "Lighthouses"]]]);
  });

  it("one huge paragraph is split between sentences, near the target, with about 15 % overlap", () => {
    const sentences = Array.from({ length: 400 }, (_, i) => `Sentence ${i} talks about ${words(12, i)}.`);
    const text = sentences.join(" ");
    const chunks = chunkText(text, { targetTokens: 200 });
    checkInvariants(text, chunks, 200);
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks.slice(0, -1)) expect(c.tokens).toBeGreaterThan(120);
    for (let i = 1; i < chunks.length; i++) {
      const [prev, next] = [chunks[i - 1]!, chunks[i]!];
      expect(next.start).toBeLessThan(prev.end); // overlaps …
      const overlap = countTokens(text.slice(next.start, prev.end));
      expect(overlap).toBeGreaterThan(5);
      expect(overlap).toBeLessThanOrEqual(30); // … by at most 15 % of 200
      expect(next.text).toMatch(/^Sentence \d+/); // and starts at a sentence
    }
  });

  it("a paragraph with no sentence ends is split between words", () => {
    const text = words(3000);
    const chunks = chunkText(text, { targetTokens: 100 });
    checkInvariants(text, chunks, 100);
    expect(chunks.length).toBeGreaterThan(20);
  });

  it("never cuts inside a fenced code block that fits twice the target, and a # inside code is not a heading", () => {
    const code = ["```ts", ...Array.from({ length: 30 }, (_, i) => `const value${i} = compute(${i}); # not a heading`), "```"].join("\n");
    const text = `# Code\n\n${words(150)}\n\n${code}\n\n${words(150, 3)}`;
    const chunks = chunkText(text, { targetTokens: 250 });
    checkInvariants(text, chunks, 500);
    const start = text.indexOf("```ts");
    const end = text.lastIndexOf("```") + 3;
    for (const c of chunks) {
      expect(c.start <= start || c.start >= end).toBe(true);
      expect(c.end <= start || c.end >= end).toBe(true);
      expect(c.headingPath).toEqual(["Code"]);
    }
    expect(chunks.some((c) => c.text.includes(code))).toBe(true);
  });

  it("an enormous code block is split only between lines", () => {
    const lines = Array.from({ length: 400 }, (_, i) => `    call_function_number_${i}(argument_${i}, other_${i})`);
    const text = ["```", ...lines, "```"].join("\n");
    const chunks = chunkText(text, { targetTokens: 100 });
    checkInvariants(text, chunks, 100);
    for (const c of chunks) {
      // Starts at the first character of a line (after its indentation).
      expect(text.slice(text.lastIndexOf("\n", c.start - 1) + 1, c.start)).toMatch(/^\s*$/);
      expect(c.end === text.length || text[c.end] === "\n").toBe(true);
      expect(c.text).not.toMatch(/^\s|\s$/);
    }
  });

  it("keeps a table whole when it fits and splits a big one between rows", () => {
    const row = (i: number) => `| ${i} | ${words(6, i)} | ${i * 2} |`;
    const small = ["| id | words | double |", "|---|---|---|", ...Array.from({ length: 5 }, (_, i) => row(i))].join("\n");
    const text = `Intro.\n\n${small}`;
    expect(chunkText(text).map((c) => c.text)).toEqual([text]);

    const big = ["| id | words | double |", "|---|---|---|", ...Array.from({ length: 300 }, (_, i) => row(i))].join("\n");
    const chunks = chunkText(big, { targetTokens: 150 });
    checkInvariants(big, chunks, 150);
    for (const c of chunks) expect(c.text.split("\n").every((line) => /^\|.*\|$/.test(line) || line === "")).toBe(true);
  });

  it("Unicode, CJK and emoji are never split in half", () => {
    const text = Array.from({ length: 300 }, (_, i) => `Ünïcödé ${i} 👩‍👩‍👧‍👦 naïve café 東京タワー 🚀🚀`).join(" ");
    const chunks = chunkText(text, { targetTokens: 80 });
    checkInvariants(text, chunks, 80);
    for (const c of chunks) expect(() => encodeURIComponent(c.text)).not.toThrow();
  });

  it("a run without any whitespace longer than the target is cut at code points, not lost", () => {
    const blob = "A".repeat(2000) + "😀".repeat(200);
    const chunks = chunkText(blob, { targetTokens: 64 });
    expect(chunks.map((c) => c.text).join("")).toBe(blob);
    for (const c of chunks) expect(() => encodeURIComponent(c.text)).not.toThrow();
  });

  it("is deterministic", () => {
    const text = `# A\n\n${words(2000)}\n\n## B\n\n${words(900, 2)}`;
    expect(chunkText(text)).toEqual(chunkText(text));
  });
});
