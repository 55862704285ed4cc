import { ExtractionError } from "../types";

/** Signatures of binary formats people upload by mistake, so the error can say what the file really is. */
const MAGIC: Array<[number[], string]> = [
  [[0x25, 0x50, 0x44, 0x46, 0x2d], "a PDF"],
  [[0x89, 0x50, 0x4e, 0x47], "a PNG image"],
  [[0xff, 0xd8, 0xff], "a JPEG image"],
  [[0x47, 0x49, 0x46, 0x38], "a GIF image"],
  [[0x50, 0x4b, 0x03, 0x04], "a ZIP archive or an Office document"],
  [[0x1f, 0x8b], "a gzip archive"],
];

function sniff(bytes: Uint8Array): string | undefined {
  return MAGIC.find(([sig]) => sig.every((b, i) => bytes[i] === b))?.[1];
}

/**
 * The bytes of a text format (plain text, Markdown, HTML, JSON) as a string:
 * strict UTF-8, without a byte-order mark, with LF line ends. Binary content
 * under a text type is refused with what it looks like, so a PDF uploaded
 * as text/plain fails with a reason instead of indexing garbage.
 */
export function decodeText(bytes: Uint8Array, declared: string): string {
  const kind = sniff(bytes);
  if (kind) {
    const hint = kind === "a PDF" ? " Upload it as a PDF (application/pdf)." : "";
    throw new ExtractionError("binary_content", `This file looks like ${kind}, not ${declared}.${hint}`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ExtractionError("binary_content", `This file is not UTF-8 text, so it cannot be read as ${declared}. Save it as UTF-8 text, or upload it in its own format.`);
  }
  // NUL never occurs in text; many other control characters mean a binary file that happens to decode.
  let controls = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) throw new ExtractionError("binary_content", `This file contains binary data, not ${declared}.`);
    if (c < 32 && c !== 9 && c !== 10 && c !== 12 && c !== 13) controls++;
  }
  if (controls > Math.max(8, text.length / 100)) throw new ExtractionError("binary_content", `This file contains binary data, not ${declared}.`);
  return text.replace(/\r\n?/g, "\n");
}

export function requireContent(text: string, what: string): string {
  if (!text.trim()) throw new ExtractionError("empty_document", `${what} has no text to index.`);
  return text;
}
