/**
 * Writes out the end tags HTML lets an author leave implied (`<p>` before a
 * `<div>`, `<li>` before the next `<li>`, `<dt>`/`<dd>` before the next
 * one, any of them before their parent's end tag), so the runtime's
 * streaming HTMLRewriter — which builds no tree and so does not imply them —
 * ends a hidden `<p>` or `<li>` where a browser would, instead of removing
 * everything after it. Only these end tags are added; nothing else changes.
 * Scripts, styles and comments are passed over untouched.
 */

const CLOSES_P = new Set([
  "address", "article", "aside", "blockquote", "details", "dialog", "div", "dl", "fieldset", "figcaption", "figure", "footer", "form",
  "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "main", "menu", "nav", "ol", "p", "pre", "section", "table", "ul",
]);
const VOID = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]);
const RAW_TEXT = new Set(["script", "style", "textarea", "title", "xmp", "noscript", "template"]);
/** Elements whose end tag this pass may write. */
const OPTIONAL_END = new Set(["p", "li", "dt", "dd"]);
/** Where an open `<li>` (or `<dt>`/`<dd>`) stops being the one a new item closes. */
const LIST_SCOPE = new Set(["ul", "ol", "menu", "dl", "table", "div"]);

const TOKEN = /<!--[\s\S]*?(?:-->|$)|<(\/?)([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*?(\/?)>/g;

export function writeImpliedEndTags(html: string): string {
  const open: string[] = [];
  let out = "";
  let at = 0;
  let raw: string | undefined;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(html); m; m = TOKEN.exec(html)) {
    const [, slash, rawName, selfClosing] = m;
    if (!rawName) continue; // a comment
    const name = rawName.toLowerCase();
    if (raw) {
      if (slash && name === raw) raw = undefined;
      continue;
    }
    let added = "";
    if (!slash) {
      if (open.at(-1) === "p" && CLOSES_P.has(name)) added += close(open, "p");
      if (name === "li") added += closeItem(open, ["li"]);
      if (name === "dt" || name === "dd") added += closeItem(open, ["dt", "dd"]);
      if (RAW_TEXT.has(name)) raw = name;
      else if (!VOID.has(name) && !selfClosing) open.push(name);
    } else {
      const index = open.lastIndexOf(name);
      if (index >= 0) {
        // Elements left open inside the one ending: the optional ones get their end tag written, the rest are just let go.
        for (let i = open.length - 1; i > index; i--) if (OPTIONAL_END.has(open[i]!)) added += `</${open[i]}>`;
        open.length = index;
      }
    }
    if (added) {
      out += html.slice(at, m.index) + added;
      at = m.index;
    }
  }
  return out + html.slice(at);
}

function close(open: string[], name: string): string {
  open.pop();
  return `</${name}>`;
}

/** Closes the open item of the nearest list: `<li>` before a new `<li>` (and whatever optional elements sit inside it). */
function closeItem(open: string[], items: string[]): string {
  let added = "";
  for (let i = open.length - 1; i >= 0; i--) {
    const name = open[i]!;
    if (items.includes(name)) {
      for (let j = open.length - 1; j >= i; j--) if (OPTIONAL_END.has(open[j]!)) added += `</${open[j]}>`;
      open.length = i;
      return added;
    }
    if (LIST_SCOPE.has(name)) return added;
  }
  return added;
}
