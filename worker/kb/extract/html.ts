/**
 * HTML to the text a reader sees, with its structure kept as Markdown:
 * headings as `#` lines, paragraphs and list items as blocks, table rows as
 * `| a | b |` lines. Scripts, styles, templates, `<noscript>` and hidden
 * elements (the `hidden` attribute, `aria-hidden="true"`, an inline
 * `display:none` or `visibility:hidden`) contribute nothing: text nobody
 * sees should not answer a search. Parsing is the runtime's own streaming
 * HTMLRewriter; no DOM is built, so the end tags HTML leaves implied are
 * written out first (implied-end-tags.ts): a hidden `<p>` without its `</p>`
 * then ends where a browser ends it, not at the end of the document.
 */
import { writeImpliedEndTags } from "./implied-end-tags";

/** Markers written around elements while rewriting, resolved after whitespace is collapsed. */
const BLOCK = "\u0001";
const LINE = "\u0002";

const SKIPPED = "script, style, template, noscript, svg, iframe, object, canvas, button, select, textarea, title";
const BLOCKS = new Set([
  "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer",
  "form", "header", "hr", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "ul",
]);
const HIDDEN_STYLE = /(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\s*(?:!important)?\s*(?:;|$)/i;

const NAMED: Record<string, string> = {
  amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", copy: "©", reg: "®", trade: "™", hellip: "…", mdash: "—", ndash: "–",
  lsquo: "‘", rsquo: "’", ldquo: "“", rdquo: "”", bull: "•", middot: "·", euro: "€", pound: "£", yen: "¥", cent: "¢", sect: "§",
  deg: "°", plusmn: "±", times: "×", divide: "÷", laquo: "«", raquo: "»", shy: "", para: "¶", frac12: "½", frac14: "¼", frac34: "¾",
};

/** Character references as the HTML spec reads them in text: numeric ones all, named ones for the common set (others stay as written). */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z][a-z0-9]{1,31});/gi, (whole, ref: string) => {
    if (ref[0] === "#") {
      const code = ref[1] === "x" || ref[1] === "X" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : "\uFFFD";
    }
    return NAMED[ref.toLowerCase()] ?? whole;
  });
}

export async function htmlToText(html: string): Promise<string> {
  let title = "";
  let sawH1 = false;
  const rewriter = new HTMLRewriter()
    .on("title", {
      text(chunk) {
        title += chunk.text;
      },
    })
    .on(SKIPPED, {
      element(el) {
        el.remove();
      },
    })
    .on("*", {
      element(el) {
        if (el.removed) return;
        const style = el.getAttribute("style") ?? "";
        if (el.hasAttribute("hidden") || el.getAttribute("aria-hidden") === "true" || HIDDEN_STYLE.test(style)) {
          el.remove();
          return;
        }
        const tag = el.tagName.toLowerCase();
        const heading = /^h([1-6])$/.exec(tag);
        if (heading) {
          if (heading[1] === "1") sawH1 = true;
          el.before(`${BLOCK}${"#".repeat(Number(heading[1]))} `);
          el.after(BLOCK);
        } else if (tag === "li") {
          el.before(`${BLOCK}- `);
          el.after(BLOCK);
        } else if (tag === "tr") {
          el.before(`${LINE}|`);
          el.after(LINE);
        } else if (tag === "td" || tag === "th") {
          el.before(" ");
          el.after(" |");
        } else if (tag === "br") {
          el.before(LINE);
        } else if (BLOCKS.has(tag)) {
          el.before(BLOCK);
          el.after(BLOCK);
        }
        el.removeAndKeepContent();
      },
    })
    .onDocument({
      comments(comment) {
        comment.remove();
      },
      doctype() {
        // The doctype is not content; it is dropped with the tags below.
      },
    });
  const rewritten = await rewriter.transform(new Response(writeImpliedEndTags(html), { headers: { "content-type": "text/html; charset=utf-8" } })).text();
  const blocks = rewritten
    .replace(/<!doctype[^>]*>/gi, "")
    .split(BLOCK)
    .map((block) =>
      block
        .split(LINE)
        .map((line) => decodeEntities(line.replace(/[ \t\n\r\f]+/g, " ")).replace(/\u00a0/g, " ").trim())
        .filter((line) => line && line !== "|")
        .join("\n"),
    )
    .filter((block) => block && !/^#{1,6}$/.test(block));
  const heading = decodeEntities(title.replace(/\s+/g, " ")).trim();
  if (!sawH1 && heading) blocks.unshift(`# ${heading}`);
  return blocks.join("\n\n");
}
