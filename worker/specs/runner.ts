import { getConfig } from "../config";
import { slugify, type SpecTask } from "../contract/specs";
import { database } from "../db/client";
import { acquireLease, findProject, findSpecById, toSpec, updateSpec, writeAsHolder, type SpecRow } from "../db/specs";
import type { Env } from "../env";
import { AppError } from "../errors";
import type { GitHub } from "../tools/clients/github";
import { NEXT_PHASE, readCheckpoint, type PrCreateMessage, type RunCheckpoint, type SpecExecMessage } from "./checkpoint";
import { specEmitter, type SpecEmitter } from "./events";
import { branchHead, commitChanges, landedTasks, listPaths, readBlob, repoRef, taskTrailer, type RepoRef } from "./git";
import { githubFor } from "./github";
import { DEAD_AFTER_MS, HEARTBEAT_EVERY_MS, realTimers, startHeartbeat, type Timers } from "./liveness";
import { specDocPath, specPlannerFor, type SpecPlanner } from "./planner";

/**
 * The spec-exec runner: one phase of one spec per message. It takes the
 * run's lease (a redelivered or stale message finds none and does nothing),
 * heartbeats while it works, writes its progress into the checkpoint as it
 * goes, and hands the next phase to the queue. A runner whose lease was
 * taken over (the watch judged it dead and gave the phase to a new attempt)
 * stops at its next write.
 */

export class LeaseLost extends Error {
  constructor(readonly specId: string) {
    super(`lease of spec ${specId} was taken over`);
    this.name = "LeaseLost";
  }
}

export interface RunnerDeps {
  now(): number;
  newLeaseId(): string;
  timers: Timers;
  heartbeatEveryMs: number;
  planner: SpecPlanner;
  github(userId: string): Promise<GitHub>;
  sendPhase(msg: SpecExecMessage): Promise<void>;
  sendPr(msg: PrCreateMessage): Promise<void>;
  /** Test seam: runs after each task's commit is recorded (a test freezes a runner here to play a dead one). */
  afterTask?(specId: string, taskId: string): Promise<void>;
}

export function runnerDeps(env: Env, overrides: Partial<RunnerDeps> = {}): RunnerDeps {
  return {
    now: () => Date.now(),
    newLeaseId: () => crypto.randomUUID(),
    timers: realTimers,
    heartbeatEveryMs: HEARTBEAT_EVERY_MS,
    planner: specPlannerFor(getConfig(env)),
    github: (userId) => githubFor(env, userId),
    sendPhase: async (msg) => void (await env.SPEC_EXEC.send(msg)),
    sendPr: async (msg) => void (await env.PR_CREATE.send(msg)),
    ...overrides,
  };
}

export type PhaseOutcome = "completed" | "skipped";

interface PhaseContext {
  env: Env;
  deps: RunnerDeps;
  msg: SpecExecMessage;
  spec: SpecRow;
  repo: RepoRef;
  branch: string;
  gh: GitHub;
  emit: SpecEmitter;
  checkpoint: RunCheckpoint;
  /** Records work (heartbeat + last work + checkpoint) as the lease holder; throws LeaseLost when the lease is gone. */
  progress(message?: string): Promise<void>;
}

