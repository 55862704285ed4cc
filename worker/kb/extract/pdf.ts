import { ExtractionError, type ExtractedText } from "../types";

/**
 * A PDF's text layer, page by page (unpdf: PDF.js built for serverless
 * runtimes). Pages are joined by blank lines and `pageStarts` says where
 * each begins, for "page N" in citations. A file PDF.js cannot open is
 * `corrupt_pdf`; a PDF with pages but no text (a scan) is `pdf_no_text`.
 */
export async function pdfToText(bytes: Uint8Array): Promise<ExtractedText> {
  let pages: string[];
  // PDF.js is large: loaded with the first PDF, not with every isolate that serves the API.
  const { extractText: extractPdfText, getDocumentProxy } = await import("unpdf");
  try {
    // PDF.js takes ownership of the buffer it is given: hand it a copy.
    const pdf = await getDocumentProxy(new Uint8Array(bytes));
    pages = (await extractPdfText(pdf, { mergePages: false })).text;
  } catch (e) {
    throw new ExtractionError("corrupt_pdf", `This PDF could not be read (${(e as Error).message || "it is damaged or incomplete"}). Export it again from the program that made it.`);
  }
  const pageStarts: number[] = [];
  let text = "";
  for (const page of pages) {
    if (text) text += "\n\n";
    pageStarts.push(text.length);
    text += page.replace(/\r\n?/g, "\n").replace(/[ \t]+\n/g, "\n").trim();
  }
  if (!text.trim()) throw new ExtractionError("pdf_no_text", "This PDF has no text layer (it may be a scan); text recognition (OCR) is not supported.");
  return { text, pageStarts };
}
