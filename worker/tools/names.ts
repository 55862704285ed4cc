/**
 * Tool names are `{source}.{action}` (`gmail.search_messages`) or a bare
 * meta name (`tools_search`). Each part is lower-case words joined by single
 * underscores, so `__` never occurs inside a part: that is what lets the
 * function-name form used by APIs that forbid dots — OpenAI's
 * `^[a-zA-Z0-9_-]{1,64}$` — map back without ambiguity
 * (`gmail.search_messages` ↔ `gmail__search_messages`). Every mapping goes
 * through this file.
 */

const PART = "[a-z][a-z0-9]*(?:_[a-z0-9]+)*";
const TOOL_NAME = new RegExp(`^${PART}(?:\\.${PART})?$`);
const FUNCTION_NAME = new RegExp(`^${PART}(?:__${PART})?$`);
/** OpenAI's limit on a function name; the dotted name has one character less than its function form. */
export const FUNCTION_NAME_MAX = 64;

export function isToolName(name: string): boolean {
  return TOOL_NAME.test(name) && name.length < FUNCTION_NAME_MAX;
}

/** `gmail.search_messages` → `gmail__search_messages`; throws on a name the registry would not accept. */
export function toFunctionName(name: string): string {
  if (!isToolName(name)) throw new Error(`"${name}" is not a tool name`);
  return name.replace(".", "__");
}

/** `gmail__search_messages` → `gmail.search_messages`; undefined for anything that no tool name maps to. */
export function fromFunctionName(functionName: string): string | undefined {
  if (functionName.length > FUNCTION_NAME_MAX || !FUNCTION_NAME.test(functionName)) return undefined;
  return functionName.replace("__", ".");
}

/** A function-calling tool list (OpenAI's chat completions `tools`) for menu entries, names mapped. */
export function asFunctionTools(tools: Array<{ name: string; description: string; parameters: Record<string, unknown> }>) {
  return tools.map((t) => ({ type: "function" as const, function: { name: toFunctionName(t.name), description: t.description, parameters: t.parameters } }));
}