export async function runPhase(env: Env, msg: SpecExecMessage, deps: RunnerDeps): Promise<PhaseOutcome> {
  const db = database(env);
  const leaseId = deps.newLeaseId();
  const run = await acquireLease(db, msg.specId, msg.phase, msg.attempt, leaseId, deps.now(), DEAD_AFTER_MS);
  if (!run) return "skipped";
  const spec = await findSpecById(db, msg.specId);
  const project = spec && (await findProject(db, spec.userId, spec.projectId));
  if (!spec || !project || spec.status !== "executing" || !spec.branchName || !project.githubRepo) {
    await writeAsHolder(db, msg.specId, leaseId, { leaseId: null, leaseUntil: null, state: "failed" }, deps.now());
    return "skipped";
  }
  const emit = specEmitter(env, spec.userId, spec.id, deps.now);
  const checkpoint = readCheckpoint(run.checkpoint);
  const beat = async (work: boolean) => {
    const now = deps.now();
    return writeAsHolder(
      db,
      spec.id,
      leaseId,
      { heartbeatAt: new Date(now), leaseUntil: new Date(now + DEAD_AFTER_MS), runnerState: "active", ...(work ? { lastWorkAt: new Date(now), checkpoint: JSON.stringify(checkpoint) } : {}) },
      now,
    );
  };
  const heartbeat = startHeartbeat(() => beat(false), deps.heartbeatEveryMs, deps.timers);
  const ctx: PhaseContext = {
    env,
    deps,
    msg,
    spec,
    repo: repoRef(project.githubRepo),
    branch: spec.branchName,
    gh: await deps.github(spec.userId),
    emit,
    checkpoint,
    async progress(message) {
      if (heartbeat.lost() || !(await beat(true))) throw new LeaseLost(spec.id);
      if (message) await emit.step(msg.phase, message, msg.phase);
    },
  };
  try {
    await updateSpec(db, spec.id, { currentPhase: msg.phase }, deps.now(), ["executing"]);
    await emit.spec("spec.phase_started", msg.phase, `${label(msg.phase)} started${msg.attempt > 1 ? ` (attempt ${msg.attempt})` : ""}.`, { attempt: msg.attempt });
    await PHASES[msg.phase](ctx);
    const next = NEXT_PHASE[msg.phase];
    const now = deps.now();
    const handedOver = await writeAsHolder(
      db,
      spec.id,
      leaseId,
      next
        ? { phase: next, attempt: 1, leaseId: null, leaseUntil: null, heartbeatAt: new Date(now), lastWorkAt: new Date(now), checkpoint: JSON.stringify(checkpoint) }
        : { state: "done", leaseId: null, leaseUntil: null, lastWorkAt: new Date(now), checkpoint: JSON.stringify(checkpoint) },
      now,
    );
    if (!handedOver) throw new LeaseLost(spec.id);
    await emit.spec("spec.phase_completed", msg.phase, `${label(msg.phase)} done.`, { attempt: msg.attempt });
    if (next) {
      await deps.sendPhase({ specId: spec.id, userId: spec.userId, phase: next, attempt: 1 });
    } else {
      await updateSpec(db, spec.id, { currentPhase: "pr" }, deps.now(), ["executing"]);
      await emit.spec("spec.execution_completed", null, "Every task is on the branch; opening the pull request.");
      await deps.sendPr({ specId: spec.id, userId: spec.userId });
    }
    return "completed";
  } catch (e) {
    // Whoever holds the phase now (a retry) owns it; this runner lets go without touching the run.
    if (!(e instanceof LeaseLost)) await writeAsHolder(db, spec.id, leaseId, { leaseId: null, leaseUntil: null }, deps.now()).catch(() => false);
    throw e;
  } finally {
    heartbeat.stop();
  }
}

const label = (phase: string) => phase.charAt(0).toUpperCase() + phase.slice(1);

function tasksOf(spec: SpecRow): SpecTask[] {
  return toSpec(spec).tasks;
}

async function headOf(ctx: PhaseContext): Promise<string> {
  const head = await branchHead(ctx.gh, ctx.repo, ctx.branch);
  if (!head) throw new AppError(409, "branch_missing", `The branch ${ctx.branch} no longer exists on ${ctx.repo.owner}/${ctx.repo.repo}; create it again (create-branch) and execute once more.`);
  return head;
}

const WORD = /[a-z0-9]{4,}/g;

