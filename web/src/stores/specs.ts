import type { QueryClient, QueryFunctionContext } from "@tanstack/solid-query";
import type {
  AppSummary,
  ExecutionStatus,
  Project,
  Spec,
  SpecLogEntry,
  SpecMessage,
} from "../../../worker/contract/specs";
import type { ServerFrame } from "../../../worker/contract/events";
import type { ApiClient } from "../lib/api";
import type { SnapshotReady } from "./integrations";

/** Projects, specs, their chat and execution, and apps: cache keys, reads, writes, and which frames make them stale. */

export const specKeys = {
  projects: ["projects"] as const,
  project: (id: string) => ["projects", id] as const,
  specs: (projectId: string) => ["specs", "list", projectId] as const,
  allSpecs: ["specs"] as const,
  spec: (id: string) => ["specs", "one", id] as const,
  messages: (id: string) => ["specs", "messages", id] as const,
  execution: (id: string) => ["specs", "execution", id] as const,
  apps: ["apps"] as const,
  app: (id: string) => ["apps", id] as const,
};

const enc = encodeURIComponent;

export function projectsQuery(client: ApiClient, ready: SnapshotReady) {
  return {
    queryKey: specKeys.projects,
    queryFn: async ({ signal }: QueryFunctionContext) => (await ready(), (await client.get<{ projects: Project[] }>("/api/projects", { signal })).projects),
  };
}

export function projectQuery(client: ApiClient, ready: SnapshotReady, id: string) {
  return {
    queryKey: specKeys.project(id),
    queryFn: async ({ signal }: QueryFunctionContext) => (await ready(), (await client.get<{ project: Project }>(`/api/projects/${enc(id)}`, { signal })).project),
  };
}

export function specsQuery(client: ApiClient, ready: SnapshotReady, projectId: string) {
  return {
    queryKey: specKeys.specs(projectId),
    queryFn: async ({ signal }: QueryFunctionContext) => (await ready(), client.get<{ specs: Spec[]; purgeAllowed: boolean }>(`/api/specs?projectId=${enc(projectId)}`, { signal })),
  };
}

export function specQuery(client: ApiClient, ready: SnapshotReady, id: string) {
  return {
    queryKey: specKeys.spec(id),
    queryFn: async ({ signal }: QueryFunctionContext) => (await ready(), (await client.get<{ spec: Spec }>(`/api/specs/${enc(id)}`, { signal })).spec),
  };
}

export function messagesQuery(client: ApiClient, ready: SnapshotReady, id: string) {
  return {
    queryKey: specKeys.messages(id),
    queryFn: async ({ signal }: QueryFunctionContext) => (await ready(), (await client.get<{ messages: SpecMessage[] }>(`/api/specs/${enc(id)}/messages`, { signal })).messages),
  };
}

/** While a spec executes, the status is also polled: frames make it fresh at once, the poll covers a socket that is down. */
export function executionQuery(client: ApiClient, ready: SnapshotReady, id: string, live: () => boolean) {
  return {
    queryKey: specKeys.execution(id),
    refetchInterval: () => (live() ? 5_000 : false),
    queryFn: async ({ signal }: QueryFunctionContext) => (await ready(), client.get<ExecutionStatus>(`/api/specs/${enc(id)}/execution-status`, { signal })),
  };
}

export function appsQuery(client: ApiClient, ready: SnapshotReady) {
  return {
    queryKey: specKeys.apps,
    queryFn: async ({ signal }: QueryFunctionContext) => (await ready(), (await client.get<{ apps: AppSummary[] }>("/api/apps", { signal })).apps),
  };
}

export function appQuery(client: ApiClient, ready: SnapshotReady, id: string) {
  return {
    queryKey: specKeys.app(id),
    queryFn: async ({ signal }: QueryFunctionContext) => (await ready(), client.get<{ app: AppSummary; spec: Spec; project: Project }>(`/api/apps/${enc(id)}`, { signal })),
  };
}

/** After a write, every cached view of the spec is stale (its page, its project's list, the apps). */
export async function invalidateSpec(queryClient: QueryClient, specId: string): Promise<void> {
  await Promise.all([
    queryClient.invalidateQueries({ queryKey: specKeys.spec(specId) }),
    queryClient.invalidateQueries({ queryKey: specKeys.execution(specId) }),
    queryClient.invalidateQueries({ queryKey: ["specs", "list"] }),
    queryClient.invalidateQueries({ queryKey: specKeys.apps }),
  ]);
}

/** Spec frames carry the spec's id as `jobId`; a chat of scope spec makes its messages stale, everything else the spec. */
export async function invalidateForSpecFrame(queryClient: QueryClient, frame: ServerFrame): Promise<void> {
  if (!("jobId" in frame) || !frame.jobId) return;
  if (frame.kind === "chat") {
    if (frame.scope === "spec") await queryClient.invalidateQueries({ queryKey: specKeys.messages(frame.jobId) });
    return;
  }
  if ((frame.kind === "step" || frame.kind === "status") && frame.scope !== "spec") return;
  if (frame.kind === "spec" || frame.kind === "app" || frame.kind === "step" || frame.kind === "status" || frame.kind === "error") {
    await invalidateSpec(queryClient, frame.jobId);
  }
}

export type PhaseState = "pending" | "running" | "done" | "failed";
export const TIMELINE = ["explore", "implement", "verify", "pr"] as const;

/** The phase timeline from the build log: the last word on each phase wins. */
export function phaseStates(log: SpecLogEntry[]): Record<(typeof TIMELINE)[number], PhaseState> {
  const states: Record<string, PhaseState> = { explore: "pending", implement: "pending", verify: "pending", pr: "pending" };
  for (const e of log) {
    if (e.kind !== "spec") continue;
    const phase = e.phase ?? "";
    if (e.event === "spec.phase_started" || e.event === "spec.phase_retry") states[phase] = "running";
    else if (e.event === "spec.phase_completed") states[phase] = "done";
    else if (e.event === "spec.phase_failed") states[phase] = "failed";
    else if (e.event === "spec.execution_completed") states.pr = "running";
    else if (e.event === "spec.pr_created" || e.event === "spec.merged") states.pr = "done";
  }
  return states as Record<(typeof TIMELINE)[number], PhaseState>;
}

export const STATUS_LABEL: Record<Spec["status"], string> = {
  collecting: "Collecting",
  ready: "Ready",
  queued: "Queued",
  executing: "Executing",
  pr_created: "Pull request open",
  merged: "Merged",
  closed: "Closed without merging",
  failed: "Failed",
  cancelled: "Cancelled",
};
