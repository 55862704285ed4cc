import { specBranchName, type Spec } from "../contract/specs";
import { database } from "../db/client";
import { findRun, setRunState, startRun, toSpec, updateSpec, type ProjectRow, type SpecRow } from "../db/specs";
import type { Env } from "../env";
import { AppError } from "../errors";
import type { GitHub } from "../tools/clients/github";
import type { RunCheckpoint, SpecExecMessage } from "./checkpoint";
import { specEmitter } from "./events";
import { ensureBranch, repoRef } from "./git";
import { GITHUB_NOT_CONNECTED, PROJECT_REPO_MISSING } from "./github";

/** The status changes of a spec that more than one path makes: starting an execution, creating the branch, failing. */

/** While these, a spec's execution is under way and another one is refused. */
export const IN_FLIGHT = ["queued", "executing"] as const;

/** Creates the spec's branch from the project's default branch (kept if it exists) and records its name. */
export async function createSpecBranch(env: Env, spec: SpecRow, project: ProjectRow, gh: GitHub, now: number) {
  if (!project.githubRepo) throw new AppError(400, "project_repo_missing", PROJECT_REPO_MISSING);
  const branch = spec.branchName ?? specBranchName(spec.id, spec.title);
  const { baseSha, created } = await ensureBranch(gh, repoRef(project.githubRepo), branch, project.defaultBranch);
  const row = spec.branchName === branch ? spec : ((await updateSpec(database(env), spec.id, { branchName: branch }, now)) ?? spec);
  return { spec: row, branch, baseSha, created };
}

export interface ExecuteDeps {
  now: number;
  github(): Promise<GitHub>;
  send(msg: SpecExecMessage): Promise<void>;
}

/**
 * `POST /api/specs/{id}/execute`: checks GitHub and the repository (the
 * contract's two 400s), creates the branch, moves the spec ready → executing
 * (compare-and-set: of two requests one wins, the other is 409), starts the
 * run at `explore` and queues it. A GitHub failure before the move leaves
 * the spec as it was.
 */
export async function startExecution(env: Env, spec: SpecRow, project: ProjectRow, githubActive: boolean, deps: ExecuteDeps): Promise<Spec> {
  if (spec.status !== "ready") {
    throw new AppError(409, "spec_not_ready", IN_FLIGHT.includes(spec.status as (typeof IN_FLIGHT)[number]) ? "This spec is already executing." : `A spec executes once its plan is ready; this one is ${spec.status}.`);
  }
  if (!githubActive) throw new AppError(400, "github_not_connected", GITHUB_NOT_CONNECTED);
  if (!project.githubRepo) throw new AppError(400, "project_repo_missing", PROJECT_REPO_MISSING);
  const gh = await deps.github();
  const { branch, baseSha } = await createSpecBranch(env, spec, project, gh, deps.now);
  const db = database(env);
  const moved = await updateSpec(db, spec.id, { status: "executing", currentPhase: "explore", branchName: branch, error: null }, deps.now, ["ready"]);
  if (!moved) throw new AppError(409, "spec_not_ready", "This spec is already executing.");
  const checkpoint: RunCheckpoint = { baseSha };
  await startRun(db, spec.id, spec.userId, "explore", checkpoint, deps.now);
  const emit = specEmitter(env, spec.userId, spec.id, () => deps.now);
  await emit.spec("spec.execution_started", null, `Executing on ${branch}.`, { branchName: branch });
  await emit.status("executing", `Executing on ${branch}.`);
  // If the queue refuses the message, the run's heartbeat goes stale and the watch queues the phase again.
  await deps.send({ specId: spec.id, userId: spec.userId, phase: "explore", attempt: 1 }).catch(() => undefined);
  return toSpec(moved);
}

/** Ends a spec as failed with a reason a person can act on, and says so on every open tab. Only from a live status. */
export async function failSpec(env: Env, specId: string, userId: string, phase: string | null, code: string, reason: string, now: number) {
  const db = database(env);
  const row = await updateSpec(db, specId, { status: "failed", error: reason }, now, [...IN_FLIGHT, "ready"]);
  if ((await findRun(db, specId))?.state === "running") await setRunState(db, specId, { state: "failed", leaseId: null, leaseUntil: null }, now);
  if (!row) return undefined;
  const emit = specEmitter(env, userId, specId, () => now);
  await emit.spec("spec.phase_failed", phase, reason, { code, final: true });
  await emit.error(code, reason, phase);
  await emit.status("failed", reason);
  return row;
}
