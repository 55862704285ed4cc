import type { Env } from "../env";
import { AppError } from "../errors";
import { branchHead, isNotFound, repoRef } from "./git";
import { githubFor, PROJECT_REPO_MISSING } from "./github";

/**
 * What saving a project checks through the user's own GitHub: the
 * repository exists for them, they can push to it (`permissions.push`), and
 * the default branch exists. Each refusal is a 400 with its own code.
 */
export async function checkRepository(env: Env, userId: string, fullName: string, defaultBranch?: string): Promise<{ fullName: string; defaultBranch: string }> {
  if (!fullName) throw new AppError(400, "project_repo_missing", PROJECT_REPO_MISSING);
  const gh = await githubFor(env, userId);
  const ref = repoRef(fullName);
  let repo;
  try {
    repo = (await gh.call(false, (o) => o.rest.repos.get({ owner: ref.owner, repo: ref.repo }))).data;
  } catch (e) {
    if (isNotFound(e)) throw new AppError(400, "repo_not_found", `GitHub has no repository ${fullName} that your account can see.`);
    throw e;
  }
  if (!repo.permissions?.push) {
    throw new AppError(400, "repo_read_only", `Your GitHub account can read ${repo.full_name} but not push to it; TaskPilot needs push access to open pull requests.`);
  }
  const branch = defaultBranch ?? repo.default_branch;
  if (defaultBranch && !(await branchHead(gh, ref, defaultBranch))) {
    throw new AppError(400, "branch_not_found", `${repo.full_name} has no branch "${defaultBranch}".`);
  }
  return { fullName: repo.full_name, defaultBranch: branch };
}
