import createDOMPurify, { type DOMPurify } from "dompurify";
import { Marked, type Tokens } from "marked";

/**
 * Replies come from a model, and a model repeats whatever a tool result or a
 * prompt-injected email told it to: its markdown is untrusted input. Raw HTML
 * is shown as text, never parsed (marked would pass it through verbatim), and
 * the HTML marked produces is sanitised with an allow-list on top of that, so
 * a parser quirk cannot smuggle a script, an event handler or a
 * `javascript:` link past both.
 */

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const parser = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    html: (token: Tokens.HTML | Tokens.Tag) => escapeHtml(token.text),
    // No images from the model: a remote image is a beacon that reports when and where the reply was read.
    image: (token: Tokens.Image) => escapeHtml(token.text || token.title || ""),
  },
});

const ALLOWED_TAGS = [
  "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol", "p", "pre",
  "strong", "table", "tbody", "td", "th", "thead", "tr", "ul", "input",
];
/** http(s) and mailto only: `javascript:`, `data:` and `vbscript:` links run code or carry a page of their own. */
const SAFE_URL = /^(?:https?:|mailto:)/i;

let purifier: DOMPurify | undefined;

function getPurifier(): DOMPurify {
  if (purifier) return purifier;
  const instance = createDOMPurify(window);
  instance.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A") {
      const href = node.getAttribute("href") ?? "";
      if (!SAFE_URL.test(href.trim())) node.removeAttribute("href");
      // A new tab, and the opened page gets no handle on this one (reverse tabnabbing) and no Referer with the session URL.
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer");
    }
    if (node.tagName === "INPUT" && node.getAttribute("type") !== "checkbox") node.remove();
  });
  purifier = instance;
  return instance;
}

/** Markdown from the model → HTML that is safe to put into the page. */
export function renderMarkdown(source: string): string {
  const html = parser.parse(source) as string;
  return getPurifier().sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR: ["href", "title", "type", "checked", "disabled", "start", "align"],
    ALLOWED_URI_REGEXP: SAFE_URL,
    ADD_ATTR: ["target"],
  }) as string;
}
