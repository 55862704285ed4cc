import type { Database } from "../../db/client";
import { getRecord, listRecords, patchRecord, type SandboxAccount, type SandboxRecord } from "../../db/sandbox";
import { createCommit, createTree, filesOf, getRef, mergeBase, PULL, setRef, type PullData, type RepoData, type TreeEntry } from "./github-store";

/**
 * Pull request state changes shared by the REST API (`pulls.merge`,
 * `pulls.update`) and the sandbox's pull request page. Every change is a
 * conditional update of the pull's record (`patchRecord` … `when: {state}`),
 * so a double-clicked Merge, or a merge racing a close, has one winner.
 */

export const pullKey = (repo: string, number: number | string) => `${repo}#${number}`;

export function getPull(db: Database, accountId: string, repo: string, number: number | string) {
  return getRecord<PullData>(db, accountId, PULL, pullKey(repo, number));
}

/** An open pull of the same head into the same base, other than `except`. */
export async function openDuplicate(db: Database, accountId: string, repo: string, head: string, base: string, except?: number) {
  const pulls = await listRecords<PullData>(db, accountId, PULL, repo);
  return pulls.some((p) => p.data.head === head && p.data.base === base && p.data.state === "open" && p.data.number !== except);
}

/** Head and base commits: the branches' tips while the pull is open, as frozen when it was closed or merged. */
export async function pullShas(db: Database, accountId: string, repo: string, p: PullData): Promise<{ head: string; base: string }> {
  if (p.state !== "open") return { head: p.head_sha, base: p.base_sha };
  const [head, base] = await Promise.all([getRef(db, accountId, repo, `refs/heads/${p.head}`), getRef(db, accountId, repo, `refs/heads/${p.base}`)]);
  return { head: head?.data.sha ?? p.head_sha, base: base?.data.sha ?? p.base_sha };
}

const same = (a: TreeEntry | undefined, b: TreeEntry | undefined) => a?.sha === b?.sha && a?.mode === b?.mode;

/** Paths whose blob differs between where the branch left its base (their merge base) and its head: GitHub's "Files changed". */
export async function changedFiles(db: Database, accountId: string, repo: string, shas: { head: string; base: string }): Promise<string[]> {
  const from = await filesOf(db, accountId, repo, await mergeBase(db, accountId, repo, shas.base, shas.head));
  const to = await filesOf(db, accountId, repo, shas.head);
  return [...new Set([...from.keys(), ...to.keys()])].filter((path) => !same(from.get(path), to.get(path))).sort();
}

/**
 * The tree of merging `head` into `base`, path by path against their merge
 * base: a path only one side changed takes that side. When the head already
 * contains the base this is exactly the head's tree. Undefined on a conflict
 * (both sides changed one path differently), which GitHub answers "not mergeable".
 */
async function mergedTree(db: Database, accountId: string, repo: string, base: string, head: string): Promise<string | undefined> {
  const [ancestor, ours, theirs] = await Promise.all([
    mergeBase(db, accountId, repo, base, head).then((sha) => filesOf(db, accountId, repo, sha)),
    filesOf(db, accountId, repo, base),
    filesOf(db, accountId, repo, head),
  ]);
  const entries: TreeEntry[] = [];
  for (const path of new Set([...ancestor.keys(), ...ours.keys(), ...theirs.keys()])) {
    const [o, t, a] = [ours.get(path), theirs.get(path), ancestor.get(path)];
    if (same(o, a) || same(o, t)) {
      if (t) entries.push(t);
    } else if (same(t, a)) {
      if (o) entries.push(o);
    } else {
      return undefined;
    }
  }
  return (await createTree(db, accountId, repo, entries)).sha;
}

export type MergeResult = { ok: true; sha: string } | { ok: false; status: 405 | 409; message: string };
export interface MergeOptions {
  method?: "merge" | "squash";
  title?: string;
  message?: string;
  /** The head sha the caller saw; a different tip is a 409, as on GitHub. */
  sha?: string;
}

const NOT_MERGEABLE: MergeResult = { ok: false, status: 405, message: "Pull Request is not mergeable" };

/**
 * Merges an open pull: a commit on the base branch whose parents are [base
 * tip, head tip] (a squash: [base tip]), the base ref moved to it, the pull
 * closed and marked merged with its head and base frozen.
 */
export async function mergePull(
  db: Database,
  account: SandboxAccount,
  repo: SandboxRecord<RepoData>,
  pull: PullData,
  opts: MergeOptions = {},
  now = new Date(),
): Promise<MergeResult> {
  if (pull.state !== "open") return NOT_MERGEABLE;
  const shas = await pullShas(db, account.id, repo.key, pull);
  if (opts.sha && opts.sha !== shas.head) return { ok: false, status: 409, message: "Head branch was modified. Review and try the merge again." };
  const tree = await mergedTree(db, account.id, repo.key, shas.base, shas.head);
  if (!tree) return NOT_MERGEABLE;
  const squash = opts.method === "squash";
  const title = opts.title ?? (squash ? `${pull.title} (#${pull.number})` : `Merge pull request #${pull.number} from ${repo.data.owner}/${pull.head}`);
  const details = opts.message ?? (squash ? "" : pull.title);
  const at = now.toISOString();
  const sha = await createCommit(db, account.id, repo.key, {
    message: details ? `${title}\n\n${details}` : title,
    tree,
    parents: squash ? [shas.base] : [shas.base, shas.head],
    author: { name: account.name, email: account.email, date: at },
  });
  const merged = { state: "closed", merged: true, merged_at: at, closed_at: at, merge_commit_sha: sha, head_sha: shas.head, base_sha: shas.base };
  // Another request closed or merged it meanwhile: the commit stays unreferenced, the base branch untouched.
  if (!(await patchRecord(db, account.id, PULL, pullKey(repo.key, pull.number), merged, { state: "open" }))) return NOT_MERGEABLE;
  await setRef(db, account.id, repo.key, `refs/heads/${pull.base}`, sha);
  return { ok: true, sha };
}

/** Closes an open pull without merging, freezing its head and base; false when it was not open (any more). */
export async function closePull(db: Database, accountId: string, repo: string, pull: PullData, now = new Date()): Promise<boolean> {
  const shas = await pullShas(db, accountId, repo, pull);
  const closed = { state: "closed", closed_at: now.toISOString(), head_sha: shas.head, base_sha: shas.base };
  return patchRecord(db, accountId, PULL, pullKey(repo, pull.number), closed, { state: "open" });
}

/** Reopens a closed, unmerged pull (the caller checks it was not merged and has no open twin). */
export function reopenPull(db: Database, accountId: string, repo: string, pull: PullData): Promise<boolean> {
  return patchRecord(db, accountId, PULL, pullKey(repo, pull.number), { state: "open", closed_at: null }, { state: "closed" });
}
