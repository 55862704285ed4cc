import type { KbMimeType } from "../../contract/kb";
import { ExtractionError, type ExtractedText } from "../types";
import { htmlToText } from "./html";
import { jsonToText } from "./json";
import { pdfToText } from "./pdf";
import { decodeText, requireContent } from "./text";

/**
 * The text of an upload, by its type: what gets chunked, indexed and shown
 * in the document view. Every format ends in Markdown-like text whose
 * headings are `#` lines, so the chunker can follow any document's
 * structure. Throws ExtractionError with a reason a person can act on; a
 * document never ends up silently empty.
 */
export async function extractText(bytes: Uint8Array, mimeType: KbMimeType): Promise<ExtractedText> {
  if (bytes.byteLength === 0) throw new ExtractionError("empty_document", "The file is empty: there is nothing to index.");
  switch (mimeType) {
    case "application/pdf":
      return pdfToText(bytes);
    case "text/html":
      return { text: requireContent(await htmlToText(decodeText(bytes, mimeType)), "This page") };
    case "application/json":
      return { text: requireContent(jsonToText(decodeText(bytes, mimeType)), "This JSON document") };
    case "text/plain":
    case "text/markdown":
      return { text: requireContent(decodeText(bytes, mimeType).replace(/^\uFEFF/, ""), "This file") };
    default:
      throw new ExtractionError("unsupported_type", `${mimeType as string} cannot be indexed. Upload text, Markdown, HTML, JSON or PDF files.`);
  }
}
