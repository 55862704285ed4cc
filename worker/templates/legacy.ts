import { ProviderName } from "../contract/integrations";
import { VARIABLE_NAME, type CreateTemplateBody, type TemplateVariable } from "../contract/templates";
import { AppError } from "../errors";

/**
 * The older flat template shape — `{name, prompt, params: [..],
 * integrations: "gmail,slack"}`, placeholders written `{param}` or
 * `{{param}}` — turned into a template, with one line in the report for
 * every change a person would want to know about.
 */

export interface LegacyInput {
  name: string;
  prompt: string;
  params: string[];
  integrations: string;
  description?: string;
  [extra: string]: unknown;
}

const ALIASES: Record<string, ProviderName> = {
  gmail: "gmail",
  "google mail": "gmail",
  email: "gmail",
  calendar: "calendar",
  "google calendar": "calendar",
  gcal: "calendar",
  slack: "slack",
  github: "github",
  gh: "github",
};

const KNOWN = new Set(["name", "prompt", "params", "integrations", "description"]);

export function convertLegacy(input: LegacyInput): { body: CreateTemplateBody; report: string[] } {
  const report: string[] = [];
  for (const key of Object.keys(input)) if (!KNOWN.has(key)) report.push(`Ignored the field "${key}": templates have no such field.`);

  // Param names become variable names: anything but letters, digits and _ becomes _.
  const renamed = new Map<string, string>();
  const variables: TemplateVariable[] = [];
  for (const param of input.params) {
    const trimmed = param.trim();
    if (!trimmed) {
      report.push("Dropped an empty parameter name.");
      continue;
    }
    let name = trimmed.replace(/[^A-Za-z0-9_]/g, "_");
    if (!/^[A-Za-z_]/.test(name)) name = `_${name}`;
    name = name.slice(0, 40);
    if (!VARIABLE_NAME.test(name)) {
      throw new AppError(400, "invalid_request", `The parameter "${trimmed}" cannot become a variable name.`, { errors: [{ path: "params", message: `"${trimmed}" is not usable as a name` }] });
    }
    if (variables.some((v) => v.name === name)) {
      report.push(`Dropped the parameter "${trimmed}": it repeats ${name}.`);
      continue;
    }
    if (name !== trimmed) report.push(`Renamed the parameter "${trimmed}" to ${name}.`);
    renamed.set(trimmed, name);
    variables.push({ name, type: "string", required: true });
  }
  if (variables.length > 0) report.push(`Parameters became required text variables: ${variables.map((v) => v.name).join(", ")}.`);

  // {param} (single braces) and {{ param }} both become {{name}}.
  let singles = 0;
  let body = input.prompt.replace(/\{\{\s*([^{}]+?)\s*\}\}|\{\s*([^{}\s]+)\s*\}/g, (whole, double: string | undefined, single: string | undefined) => {
    const raw = (double ?? single)!;
    const name = renamed.get(raw) ?? (VARIABLE_NAME.test(raw) ? raw : undefined);
    if (!name) return whole;
    if (single !== undefined) {
      if (!renamed.has(raw)) return whole; // `{x}` that names no parameter is text, not a placeholder
      singles += 1;
    }
    if (!variables.some((v) => v.name === name)) {
      variables.push({ name, type: "string", required: true });
      report.push(`The prompt uses {{${name}}}, which was not a parameter: added it as a required text variable.`);
    }
    return `{{${name}}}`;
  });
  if (singles > 0) report.push(`Rewrote ${singles} {param} placeholder${singles === 1 ? "" : "s"} as {{param}}.`);
  body = body.trim();

  const required: ProviderName[] = [];
  const unknown: string[] = [];
  for (const part of input.integrations.split(/[,;]/)) {
    const key = part.trim().toLowerCase();
    if (!key) continue;
    const provider = ALIASES[key];
    if (!provider) unknown.push(part.trim());
    else if (!required.includes(provider)) {
      required.push(provider);
      if (key !== provider) report.push(`Read the integration "${part.trim()}" as ${provider}.`);
    }
  }
  if (unknown.length > 0) {
    throw new AppError(400, "unknown_integration", `TaskPilot has no integration named ${unknown.map((u) => `"${u}"`).join(", ")} (it has ${ProviderName.options.join(", ")}).`, {
      errors: [{ path: "integrations", message: `unknown: ${unknown.join(", ")}` }],
    });
  }
  if (required.length > 0) report.push(`Required integrations: ${required.join(", ")}.`);
  report.push("Imported as a private template; make it public from its page if you want to share it.");

  return {
    body: {
      title: input.name.trim(),
      description: input.description?.trim() ?? "",
      body,
      variables,
      requiredIntegrations: required,
      optionalIntegrations: [],
      steps: [],
      visibility: "private",
    },
    report,
  };
}
