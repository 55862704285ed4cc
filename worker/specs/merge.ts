import { database } from "../db/client";
import { findProject, findSpecsByPullRequest, updateSpec } from "../db/specs";
import type { Env } from "../env";
import { specEmitter } from "./events";

/**
 * A GitHub `pull_request` delivery closing a spec's pull request: merged →
 * `merged` with a `spec.merged` frame, closed unmerged → `closed`. Matched by
 * repository, head branch and number; a spec already settled is left as it
 * is, so a redelivered or replayed delivery changes nothing.
 */
export async function settlePullRequest(env: Env, pr: { repo: string; branch: string; number: number; merged: boolean }, now = Date.now()): Promise<number> {
  const db = database(env);
  let settled = 0;
  for (const spec of await findSpecsByPullRequest(db, pr.branch, pr.number)) {
    const project = await findProject(db, spec.userId, spec.projectId);
    if (project?.githubRepo?.toLowerCase() !== pr.repo.toLowerCase()) continue;
    const status = pr.merged ? "merged" : "closed";
    const row = await updateSpec(db, spec.id, { status, currentPhase: null }, now, ["pr_created"]);
    if (!row) continue;
    settled++;
    const emit = specEmitter(env, spec.userId, spec.id, () => now);
    if (pr.merged) await emit.spec("spec.merged", "pr", `Pull request #${pr.number} was merged.`, { pullRequestNumber: pr.number, pullRequestUrl: spec.pullRequestUrl });
    await emit.status(status, pr.merged ? `Pull request #${pr.number} was merged.` : `Pull request #${pr.number} was closed without merging.`);
  }
  return settled;
}
