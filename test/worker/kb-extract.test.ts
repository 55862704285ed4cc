import { PDFDocument, StandardFonts } from "pdf-lib";
import { describe, expect, it } from "vitest";
import type { KbMimeType } from "../../worker/contract/kb";
import { extractText } from "../../worker/kb/extract";
import { decodeEntities } from "../../worker/kb/extract/html";
import { ExtractionError } from "../../worker/kb/types";

const bytes = (text: string) => new TextEncoder().encode(text);

async function failure(input: Uint8Array, type: KbMimeType): Promise<ExtractionError> {
  try {
    await extractText(input, type);
  } catch (e) {
    expect(e).toBeInstanceOf(ExtractionError);
    return e as ExtractionError;
  }
  throw new Error("extraction succeeded");
}

async function multiPagePdf(pages: string[]): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (const text of pages) pdf.addPage().drawText(text, { x: 50, y: 700, size: 14, font });
  return pdf.save();
}

describe("extraction (inside workerd)", () => {
  it("HTML: what a reader sees, headings as # lines, without scripts, styles or hidden elements", async () => {
    const html = `<!doctype html><html><head><title>Ignored because there is an h1</title><style>body{color:red}</style>
      <script>var secret = "do not index";</script></head><body>
      <h1>Harbour &amp; Docks</h1>
      <p>Ships   dock at <b>dawn</b>.<br>Cranes unload cargo&nbsp;fast &#8212; &#x1F6A2;</p>
      <div hidden>hidden attribute text</div>
      <div aria-hidden="true">aria hidden text</div>
      <p style="color: blue; display: none">display none text</p>
      <span style="visibility:hidden">invisible text</span>
      <template><p>template text</p></template><noscript>noscript text</noscript>
      <!-- a comment -->
      <h2>Schedule</h2>
      <ul><li>Monday</li><li>Tuesday</li></ul>
      <table><tr><th>Ship</th><th>Berth</th></tr><tr><td>Aurora</td><td>4</td></tr></table>
      </body></html>`;
    const { text } = await extractText(bytes(html), "text/html");
    expect(text).toBe(
      ["# Harbour & Docks", "Ships dock at dawn.\nCranes unload cargo fast — 🚢", "## Schedule", "- Monday", "- Tuesday", "| Ship | Berth |\n| Aurora | 4 |"].join("\n\n"),
    );
    for (const gone of ["secret", "hidden attribute", "aria hidden", "display none", "invisible", "template", "noscript", "comment", "color:red", "Ignored"]) {
      expect(text).not.toContain(gone);
    }
  });

  it.each([
    ["a hidden <p> left open before a <div>", "<p hidden>secret<div>visible</div><p>after</p>", "visible\n\nafter"],
    ["a hidden <p> left open before the next <p>", "<p style='display:none'>secret<p>next para", "next para"],
    ["a hidden <li> left open before the next <li>", "<ul><li hidden>secret<li>shown</ul><p>after", "- shown\n\nafter"],
    ["a hidden <p> left open before a heading", "<p hidden>secret<h2>Heading</h2><p>text", "## Heading\n\ntext"],
    ["a hidden <dd> left open before the next <dt>", "<dl><dt>Term<dd hidden>secret<dt>Next</dl>", "Term\n\nNext"],
  ])("HTML: %s hides only itself, as a browser would, not the rest of the page", async (_what, html, text) => {
    const extracted = (await extractText(bytes(html), "text/html")).text;
    expect(extracted).toBe(text);
    expect(extracted).not.toContain("secret");
  });

  it("HTML without an h1 takes its title as the top heading; a page with no visible text is empty_document", async () => {
    expect((await extractText(bytes("<title>Notes</title><p>Body text.</p>"), "text/html")).text).toBe("# Notes\n\nBody text.");
    expect((await failure(bytes("<script>only()</script><div hidden>x</div>"), "text/html")).code).toBe("empty_document");
  });

  it("decodes numeric and common named entities, and leaves unknown ones as written", () => {
    expect(decodeEntities("&lt;a&gt; &amp;amp; &#65;&#x42; &eacute;&zzz; &#xD800;")).toBe("<a> &amp; AB &eacute;&zzz; \uFFFD");
  });

  it("JSON: one line per value named by its key path, top-level sections as headings", async () => {
    const json = JSON.stringify({ name: "Widget", settings: { theme: { color: "dark" }, "max-size": 3 }, items: [{ sku: "a-1" }, { sku: "b-2" }], "odd key": null, empty: {} });
    const { text } = await extractText(bytes(json), "application/json");
    expect(text.split("\n")).toEqual([
      'name: "Widget"',
      "",
      "# settings",
      "",
      'settings.theme.color: "dark"',
      "settings.max-size: 3",
      "",
      "# items",
      "",
      'items[0].sku: "a-1"',
      'items[1].sku: "b-2"',
      "",
      '["odd key"]: null',
      "",
      "# empty",
      "",
      "empty: {}",
    ]);
  });

  it("invalid JSON ends with the parser's reason", async () => {
    const e = await failure(bytes('{"a": 1,,}'), "application/json");
    expect(e.code).toBe("invalid_json");
    expect(e.message).toMatch(/^This file is not valid JSON: /);
  });

  it("text: strips a byte-order mark, normalises line ends, refuses an empty file", async () => {
    expect((await extractText(new Uint8Array([0xef, 0xbb, 0xbf, ...bytes("line one\r\nline two\rline three")]), "text/plain")).text).toBe("line one\nline two\nline three");
    expect((await failure(new Uint8Array(), "text/markdown")).code).toBe("empty_document");
    expect((await failure(bytes(" \n\t\n"), "text/markdown")).code).toBe("empty_document");
  });

  it.each([
    ["a PDF sent as text", bytes("%PDF-1.7\nbinary"), /looks like a PDF.*Upload it as a PDF/],
    ["a PNG sent as Markdown", new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]), /looks like a PNG image/],
    ["bytes that are not UTF-8", new Uint8Array([0x61, 0xff, 0xfe, 0x62]), /not UTF-8 text/],
    ["text with NUL bytes", bytes("abc\u0000def"), /binary data/],
  ])("refuses %s as binary_content, saying what it is", async (_, input, message) => {
    const e = await failure(input, "text/plain");
    expect(e.code).toBe("binary_content");
    expect(e.message).toMatch(message);
  });

  it("PDF: a real multi-page document comes back page by page, in order, with where each page starts", async () => {
    const pages = ["The harbour master signs every manifest.", "Cartographers redraw the estuary each spring.", "Lighthouse keepers log each schooner."];
    const { text, pageStarts } = await extractText(await multiPagePdf(pages), "application/pdf");
    expect(pageStarts).toHaveLength(3);
    pages.forEach((page, i) => expect(text.slice(pageStarts![i], pageStarts![i + 1] ?? text.length).trim()).toBe(page));
  });

  it("PDF: a damaged file is corrupt_pdf and a PDF without a text layer is pdf_no_text", async () => {
    const good = await multiPagePdf(["Some text on a page."]);
    expect((await failure(good.slice(0, Math.floor(good.length / 3)), "application/pdf")).code).toBe("corrupt_pdf");
    expect((await failure(bytes("%PDF-1.7\nnot really a pdf at all"), "application/pdf")).code).toBe("corrupt_pdf");
    const blank = await PDFDocument.create();
    blank.addPage();
    expect((await failure(await blank.save(), "application/pdf")).code).toBe("pdf_no_text");
  });
});
