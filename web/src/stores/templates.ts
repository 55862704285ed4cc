import type { MutationOptions, QueryClient, QueryFunctionContext } from "@tanstack/solid-query";
import type { ProviderName } from "../../../worker/contract/integrations";
import { checkValue, type CreateTemplateBody, type PreviewResponse, type Template, type TemplateWarning } from "../../../worker/contract/templates";
import { ApiError, type ApiClient } from "../lib/api";
import type { SnapshotReady } from "./integrations";

export type TemplateScope = "all" | "mine" | "public";

/** Cache keys: the lists by scope, one template, and the previews (which an integration change makes stale). */
export const templateKeys = {
  all: ["templates"] as const,
  list: (scope: TemplateScope) => ["templates", "list", scope] as const,
  one: (id: string) => ["templates", "one", id] as const,
  previews: ["template-preview"] as const,
  preview: (id: string, version: number, values: Record<string, string>) => ["template-preview", id, version, values] as const,
};

export function templatesQuery(client: ApiClient, snapshotReady: SnapshotReady, scope: TemplateScope) {
  return {
    queryKey: templateKeys.list(scope),
    reconcile: "id",
    queryFn: async ({ signal }: QueryFunctionContext) => {
      await snapshotReady();
      const { templates } = await client.get<{ templates: Template[] }>(`/api/templates?scope=${scope}`, { signal });
      return templates;
    },
  };
}

export function templateQuery(client: ApiClient, snapshotReady: SnapshotReady, id: string) {
  return {
    queryKey: templateKeys.one(id),
    queryFn: async ({ signal }: QueryFunctionContext) => {
      await snapshotReady();
      return (await client.get<{ template: Template }>(`/api/templates/${encodeURIComponent(id)}`, { signal })).template;
    },
  };
}

/**
 * The values as typed, checked with the server's own rule (`checkValue`):
 * what is wrong with each, and the values worth sending — empty ones left
 * out, so a missing variable is reported as missing rather than wrong.
 */
export function checkValues(template: Template, values: Record<string, string>): { errors: Record<string, string>; send: Record<string, string> } {
  const errors: Record<string, string> = {};
  const send: Record<string, string> = {};
  for (const v of template.variables) {
    const raw = values[v.name] ?? "";
    if (raw.trim() === "") continue;
    const checked = checkValue(v, raw);
    if (checked.ok === false) errors[v.name] = checked.reason;
    else send[v.name] = raw;
  }
  return { errors, send };
}

/**
 * The server's word on the values (`400 invalid_variables`, one error per
 * `variables.<name>`), by variable name, to show under each field. Empty for
 * any other failure.
 */
export function variableErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError) || error.code !== "invalid_variables") return {};
  const prefix = "variables.";
  return Object.fromEntries(Object.entries(error.fieldErrors).flatMap(([path, message]) => (path.startsWith(prefix) ? [[path.slice(prefix.length), message]] : [])));
}

/** The composed prompt for these values; only asked for when every value passes locally. */
export function previewQuery(client: ApiClient, template: Template, values: Record<string, string>) {
  return {
    queryKey: templateKeys.preview(template.id, template.version, values),
    queryFn: ({ signal }: QueryFunctionContext) =>
      client.post<PreviewResponse>(`/api/templates/${encodeURIComponent(template.id)}/preview`, { variables: values }, { signal }),
    staleTime: 30_000,
    placeholderData: (previous: PreviewResponse | undefined) => previous,
  };
}

export function startTemplateMutation(client: ApiClient, queryClient: QueryClient): MutationOptions<{ sessionId: string; autoExecuted: boolean }, Error, { id: string; values: Record<string, string> }> {
  return {
    mutationKey: ["template-start"],
    mutationFn: ({ id, values }) => client.post(`/api/templates/${encodeURIComponent(id)}/start`, { variables: values }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["sessions"] }),
  };
}

export function createTemplateMutation(client: ApiClient, queryClient: QueryClient): MutationOptions<{ template: Template; warnings: TemplateWarning[] }, Error, Partial<CreateTemplateBody>> {
  return {
    mutationKey: ["template-create"],
    mutationFn: (body) => client.post("/api/templates", body),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: templateKeys.all }),
  };
}

export function importTemplateMutation(client: ApiClient, queryClient: QueryClient): MutationOptions<{ template: Template; report: string[] }, Error, unknown> {
  return {
    mutationKey: ["template-import"],
    mutationFn: (legacy) => client.post("/api/templates/import", legacy),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: templateKeys.all }),
  };
}

export function patchTemplateMutation(client: ApiClient, queryClient: QueryClient): MutationOptions<{ template: Template }, Error, { id: string; change: Partial<CreateTemplateBody> }> {
  return {
    mutationKey: ["template-patch"],
    mutationFn: ({ id, change }) => client.patch(`/api/templates/${encodeURIComponent(id)}`, change),
    onSuccess: ({ template }) => {
      queryClient.setQueryData(templateKeys.one(template.id), template);
      void queryClient.invalidateQueries({ queryKey: templateKeys.all });
    },
  };
}

export function deleteTemplateMutation(client: ApiClient, queryClient: QueryClient): MutationOptions<void, Error, string> {
  return {
    mutationKey: ["template-delete"],
    mutationFn: async (id) => {
      await client.delete(`/api/templates/${encodeURIComponent(id)}`);
    },
    onSuccess: (_, id) => {
      queryClient.removeQueries({ queryKey: templateKeys.one(id) });
      void queryClient.invalidateQueries({ queryKey: templateKeys.all });
    },
  };
}

/** An integration connected or went away: what each template is missing has changed. */
export async function invalidateTemplatePreviews(queryClient: QueryClient): Promise<void> {
  await queryClient.invalidateQueries({ queryKey: templateKeys.previews });
}

/** "team_name" → "Team name". */
export function humanize(name: string): string {
  const words = name.replace(/_+/g, " ").replace(/([a-z])([A-Z])/g, "$1 $2").trim().toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export const PROVIDER_LABEL: Record<ProviderName, string> = { gmail: "Gmail", calendar: "Google Calendar", slack: "Slack", github: "GitHub" };

/** Case-insensitive match on title and description. */
export function matchesSearch(t: Template, search: string): boolean {
  const q = search.trim().toLowerCase();
  return !q || t.title.toLowerCase().includes(q) || t.description.toLowerCase().includes(q);
}
