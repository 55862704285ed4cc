import { z } from "zod";
import { ProviderName } from "./integrations";

/**
 * Templates as the API and the web app see them (the `Templates` routes),
 * and the checks a variable's value must pass — one definition, used by the
 * worker to refuse a value and by the form to explain it before sending.
 */

export const VARIABLE_TYPES = ["string", "number", "date", "enum", "email", "repo"] as const;
export const VariableType = z.enum(VARIABLE_TYPES);
export type VariableType = z.infer<typeof VariableType>;

/** `{{name}}`: a letter or `_`, then letters, digits or `_`. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/;
export const MAX_VALUE_LENGTH = 2000;
export const MAX_BODY_LENGTH = 20_000;

export const TemplateVariable = z
  .object({
    name: z.string().regex(VARIABLE_NAME, "a variable name is a letter or _ followed by letters, digits or _ (at most 40)"),
    type: VariableType.default("string"),
    required: z.boolean().default(true),
    default: z.string().max(MAX_VALUE_LENGTH).optional(),
    help: z.string().max(300).optional(),
    /** The choices of an `enum` variable. */
    options: z.array(z.string().trim().min(1).max(100)).min(1).max(50).optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.type === "enum" && !v.options) ctx.addIssue({ code: "custom", path: ["options"], message: "an enum variable lists its options" });
    if (v.type !== "enum" && v.options) ctx.addIssue({ code: "custom", path: ["options"], message: "only an enum variable has options" });
    if (v.options && new Set(v.options.map((o) => o.toLowerCase())).size !== v.options.length) {
      ctx.addIssue({ code: "custom", path: ["options"], message: "options must differ from each other, ignoring case" });
    }
    if (v.default !== undefined) {
      const checked = checkValue(v as TemplateVariable, v.default);
      if (!checked.ok) ctx.addIssue({ code: "custom", path: ["default"], message: checked.reason });
    }
  });
export type TemplateVariable = z.output<typeof TemplateVariable>;

export const Visibility = z.enum(["private", "public"]);

