import { decodeBase64 } from "../crypto";
import type { GitHub } from "../tools/clients/github";
import { AppError } from "../errors";
import type { FileChange } from "./planner";

/**
 * The repository work of a spec through GitHub's REST and Git Data APIs
 * (`@octokit/rest`): the branch, reading the tree and files, and commits
 * written as blobs → tree → commit → ref update. Every commit carries a
 * `Spec-Task:` trailer; before committing a task the branch is read back to
 * its base, so a task whose commit already landed (a redelivered message, a
 * runner that died after the ref moved) is found there and not committed twice.
 */

export interface RepoRef {
  owner: string;
  repo: string;
}

export function repoRef(fullName: string): RepoRef {
  const [owner = "", repo = ""] = fullName.split("/");
  return { owner, repo };
}

const MAX_BLOB_BYTES = 1_000_000;
const MAX_WALK = 100;

/** GitHub's 422 with one of its messages, whatever the field it names. */
export function isValidation(e: unknown, pattern: RegExp): boolean {
  return e instanceof AppError && e.extra.providerStatus === 422 && pattern.test(e.detail);
}

/** GitHub's 404 for a repository, branch or object (also what it answers for a private repository one cannot see). */
export const isNotFound = (e: unknown) => e instanceof AppError && e.extra.providerStatus === 404;

/** A path a commit may write: relative, no `..`, never inside `.git` or `.github/workflows` (a spec does not change CI). */
export function checkPath(path: string): string {
  const clean = path.replace(/^\.\//, "");
  const parts = clean.split("/");
  if (!clean || clean.startsWith("/") || parts.some((p) => p === "" || p === "." || p === "..") || parts[0] === ".git" || clean.startsWith(".github/workflows/")) {
    throw new AppError(422, "unsafe_path", `A task tried to write "${path.slice(0, 200)}", which a spec may not change.`);
  }
  return clean;
}

export async function branchHead(gh: GitHub, ref: RepoRef, branch: string): Promise<string | undefined> {
  try {
    const res = await gh.call(false, (o) => o.rest.git.getRef({ ...ref, ref: `heads/${branch}` }));
    return res.data.object.sha;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Creates `branch` at the tip of `from`; a branch that exists already is kept (idempotent). Returns the branch's base commit. */
export async function ensureBranch(gh: GitHub, ref: RepoRef, branch: string, from: string): Promise<{ baseSha: string; created: boolean }> {
  const baseSha = await branchHead(gh, ref, from);
  if (!baseSha) throw new AppError(400, "default_branch_missing", `${ref.owner}/${ref.repo} has no branch "${from}"; set the project's default branch.`);
  try {
    await gh.call(true, (o) => o.rest.git.createRef({ ...ref, ref: `refs/heads/${branch}`, sha: baseSha }));
    return { baseSha, created: true };
  } catch (e) {
    if (isValidation(e, /already exists/i)) return { baseSha, created: false };
    throw e;
  }
}

export async function listPaths(gh: GitHub, ref: RepoRef, sha: string): Promise<{ paths: string[]; blobs: Map<string, string>; treeSha: string }> {
  const commit = await gh.call(false, (o) => o.rest.git.getCommit({ ...ref, commit_sha: sha }));
  const tree = await gh.call(false, (o) => o.rest.git.getTree({ ...ref, tree_sha: commit.data.tree.sha, recursive: "1" }));
  const blobs = new Map<string, string>();
  for (const e of tree.data.tree) if (e.type === "blob" && e.path && e.sha) blobs.set(e.path, e.sha);
  return { paths: [...blobs.keys()].sort(), blobs, treeSha: commit.data.tree.sha };
}

export async function readBlob(gh: GitHub, ref: RepoRef, sha: string): Promise<string | null> {
  const res = await gh.call(false, (o) => o.rest.git.getBlob({ ...ref, file_sha: sha }));
  if ((res.data.size ?? 0) > MAX_BLOB_BYTES) return null;
  const bytes = decodeBase64(res.data.content);
  if (!bytes) return null;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
}

export const taskTrailer = (specId: string, taskId: string) => `Spec-Task: ${specId}/${taskId}`;

/** The `Spec-Task` trailers of the commits between the branch head and its base, with their commits. */
export async function landedTasks(gh: GitHub, ref: RepoRef, head: string, baseSha: string): Promise<Map<string, string>> {
  const landed = new Map<string, string>();
  let sha: string | undefined = head;
  for (let i = 0; sha && sha !== baseSha && i < MAX_WALK; i++) {
    const current: string = sha;
    const commit = await gh.call(false, (o) => o.rest.git.getCommit({ ...ref, commit_sha: current }));
    for (const m of commit.data.message.matchAll(/^Spec-Task: (\S+)$/gm)) landed.set(m[1]!, current);
    sha = commit.data.parents[0]?.sha;
  }
  return landed;
}

export interface Commit {
  sha: string;
  treeSha: string;
  /** Path → blob of every file the commit wrote. */
  written: Map<string, string>;
}

/**
 * One commit on `branch` writing `changes` over the parent's tree; the ref
 * moves only forward (no force), so a concurrent writer makes this fail
 * rather than be overwritten. The caller passes the parent's tree when it
 * knows it (the previous commit's), saving a read.
 */
export async function commitChanges(gh: GitHub, ref: RepoRef, branch: string, parent: { sha: string; treeSha?: string }, changes: FileChange[], message: string): Promise<Commit> {
  const parentTree = parent.treeSha ?? (await gh.call(false, (o) => o.rest.git.getCommit({ ...ref, commit_sha: parent.sha }))).data.tree.sha;
  const tree: Array<{ path: string; mode: "100644"; type: "blob"; sha: string }> = [];
  for (const change of changes) {
    const path = checkPath(change.path);
    const blob = await gh.call(true, (o) => o.rest.git.createBlob({ ...ref, content: change.content, encoding: "utf-8" }));
    tree.push({ path, mode: "100644", type: "blob", sha: blob.data.sha });
  }
  const newTree = await gh.call(true, (o) => o.rest.git.createTree({ ...ref, base_tree: parentTree, tree }));
  const commit = await gh.call(true, (o) => o.rest.git.createCommit({ ...ref, message, tree: newTree.data.sha, parents: [parent.sha] }));
  await gh.call(true, (o) => o.rest.git.updateRef({ ...ref, ref: `heads/${branch}`, sha: commit.data.sha, force: false }));
  return { sha: commit.data.sha, treeSha: newTree.data.sha, written: new Map(tree.map((e) => [e.path, e.sha])) };
}
