import { ExtractionError } from "../types";

const MAX_DEPTH = 32;
const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

function keyPath(parent: string, key: string): string {
  if (IDENTIFIER.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}

/**
 * JSON as text a person and a search index can read: one line per value,
 * named by its key path (`settings.theme.color: "dark"`, `items[2].name: "Widget"`),
 * with each top-level key that holds an object or array as a `#` heading,
 * so chunks and citations follow the document's own structure.
 */
export function jsonToText(source: string): string {
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (e) {
    throw new ExtractionError("invalid_json", `This file is not valid JSON: ${(e as Error).message}.`);
  }
  const lines: string[] = [];
  const walk = (v: unknown, path: string, depth: number): void => {
    if (depth > MAX_DEPTH) {
      lines.push(`${path}: ${JSON.stringify(v)}`);
      return;
    }
    if (Array.isArray(v)) {
      if (v.length === 0) lines.push(`${path}: []`);
      v.forEach((item, i) => walk(item, `${path}[${i}]`, depth + 1));
      return;
    }
    if (v !== null && typeof v === "object") {
      const entries = Object.entries(v);
      if (entries.length === 0) lines.push(`${path || "(root)"}: {}`);
      for (const [key, item] of entries) {
        const child = keyPath(path, key);
        if (depth === 0 && item !== null && typeof item === "object") {
          lines.push("", `# ${child}`, "");
          walk(item, child, depth + 1);
          lines.push("");
        } else {
          walk(item, child, depth + 1);
        }
      }
      return;
    }
    lines.push(`${path || "(root)"}: ${JSON.stringify(v)}`);
  };
  walk(value, "", 0);
  return lines
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
