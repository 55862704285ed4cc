/** A run of a document's text, inside the cited range or not. */
export interface TextPiece {
  text: string;
  cited: boolean;
}

/** A heading line (`# …` to `###### …`) or the lines between headings. */
export interface TextBlock {
  kind: "heading" | "text";
  /** 1–6 for headings. */
  level: number;
  /** Offset in the text of the block's first shown character. */
  start: number;
  pieces: TextPiece[];
}

const HEADING = /^(#{1,6})[ \t]+(?=\S)/;

/** Splits [from, to) of `text` where it meets [cited.start, cited.end). */
function pieces(text: string, from: number, to: number, cited?: { start: number; end: number }): TextPiece[] {
  if (!cited || cited.end <= from || cited.start >= to || cited.end <= cited.start) return [{ text: text.slice(from, to), cited: false }];
  const a = Math.max(from, cited.start);
  const b = Math.min(to, cited.end);
  return [
    { text: text.slice(from, a), cited: false },
    { text: text.slice(a, b), cited: true },
    { text: text.slice(b, to), cited: false },
  ].filter((p) => p.text.length > 0);
}

/**
 * A document's extracted text as blocks to render as text (never as HTML):
 * Markdown-style heading lines become headings, the lines between them one
 * block each, and the characters in `cited` (offsets into `text`, as chunks
 * and search results give them) are marked wherever they fall.
 */
export function textBlocks(text: string, cited?: { start: number; end: number }): TextBlock[] {
  const blocks: TextBlock[] = [];
  let runStart = -1;
  const flush = (end: number) => {
    if (runStart < 0) return;
    let a = runStart;
    let b = end;
    while (a < b && text[a] === "\n") a++;
    while (b > a && /\s/.test(text[b - 1]!)) b--;
    if (b > a) blocks.push({ kind: "text", level: 0, start: a, pieces: pieces(text, a, b, cited) });
    runStart = -1;
  };
  let pos = 0;
  while (pos < text.length) {
    const newline = text.indexOf("\n", pos);
    const lineEnd = newline < 0 ? text.length : newline;
    const heading = HEADING.exec(text.slice(pos, Math.min(lineEnd, pos + 16)));
    if (heading) {
      flush(pos);
      const from = pos + heading[0].length;
      let to = lineEnd;
      while (to > from && /\s/.test(text[to - 1]!)) to--;
      blocks.push({ kind: "heading", level: heading[1]!.length, start: from, pieces: pieces(text, from, to, cited) });
    } else if (runStart < 0) {
      runStart = pos;
    }
    pos = lineEnd + 1;
  }
  flush(text.length);
  return blocks;
}
