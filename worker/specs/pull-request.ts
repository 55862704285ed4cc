import { toSpec, updateSpec, findProject, findSpecById, type SpecRow } from "../db/specs";
import { database } from "../db/client";
import type { Env } from "../env";
import { AppError } from "../errors";
import type { GitHub } from "../tools/clients/github";
import { specEmitter } from "./events";
import { isValidation, repoRef } from "./git";
import { PROJECT_REPO_MISSING } from "./github";
import { OFFLINE_NOTE } from "./offline-planner";

/**
 * Opens the pull request of a spec, idempotently: an open pull request for
 * the branch is found (`pulls.list({head})`) and reused, GitHub's 422 "A pull
 * request already exists" is answered by finding it, and "No commits
 * between" is a final answer (a branch with nothing on it), never retried.
 */

/** Statuses a pull request may be opened from: at the end of execution, or by hand after a failure. */
const OPENABLE = ["executing", "failed", "ready"] as const;

export function pullRequestBody(spec: ReturnType<typeof toSpec>): string {
  const summary = (spec.prdMarkdown ?? "").split(/\n## /)[1]?.replace(/^Summary\s*\n/, "").trim() ?? spec.prompt;
  return [
    `## ${spec.title}`,
    "",
    summary.slice(0, 4000),
    "",
    "### Tasks",
    "",
    ...spec.tasks.map((t, i) => `- [${t.status === "done" ? "x" : " "}] ${i + 1}. ${t.title}${t.result ? ` — ${t.result}` : ""}${t.commitSha ? ` (${t.commitSha.slice(0, 7)})` : ""}`),
    "",
    "---",
    `Opened by TaskPilot from spec \`${spec.id}\`; the full PRD is in the branch's \`docs/specs/\` document.`,
    ...(spec.offline ? ["", `_${OFFLINE_NOTE}_`] : []),
  ].join("\n");
}

export async function openPullRequest(env: Env, spec: SpecRow, gh: GitHub, now: () => number = Date.now): Promise<SpecRow> {
  if (spec.pullRequestNumber && spec.pullRequestUrl) return spec;
  const db = database(env);
  const project = await findProject(db, spec.userId, spec.projectId);
  if (!project?.githubRepo) throw new AppError(400, "project_repo_missing", PROJECT_REPO_MISSING);
  if (!spec.branchName) throw new AppError(409, "branch_missing", "The spec has no branch yet; create it first (create-branch).");
  const ref = repoRef(project.githubRepo);
  const branch = spec.branchName;
  const find = async () => (await gh.call(false, (o) => o.rest.pulls.list({ ...ref, head: `${ref.owner}:${branch}`, state: "open", per_page: 10 }))).data[0];
  type Pull = { html_url: string; number: number };
  let pull: Pull | undefined = await find();
  if (!pull) {
    const view = toSpec(spec);
    try {
      pull = (await gh.call(true, (o) => o.rest.pulls.create({ ...ref, head: branch, base: project.defaultBranch, title: spec.title, body: pullRequestBody(view) }))).data;
    } catch (e) {
      if (isValidation(e, /already exists/i)) pull = await find();
      else if (isValidation(e, /No commits between/i)) {
        throw new AppError(409, "no_changes", `${branch} has no commits beyond ${project.defaultBranch}, so there is nothing to open a pull request for.`);
      } else throw e;
      if (!pull) throw e;
    }
  }
  const updated = await updateSpec(
    db,
    spec.id,
    { status: "pr_created", currentPhase: null, error: null, pullRequestUrl: pull.html_url, pullRequestNumber: pull.number },
    now(),
    OPENABLE,
  );
  if (!updated) return (await findSpecById(db, spec.id)) ?? spec;
  const emit = specEmitter(env, spec.userId, spec.id, now);
  await emit.spec("spec.pr_created", "pr", `Pull request #${pull.number} is open.`, { pullRequestUrl: pull.html_url, pullRequestNumber: pull.number });
  await emit.status("pr_created", `Pull request #${pull.number} is open.`);
  return updated;
}
