/**
 * What a run keeps between phases and attempts (spec_runs.checkpoint): the
 * branch's base commit, what exploring found, and each task's commit. A
 * retried phase reads it and continues after the last task that landed.
 */
export interface RunCheckpoint {
  baseSha?: string;
  explore?: { pathCount: number; relevant: Record<string, string[]> };
  tasks?: Record<string, { commitSha: string; summary: string }>;
}

export function readCheckpoint(text: string): RunCheckpoint {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === "object" ? (value as RunCheckpoint) : {};
  } catch {
    return {};
  }
}

/** The messages of the spec-exec queue: one phase of one spec, at one attempt. */
export interface SpecExecMessage {
  specId: string;
  userId: string;
  phase: "explore" | "implement" | "verify";
  attempt: number;
}

/** The messages of the pr-create queue. */
export interface PrCreateMessage {
  specId: string;
  userId: string;
}

export const NEXT_PHASE = { explore: "implement", implement: "verify", verify: null } as const;
