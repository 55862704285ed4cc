/**
 * Query terms and the highlighted excerpt of a search result. The same
 * terms feed the FTS5 query (each one quoted, so nothing a person types is
 * ever read as FTS5 syntax) and the `<mark>`s of the excerpt.
 */

const WORD = /[\p{L}\p{N}]+/gu;
const MAX_TERMS = 32;

function fold(word: string): string {
  return word.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

/** The distinct words of a query, folded (case and diacritics), in order, at most 32. */
export function queryTerms(query: string): string[] {
  const seen = new Set<string>();
  for (const m of query.matchAll(WORD)) {
    const term = fold(m[0]);
    if (term) seen.add(term);
    if (seen.size >= MAX_TERMS) break;
  }
  return [...seen];
}

/**
 * An FTS5 query matching any of the terms: `"invoice" OR "march"`. Quoting
 * makes every term a plain string (a `"` inside one is doubled), so `NEAR`,
 * `*`, `:` or a stray parenthesis in the input cannot change the query.
 * Undefined when the input has no words at all.
 */
export function ftsQuery(terms: string[]): string | undefined {
  if (terms.length === 0) return undefined;
  return terms.map((t) => `"${t.replaceAll('"', '""')}"`).join(" OR ");
}

/**
 * Whether a word of the text matches a query term the way the porter
 * stemmer would roughly see it: equal, or sharing a stem of at least four
 * characters ("invoices" ~ "invoice", "indexing" ~ "indexed").
 */
function matches(word: string, terms: string[]): boolean {
  const w = fold(word);
  return terms.some((t) => {
    if (w === t) return true;
    const stem = Math.max(4, Math.min(t.length, w.length) - 2);
    return t.length >= 4 && w.length >= 4 && w.slice(0, stem) === t.slice(0, stem);
  });
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/**
 * Up to `width` characters of `text` around its first matching word, as
 * HTML: everything escaped, the matching words wrapped in `<mark>`. Cut at
 * word boundaries, with "…" where text was left out.
 */
export function highlightExcerpt(text: string, terms: string[], width = 240): string {
  const words = [...text.matchAll(WORD)];
  const first = words.find((m) => matches(m[0], terms));
  let start = 0;
  let end = text.length;
  if (text.length > width) {
    const center = first ? first.index : 0;
    start = Math.max(0, center - Math.floor(width / 3));
    end = Math.min(text.length, start + width);
    start = Math.max(0, end - width);
    // Whole words only: move the cuts out to the nearest whitespace.
    if (start > 0) {
      const space = text.lastIndexOf(" ", start);
      start = space >= 0 && start - space < 30 ? space + 1 : start;
    }
    if (end < text.length) {
      const space = text.indexOf(" ", end);
      end = space >= 0 && space - end < 30 ? space : end;
    }
    // Never half a surrogate pair at either cut.
    if (/[\uDC00-\uDFFF]/.test(text[start] ?? "")) start++;
    if (/[\uD800-\uDBFF]/.test(text[end - 1] ?? "")) end--;
  }
  let html = "";
  let at = start;
  for (const m of words) {
    if (m.index < start || m.index + m[0].length > end) continue;
    if (!matches(m[0], terms)) continue;
    html += escapeHtml(text.slice(at, m.index)) + "<mark>" + escapeHtml(m[0]) + "</mark>";
    at = m.index + m[0].length;
  }
  html += escapeHtml(text.slice(at, end));
  return `${start > 0 ? "…" : ""}${html.replace(/\s+/g, " ").trim()}${end < text.length ? "…" : ""}`;
}
