import { VARIABLE_NAME } from "../contract/templates";

/**
 * The template language, all of it: `{{name}}` (spaces inside the braces
 * allowed) is a variable; `\{{` is a literal `{{`; everything else is text.
 * A `{{` that does not close on its line, closes empty, or holds anything
 * but a name is an error at its position — never silently text.
 */

export type Part = { text: string } | { variable: string; offset: number };

export interface ParseError {
  code: "unclosed_placeholder" | "empty_placeholder" | "malformed_placeholder";
  message: string;
  /** 0-based character offset of the `{{` at fault, and its 1-based line and column. */
  offset: number;
  line: number;
  column: number;
}

export interface Parsed {
  parts: Part[];
  /** Each variable's name once, in the order of first use. */
  variables: string[];
  errors: ParseError[];
}

export function parseTemplate(source: string): Parsed {
  const parts: Part[] = [];
  const errors: ParseError[] = [];
  const seen = new Set<string>();
  let text = "";
  let i = 0;
  while (i < source.length) {
    if (source.startsWith("\\{{", i)) {
      text += "{{";
      i += 3;
      continue;
    }
    if (!source.startsWith("{{", i)) {
      text += source[i];
      i += 1;
      continue;
    }
    const close = source.indexOf("}}", i + 2);
    const lineEnd = source.indexOf("\n", i + 2);
    const reopen = source.indexOf("{{", i + 2);
    if (close < 0 || (lineEnd >= 0 && lineEnd < close) || (reopen >= 0 && reopen < close)) {
      errors.push(at(source, i, "unclosed_placeholder", "a {{ that is never closed with }} on its line (write \\{{ for literal braces)"));
      text += "{{";
      i += 2;
      continue;
    }
    const inner = source.slice(i + 2, close).trim();
    if (!inner) {
      errors.push(at(source, i, "empty_placeholder", "an empty {{ }}: put a variable name inside"));
    } else if (!VARIABLE_NAME.test(inner)) {
      errors.push(
        at(source, i, "malformed_placeholder", `{{${source.slice(i + 2, close)}}} is not a variable: a name is a letter or _ followed by letters, digits or _`),
      );
    } else {
      if (text) parts.push({ text });
      text = "";
      parts.push({ variable: inner, offset: i });
      seen.add(inner);
    }
    i = close + 2;
  }
  if (text) parts.push({ text });
  return { parts, variables: [...seen], errors };
}

/** 1-based line and column of a 0-based offset. */
export function positionOf(source: string, offset: number): { line: number; column: number } {
  const before = source.slice(0, offset);
  return { line: before.split("\n").length, column: offset - (before.lastIndexOf("\n") + 1) + 1 };
}

function at(source: string, offset: number, code: ParseError["code"], message: string): ParseError {
  const { line, column } = positionOf(source, offset);
  return { code, message: `line ${line}, column ${column}: ${message}`, offset, line, column };
}

/**
 * Fills the parts in one pass. A value is inserted as it is and never read
 * again as template text, so a value holding `{{other}}` cannot pull in
 * another variable; a variable without a value stays visible as `{{name}}`.
 */
export function interpolate(parts: Part[], values: ReadonlyMap<string, string>): string {
  let out = "";
  for (const part of parts) {
    if ("text" in part) out += part.text;
    else out += values.get(part.variable) ?? `{{${part.variable}}}`;
  }
  return out;
}
