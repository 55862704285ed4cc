import type { GmailMessage } from "../seed";

/**
 * A small subset of Gmail's search syntax: words and "quoted phrases"
 * (all must match subject, body or sender), `from:`, `to:`, `subject:`,
 * `in:`/`label:` (inbox, sent, unread…), `is:unread`, and `-term` to exclude.
 */
export function matchesGmailQuery(message: GmailMessage, q: string): boolean {
  const terms = q.match(/-?(?:\w+:)?(?:"[^"]*"|\S+)/g) ?? [];
  return terms.every((raw) => {
    const negate = raw.startsWith("-") && raw.length > 1;
    const term = negate ? raw.slice(1) : raw;
    const m = term.match(/^(\w+):(.*)$/);
    const [field, value] = m ? [m[1]!.toLowerCase(), m[2]!] : ["", term];
    const needle = value.replace(/^"|"$/g, "").toLowerCase();
    const has = (hay: string) => hay.toLowerCase().includes(needle);
    let hit: boolean;
    switch (field) {
      case "from":
        hit = has(message.from);
        break;
      case "to":
        hit = has(message.to);
        break;
      case "subject":
        hit = has(message.subject);
        break;
      case "in":
      case "label":
        hit = message.labelIds.some((l) => l.toLowerCase() === needle);
        break;
      case "is":
        hit = message.labelIds.some((l) => l.toLowerCase() === needle);
        break;
      default:
        hit = has(`${message.subject}\n${message.body}\n${message.from}`);
    }
    return negate ? !hit : hit;
  });
}
