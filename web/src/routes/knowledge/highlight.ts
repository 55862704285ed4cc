import createDOMPurify, { type DOMPurify } from "dompurify";

let purifier: DOMPurify | undefined;

/**
 * A search result's excerpt as HTML. The server escapes everything but the
 * `<mark>` around matched words; this keeps it that way whatever the server
 * sends: `<mark>` without attributes, all else as text.
 */
export function safeHighlight(html: string): string {
  purifier ??= createDOMPurify(window);
  return purifier.sanitize(html, { ALLOWED_TAGS: ["mark"], ALLOWED_ATTR: [] }) as string;
}
