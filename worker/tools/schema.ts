import { z } from "zod";

type Json = Record<string, unknown>;

/**
 * A tool's parameters as the model receives them: JSON Schema from zod's own
 * `z.toJSONSchema`, in input form (a field with a default is optional), less
 * what costs tokens on every turn without helping the model choose
 * arguments: the `$schema` dialect line, and the long regular expressions
 * zod attaches to formats such as `date-time` and `email` (the `format`
 * says the same; the zod schema still validates every call).
 */
export function modelParameters(schema: z.ZodType): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Json;
  return trim(rest) as Json;
}

function trim(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(trim);
  if (!node || typeof node !== "object") return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === "pattern" && typeof (node as Json).format === "string") continue;
    out[key] = trim(value);
  }
  return out;
}