export const Template = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  body: z.string(),
  variables: z.array(TemplateVariable),
  requiredIntegrations: z.array(ProviderName),
  optionalIntegrations: z.array(ProviderName),
  steps: z.array(z.string()),
  visibility: Visibility,
  /** null for the built-in library. */
  ownerId: z.string().nullable(),
  version: z.number().int().positive(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Template = z.infer<typeof Template>;

/** A known provider name, or the field error that names the unknown one. */
const Provider = z.string().superRefine((p, ctx) => {
  if (!ProviderName.safeParse(p).success) ctx.addIssue({ code: "custom", message: `"${p}" is not an integration TaskPilot has (gmail, calendar, slack, github)` });
});

const templateFields = {
  title: z.string().trim().min(1, "a template needs a title").max(120),
  description: z.string().trim().max(500),
  body: z.string().trim().min(1, "a template needs a body").max(MAX_BODY_LENGTH),
  /** Left out: the body's placeholders, each a required string. */
  variables: z.array(TemplateVariable).max(30),
  requiredIntegrations: z.array(Provider).max(4),
  optionalIntegrations: z.array(Provider).max(4),
  steps: z.array(z.string().trim().min(1).max(500)).max(20),
  visibility: Visibility,
};

export const CreateTemplateBody = z
  .object({
    ...templateFields,
    description: templateFields.description.default(""),
    variables: templateFields.variables.optional(),
    requiredIntegrations: templateFields.requiredIntegrations.default([]),
    optionalIntegrations: templateFields.optionalIntegrations.default([]),
    steps: templateFields.steps.default([]),
    visibility: templateFields.visibility.default("private"),
  })
  .strict();
export type CreateTemplateBody = z.output<typeof CreateTemplateBody>;

export const PatchTemplateBody = z
  .object({
    title: templateFields.title.optional(),
    description: templateFields.description.optional(),
    body: templateFields.body.optional(),
    variables: templateFields.variables.optional(),
    requiredIntegrations: templateFields.requiredIntegrations.optional(),
    optionalIntegrations: templateFields.optionalIntegrations.optional(),
    steps: templateFields.steps.optional(),
    visibility: templateFields.visibility.optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: "send at least one field to change" });
export type PatchTemplateBody = z.output<typeof PatchTemplateBody>;

export const ListTemplatesQuery = z.object({ scope: z.enum(["mine", "public", "all"]).default("all") });

/** A warning that does not stop a save: a declared variable the body never uses. */
export const TemplateWarning = z.object({ code: z.literal("unused_variable"), variable: z.string(), message: z.string() });
export type TemplateWarning = z.infer<typeof TemplateWarning>;

export const TemplateResponse = z.object({ template: Template, warnings: z.array(TemplateWarning).default([]) });
export const TemplateList = z.object({ templates: z.array(Template) });

/** Values as the form sends them: text, or a number for a `number` variable. */
export const VariableValues = z.record(z.string().max(40), z.union([z.string().max(MAX_VALUE_LENGTH), z.number()])).refine((v) => Object.keys(v).length <= 30, {
  message: "at most 30 variables",
});
export const PreviewBody = z.object({ variables: VariableValues.default({}) }).strict();
export type VariableValues = z.infer<typeof VariableValues>;

export const Confidence = z.enum(["high", "medium", "low"]);
export type Confidence = z.infer<typeof Confidence>;

export const PreviewResponse = z.object({
  /** The first message of the chat, variables filled in. */
  prompt: z.string(),
  /** What the agent is told before it: the template's purpose, steps and the tools it will have. */
  system: z.string(),
  /** The tools the session will be offered right now. */
  tools: z.array(z.string()),
  missingVariables: z.array(z.string()),
  missingIntegrations: z.array(ProviderName),
  /** Optional integrations that are not active: the template runs, with less. */
  unavailableOptional: z.array(ProviderName),
  /** Enum values that match more than one option. */
  ambiguous: z.array(z.object({ variable: z.string(), candidates: z.array(z.string()) })),
  confidence: Confidence,
  /** Why the confidence is what it is, one line each; empty when high. */
  reasons: z.array(z.string()),
  cached: z.boolean(),
});
export type PreviewResponse = z.infer<typeof PreviewResponse>;

export const StartResponse = z.object({ sessionId: z.string(), autoExecuted: z.boolean() });

/** The older flat shape some users still have. */
export const LegacyTemplate = z
  .object({
    name: z.string().trim().min(1, "a legacy template needs a name").max(120),
    prompt: z.string().trim().min(1, "a legacy template needs a prompt").max(MAX_BODY_LENGTH),
    params: z.array(z.string().max(60)).max(30).default([]),
    integrations: z.string().max(200).default(""),
    description: z.string().max(500).optional(),
  })
  .passthrough();
export const ImportResponse = z.object({ template: Template, report: z.array(z.string()) });

// ------------------------------------------------------------------ values

export type ValueCheck = { ok: true; value: string } | { ok: false; reason: string } | { ok: "ambiguous"; candidates: string[] };

const EMAIL = /^[^\s@<>(),;:"[\]]+@[^\s@<>(),;:"[\]]+\.[^\s@<>(),;:"[\]]{2,}$/;
/** GitHub: an owner of letters, digits and single hyphens (39 at most), a name of letters, digits, `.`, `_`, `-` (100 at most). */
const REPO = /^([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})\/([A-Za-z0-9._-]{1,100})$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A value with `{{` or `}}` would read as template syntax to anyone who pastes the prompt back into a template. */
export const TEMPLATE_SYNTAX = /\{\{|\}\}/;

/**
 * Checks one value against its variable and gives it back normalised (an
 * enum value in its option's spelling, a number as digits). An empty value
 * is for the caller to treat as missing; this only judges what was given.
 */
export function checkValue(variable: Pick<TemplateVariable, "type" | "options">, raw: string | number): ValueCheck {
  const text = typeof raw === "number" ? String(raw) : raw.trim();
  if (TEMPLATE_SYNTAX.test(text)) return { ok: false, reason: "a value cannot contain {{ or }}" };
  if (text.length > MAX_VALUE_LENGTH) return { ok: false, reason: `at most ${MAX_VALUE_LENGTH} characters` };
  switch (variable.type) {
    case "string":
      return { ok: true, value: text };
    case "number": {
      if (!/^-?\d+(\.\d+)?$/.test(text)) return { ok: false, reason: "expected a number, like 5 or 2.5" };
      return { ok: true, value: String(Number(text)) };
    }
    case "date": {
      const m = DATE.exec(text);
      if (!m) return { ok: false, reason: "expected a date as YYYY-MM-DD" };
      const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
      if (d.getUTCFullYear() !== Number(m[1]) || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) {
        return { ok: false, reason: `${text} is not a day of the calendar` };
      }
      return { ok: true, value: text };
    }
    case "email":
      return EMAIL.test(text) ? { ok: true, value: text } : { ok: false, reason: "expected an email address, like ana@example.com" };
    case "repo":
      return REPO.test(text) ? { ok: true, value: text } : { ok: false, reason: "expected a GitHub repository as owner/name" };
    case "enum": {
      const options = variable.options ?? [];
      const exact = options.find((o) => o === text);
      if (exact) return { ok: true, value: exact };
      const lower = text.toLowerCase();
      const same = options.find((o) => o.toLowerCase() === lower);
      if (same) return { ok: true, value: same };
      const prefixed = lower ? options.filter((o) => o.toLowerCase().startsWith(lower)) : [];
      if (prefixed.length === 1) return { ok: true, value: prefixed[0]! };
      if (prefixed.length > 1) return { ok: "ambiguous", candidates: prefixed };
      return { ok: false, reason: `expected one of: ${options.join(", ")}` };
    }
  }
}
