import type { ProviderName } from "../contract/integrations";
import type { Template, TemplateVariable, TemplateWarning } from "../contract/templates";
import type { TemplateFields } from "../db/templates";
import { AppError, type FieldError } from "../errors";
import { parseTemplate, positionOf, type Parsed } from "./parser";

/**
 * What makes a template well-formed, checked on every save: its body and
 * steps parse, every placeholder is a declared variable (or the variables
 * are inferred from the placeholders when none are declared), no variable
 * is declared twice, and no integration is both required and optional.
 * A declared variable nothing uses is a warning, not an error.
 */

export interface Definition {
  fields: TemplateFields;
  warnings: TemplateWarning[];
}

interface Source {
  body: string;
  steps: string[];
}

/** The body and each step parsed; every error with the field it is in. */
export function parseSources(source: Source): { parsed: Parsed[]; errors: (FieldError & { line: number; column: number; offset: number })[] } {
  const texts = [{ path: "body", text: source.body }, ...source.steps.map((text, i) => ({ path: `steps.${i}`, text }))];
  const parsed = texts.map((t) => parseTemplate(t.text));
  const errors = parsed.flatMap((p, i) => p.errors.map((e) => ({ path: texts[i]!.path, message: e.message, line: e.line, column: e.column, offset: e.offset })));
  return { parsed, errors };
}

export function checkDefinition(input: Omit<TemplateFields, "variables"> & { variables?: TemplateVariable[] }): Definition {
  const { parsed, errors } = parseSources(input);
  if (errors.length > 0) {
    throw new AppError(400, "malformed_placeholder", `The template has ${errors.length === 1 ? "a malformed placeholder" : `${errors.length} malformed placeholders`}: ${errors[0]!.message}.`, { errors });
  }
  const used = [...new Set(parsed.flatMap((p) => p.variables))];
  const variables = input.variables ?? used.map((name): TemplateVariable => ({ name, type: "string", required: true }));

  const names = new Map<string, number>();
  const dupes: FieldError[] = [];
  variables.forEach((v, i) => {
    if (names.has(v.name)) dupes.push({ path: `variables.${i}.name`, message: `${v.name} is declared twice` });
    names.set(v.name, i);
  });
  if (dupes.length > 0) throw new AppError(400, "invalid_request", "A variable is declared twice.", { errors: dupes });

  const unknown = used.filter((name) => !names.has(name));
  if (unknown.length > 0) {
    const where = unknown.map((name) => {
      const i = parsed.findIndex((p) => p.variables.includes(name));
      const part = parsed[i]!.parts.find((p) => "variable" in p && p.variable === name) as { offset: number };
      const text = i === 0 ? input.body : input.steps[i - 1]!;
      const { line, column } = positionOf(text, part.offset);
      return {
        path: i === 0 ? "body" : `steps.${i - 1}`,
        message: `line ${line}, column ${column}: {{${name}}} is not a declared variable; add it to variables or fix the name`,
        offset: part.offset,
        line,
        column,
      };
    });
    throw new AppError(400, "unknown_variable", `The template uses ${unknown.map((n) => `{{${n}}}`).join(", ")} without declaring ${unknown.length === 1 ? "it" : "them"}.`, {
      errors: where,
    });
  }

  const both = input.requiredIntegrations.filter((p) => input.optionalIntegrations.includes(p));
  if (both.length > 0) {
    throw new AppError(400, "invalid_request", "An integration is either required or optional, not both.", {
      errors: both.map((p) => ({ path: "optionalIntegrations", message: `${p} is also required` })),
    });
  }

  const warnings: TemplateWarning[] = variables
    .filter((v) => !used.includes(v.name))
    .map((v) => ({ code: "unused_variable", variable: v.name, message: `${v.name} is declared but neither the body nor a step uses it` }));
  return {
    fields: {
      title: input.title,
      description: input.description,
      body: input.body,
      variables,
      requiredIntegrations: [...new Set(input.requiredIntegrations)] as ProviderName[],
      optionalIntegrations: [...new Set(input.optionalIntegrations)] as ProviderName[],
      steps: input.steps,
      visibility: input.visibility,
    },
    warnings,
  };
}

/** The saved fields of a template, for re-checking it with a change applied. */
export function fieldsOf(t: Template): TemplateFields {
  return {
    title: t.title,
    description: t.description,
    body: t.body,
    variables: t.variables,
    requiredIntegrations: t.requiredIntegrations,
    optionalIntegrations: t.optionalIntegrations,
    steps: t.steps,
    visibility: t.visibility,
  };
}