const PHASES: Record<SpecExecMessage["phase"], (ctx: PhaseContext) => Promise<void>> = {
  async explore(ctx) {
    const head = await headOf(ctx);
    const { paths } = await listPaths(ctx.gh, ctx.repo, head);
    await ctx.progress(`Read the tree of ${ctx.repo.owner}/${ctx.repo.repo} at ${ctx.branch}: ${paths.length} file${paths.length === 1 ? "" : "s"}.`);
    const relevant: Record<string, string[]> = {};
    for (const [i, task] of tasksOf(ctx.spec).entries()) {
      const words = new Set(task.title.toLowerCase().match(WORD) ?? []);
      const named = task.files.filter((f) => paths.includes(f));
      const similar = paths.filter((p) => !named.includes(p) && (p.toLowerCase().match(WORD) ?? []).some((w) => words.has(w)));
      relevant[task.id] = [...named, ...similar].slice(0, 8);
      const isNew = task.files.filter((f) => !paths.includes(f));
      await ctx.progress(
        `Task ${i + 1} (${task.title}): ${relevant[task.id]!.length ? `looks at ${relevant[task.id]!.join(", ")}` : "no existing file matches"}${isNew.length ? `; new: ${isNew.join(", ")}` : ""}.`,
      );
    }
    ctx.checkpoint.explore = { pathCount: paths.length, relevant };
    await ctx.progress();
  },

  async implement(ctx) {
    const db = database(ctx.env);
    const baseSha = ctx.checkpoint.baseSha;
    let head = await headOf(ctx);
    const landed = baseSha ? await landedTasks(ctx.gh, ctx.repo, head, baseSha) : new Map<string, string>();
    const done = (ctx.checkpoint.tasks ??= {});
    const tasks = tasksOf(ctx.spec);
    const slug = slugify(ctx.spec.title);
    // The branch's files, read once and then kept current from each commit's own writes.
    let tree: { paths: string[]; blobs: Map<string, string>; treeSha?: string } | undefined;
    for (const [index, task] of tasks.entries()) {
      // Each task starts by proving the lease is still this runner's: a runner that froze and woke up stops here.
      await ctx.progress();
      const already = done[task.id]?.commitSha ?? landed.get(`${ctx.spec.id}/${task.id}`);
      if (already) {
        done[task.id] ??= { commitSha: already, summary: "committed by an earlier attempt" };
        tasks[index] = { ...task, status: "done", commitSha: already, result: task.result ?? done[task.id]!.summary };
        await ctx.progress(`Task ${index + 1} is already on the branch (${already.slice(0, 7)}); not committing it again.`);
        continue;
      }
      tree ??= await listPaths(ctx.gh, ctx.repo, head);
      const { paths, blobs } = tree;
      await ctx.progress(`Task ${index + 1}: ${task.title}…`);
      const work = await ctx.deps.planner.implement({
        specId: ctx.spec.id,
        slug,
        title: ctx.spec.title,
        prdMarkdown: ctx.spec.prdMarkdown ?? "",
        tasks,
        index,
        repo: {
          repo: `${ctx.repo.owner}/${ctx.repo.repo}`,
          branch: ctx.branch,
          paths,
          read: async (path) => {
            const sha = blobs.get(path);
            return sha ? readBlob(ctx.gh, ctx.repo, sha) : null;
          },
        },
      });
      // The last check before writing: a runner whose lease was taken does not commit.
      await ctx.progress();
      const message = `${task.title}\n\n${work.summary}\n\n${taskTrailer(ctx.spec.id, task.id)}`;
      const commit = await commitChanges(ctx.gh, ctx.repo, ctx.branch, { sha: head, treeSha: tree.treeSha }, work.changes, message);
      head = commit.sha;
      for (const [path, sha] of commit.written) blobs.set(path, sha);
      tree = { paths: [...blobs.keys()].sort(), blobs, treeSha: commit.treeSha };
      done[task.id] = { commitSha: head, summary: work.summary };
      tasks[index] = { ...task, status: "done", commitSha: head, result: work.summary };
      await ctx.progress(`Task ${index + 1} committed (${head.slice(0, 7)}): ${work.summary}.`);
      await updateSpec(db, ctx.spec.id, { tasks: JSON.stringify(tasks) }, ctx.deps.now());
      await ctx.deps.afterTask?.(ctx.spec.id, task.id);
    }
    await updateSpec(db, ctx.spec.id, { tasks: JSON.stringify(tasks) }, ctx.deps.now());
  },

  async verify(ctx) {
    const head = await headOf(ctx);
    const landed = ctx.checkpoint.baseSha ? await landedTasks(ctx.gh, ctx.repo, head, ctx.checkpoint.baseSha) : new Map<string, string>();
    const tasks = tasksOf(ctx.spec);
    const missing = tasks.filter((t) => !landed.has(`${ctx.spec.id}/${t.id}`));
    if (missing.length) {
      throw new AppError(409, "verify_failed", `Verify found ${missing.length} task${missing.length === 1 ? "" : "s"} without a commit on ${ctx.branch}: ${missing.map((t) => t.title).join("; ")}.`);
    }
    const { paths } = await listPaths(ctx.gh, ctx.repo, head);
    const doc = specDocPath(slugify(ctx.spec.title));
    if (!paths.includes(doc)) throw new AppError(409, "verify_failed", `Verify did not find ${doc} on ${ctx.branch}.`);
    await ctx.progress(`Verified: ${tasks.length} task commit${tasks.length === 1 ? "" : "s"} on ${ctx.branch} and ${doc} present.`);
    if (ctx.spec.offline) await ctx.progress("Ran with the offline planner: the branch holds the plan and scaffolds, not an implementation.");
  },
};
