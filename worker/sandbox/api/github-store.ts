import type { Database } from "../../db/client";
import { countRecords, getRecord, insertRecord, putRecord } from "../../db/sandbox";
import { base64 } from "../../crypto";
import { sha1Hex } from "../crypto";

/**
 * GitHub repositories and git objects of one sandbox account. Blob ids are
 * real git blob hashes; tree and commit ids are SHA-1 over their content, so
 * equal content gives equal ids as in git, without git's exact encoding.
 */

export interface RepoData {
  name: string;
  owner: string;
  description: string | null;
  private: boolean;
  default_branch: string;
  created_at: string;
  /** Readable but not writable by the account (a repository of an organisation it belongs to): every write is GitHub's 403. */
  readOnly?: boolean;
}
export interface BlobData {
  content: string;
  encoding: "base64";
  size: number;
}
export interface TreeEntry {
  path: string;
  mode: string;
  type: "blob" | "tree" | "commit";
  sha: string;
  size?: number;
}
export interface TreeData {
  tree: TreeEntry[];
}
export interface CommitData {
  message: string;
  tree: string;
  parents: string[];
  author: { name: string; email: string; date: string };
}
export interface RefData {
  sha: string;
}
/** A pull request. While open, its head and base sha are the branches' tips; closing or merging freezes them here. */
export interface PullData {
  number: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  head: string;
  head_sha: string;
  base: string;
  base_sha: string;
  created_at: string;
  merged?: boolean;
  merged_at?: string | null;
  closed_at?: string | null;
  merge_commit_sha?: string | null;
}

export const REPO = "github.repo";
export const BLOB = "github.blob";
export const TREE = "github.tree";
export const COMMIT = "github.commit";
export const REF = "github.ref";
export const ISSUE = "github.issue";
export const PULL = "github.pull";

/** Records of a repository are keyed `owner/name@…` so two repositories never share an object. */
export const objectKey = (repo: string, id: string) => `${repo}@${id}`;

export async function createRepo(db: Database, accountId: string, data: RepoData) {
  return insertRecord(db, accountId, REPO, `${data.owner}/${data.name}`, data);
}

export async function createBlob(db: Database, accountId: string, repo: string, bytes: Uint8Array): Promise<string> {
  const header = new TextEncoder().encode(`blob ${bytes.length}\0`);
  const full = new Uint8Array(header.length + bytes.length);
  full.set(header);
  full.set(bytes, header.length);
  const sha = await sha1Hex(full);
  await insertRecord<BlobData>(db, accountId, BLOB, objectKey(repo, sha), { content: base64(bytes), encoding: "base64", size: bytes.length }, repo);
  return sha;
}

export async function createTree(db: Database, accountId: string, repo: string, entries: TreeEntry[]): Promise<{ sha: string; tree: TreeEntry[] }> {
  // Byte order, as git sorts tree entries (independent of the runtime's locale).
  const tree = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const sha = await sha1Hex(`tree ${JSON.stringify(tree)}`);
  await insertRecord<TreeData>(db, accountId, TREE, objectKey(repo, sha), { tree }, repo);
  return { sha, tree };
}

export async function createCommit(db: Database, accountId: string, repo: string, commit: CommitData): Promise<string> {
  const sha = await sha1Hex(`commit ${JSON.stringify(commit)}`);
  await insertRecord<CommitData>(db, accountId, COMMIT, objectKey(repo, sha), commit, repo);
  return sha;
}

export function getObject<T>(db: Database, accountId: string, kind: string, repo: string, sha: string) {
  return getRecord<T>(db, accountId, kind, objectKey(repo, sha));
}

/** `refs/heads/main` style names only. */
export const refKey = (repo: string, ref: string) => `${repo}:${ref}`;

export function setRef(db: Database, accountId: string, repo: string, ref: string, sha: string) {
  return putRecord<RefData>(db, accountId, REF, refKey(repo, ref), { sha }, repo);
}

export function insertRef(db: Database, accountId: string, repo: string, ref: string, sha: string) {
  return insertRecord<RefData>(db, accountId, REF, refKey(repo, ref), { sha }, repo);
}

export function getRef(db: Database, accountId: string, repo: string, ref: string) {
  return getRecord<RefData>(db, accountId, REF, refKey(repo, ref));
}

/** The commits reachable from `sha` (itself included), breadth first, at most `limit`. */
async function* ancestry(db: Database, accountId: string, repo: string, sha: string, limit = 1000) {
  const seen = new Set<string>();
  const queue = [sha];
  while (queue.length > 0 && seen.size < limit) {
    const next = queue.shift()!;
    if (seen.has(next)) continue;
    seen.add(next);
    yield next;
    const commit = await getObject<CommitData>(db, accountId, COMMIT, repo, next);
    if (commit) queue.push(...commit.data.parents);
  }
}

/** Whether `ancestor` is `sha` or reachable from it through parents. */
export async function isAncestor(db: Database, accountId: string, repo: string, ancestor: string, sha: string): Promise<boolean> {
  for await (const s of ancestry(db, accountId, repo, sha)) if (s === ancestor) return true;
  return false;
}

/** The nearest common ancestor of two commits, as `git merge-base` (undefined for unrelated histories). */
export async function mergeBase(db: Database, accountId: string, repo: string, a: string, b: string): Promise<string | undefined> {
  const fromA = new Set<string>();
  for await (const s of ancestry(db, accountId, repo, a)) fromA.add(s);
  for await (const s of ancestry(db, accountId, repo, b)) if (fromA.has(s)) return s;
  return undefined;
}

/** The files of a commit, by path (trees here are flat: paths carry their directories). */
export async function filesOf(db: Database, accountId: string, repo: string, commitSha: string | undefined): Promise<Map<string, TreeEntry>> {
  const commit = commitSha ? await getObject<CommitData>(db, accountId, COMMIT, repo, commitSha) : undefined;
  const tree = commit ? await getObject<TreeData>(db, accountId, TREE, repo, commit.data.tree) : undefined;
  return new Map((tree?.data.tree ?? []).map((e) => [e.path, e]));
}

/** Issues and pull requests share one number sequence per repository, as on GitHub. */
export async function nextNumber(db: Database, accountId: string, repo: string): Promise<number> {
  return (await countRecords(db, accountId, ISSUE, repo)) + (await countRecords(db, accountId, PULL, repo)) + 1;
}

/** A repository with one commit on its default branch holding the given files. */
export async function seedRepo(
  db: Database,
  accountId: string,
  repo: RepoData,
  files: Record<string, string>,
  author: CommitData["author"],
) {
  const full = `${repo.owner}/${repo.name}`;
  await createRepo(db, accountId, repo);
  const entries: TreeEntry[] = [];
  for (const [path, content] of Object.entries(files)) {
    const bytes = new TextEncoder().encode(content);
    entries.push({ path, mode: "100644", type: "blob", sha: await createBlob(db, accountId, full, bytes), size: bytes.length });
  }
  const { sha: tree } = await createTree(db, accountId, full, entries);
  const commit = await createCommit(db, accountId, full, { message: "Initial commit", tree, parents: [], author });
  await setRef(db, accountId, full, `refs/heads/${repo.default_branch}`, commit);
  return full;
}
