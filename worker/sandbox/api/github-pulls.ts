import { Hono } from "hono";
import { database } from "../../db/client";
import { insertRecord, listRecords, patchRecord } from "../../db/sandbox";
import type { SandboxApiBindings } from "../types";
import { githubCustomValidation, githubRefusal, githubValidation, notFound } from "./failures";
import { accountUser, apiBase, ownRepo, paging, problemsParsingJson, readJson, readOptionalJson, webBase, writableRepo, type GithubContext } from "./github-http";
import { closePull, getPull, mergePull, openDuplicate, pullKey, pullShas, reopenPull } from "./github-merge";
import { getRef, isAncestor, nextNumber, PULL, type PullData } from "./github-store";

/** Pull requests (`/repos/{owner}/{repo}/pulls`): Octokit's `pulls.list`, `create`, `get`, `update` and `merge`. */

type User = { login: string; id: number };

export const pullHtmlUrl = (c: GithubContext, repo: string, number: number) => `${webBase(c)}/${repo}/pull/${number}`;

export function renderPull(c: GithubContext, repo: string, p: PullData, user: User, shas: { head: string; base: string }) {
  const owner = repo.split("/")[0];
  return {
    id: p.number,
    number: p.number,
    title: p.title,
    body: p.body,
    state: p.state,
    locked: false,
    draft: false,
    merged: p.merged === true,
    merged_at: p.merged_at ?? null,
    closed_at: p.closed_at ?? null,
    merge_commit_sha: p.merge_commit_sha ?? null,
    user,
    head: { ref: p.head, sha: shas.head, label: `${owner}:${p.head}`, repo: { full_name: repo } },
    base: { ref: p.base, sha: shas.base, label: `${owner}:${p.base}`, repo: { full_name: repo } },
    created_at: p.created_at,
    url: `${apiBase(c)}/repos/${repo}/pulls/${p.number}`,
    html_url: pullHtmlUrl(c, repo, p.number),
  };
}

async function render(c: GithubContext, repo: string, p: PullData) {
  return renderPull(c, repo, p, await accountUser(c), await pullShas(database(c.env), c.get("account").id, repo, p));
}

const text = (v: unknown) => (typeof v === "string" ? v : undefined);
const already = (owner: string, head: string) => `A pull request already exists for ${owner}:${head}.`;

export const githubPulls = new Hono<SandboxApiBindings>()
  .get("/", async (c) => {
    const repo = await ownRepo(c);
    if (!repo) return notFound(c, "github");
    const { state = "open", head, base } = c.req.query();
    const pulls = paging(c)((await listRecords<PullData>(database(c.env), c.get("account").id, PULL, repo.key))
      .map((r) => r.data)
      .filter((p) => state === "all" || p.state === state)
      .filter((p) => !head || `${repo.data.owner}:${p.head}` === head || p.head === head)
      .filter((p) => !base || p.base === base)
      .reverse());
    return c.json(await Promise.all(pulls.map((p) => render(c, repo.key, p))));
  })
  .post("/", async (c) => {
    const repo = await writableRepo(c);
    if (repo instanceof Response) return repo;
    const body = await readJson(c);
    if (!body) return problemsParsingJson(c);
    const title = text(body.title)?.trim() ?? "";
    const head = text(body.head)?.replace(/^[^:]+:/, "") ?? "";
    const base = text(body.base) ?? "";
    if (!title) return githubValidation(c, "PullRequest", "title");
    if (!head) return githubValidation(c, "PullRequest", "head");
    if (!base) return githubValidation(c, "PullRequest", "base");
    const db = database(c.env);
    const account = c.get("account");
    const headRef = await getRef(db, account.id, repo.key, `refs/heads/${head}`);
    const baseRef = await getRef(db, account.id, repo.key, `refs/heads/${base}`);
    if (!headRef) return githubValidation(c, "PullRequest", "head", "invalid");
    if (!baseRef) return githubValidation(c, "PullRequest", "base", "invalid");
    // The head's tip is the base's tip or already in its history: nothing to pull.
    if (await isAncestor(db, account.id, repo.key, headRef.data.sha, baseRef.data.sha)) {
      return githubCustomValidation(c, "PullRequest", `No commits between ${base} and ${head}`);
    }
    if (await openDuplicate(db, account.id, repo.key, head, base)) return githubCustomValidation(c, "PullRequest", already(repo.data.owner, head));
    const number = await nextNumber(db, account.id, repo.key);
    const pull: PullData = {
      number,
      title: title.slice(0, 256),
      body: text(body.body) ?? null,
      state: "open",
      head,
      head_sha: headRef.data.sha,
      base,
      base_sha: baseRef.data.sha,
      created_at: new Date().toISOString(),
    };
    await insertRecord(db, account.id, PULL, pullKey(repo.key, number), pull, repo.key);
    return c.json(await render(c, repo.key, pull), 201);
  })
  .get("/:number{[0-9]+}", async (c) => {
    const repo = await ownRepo(c);
    const rec = repo && (await getPull(database(c.env), c.get("account").id, repo.key, c.req.param("number")));
    return repo && rec ? c.json(await render(c, repo.key, rec.data)) : notFound(c, "github");
  })
  // Octokit `pulls.update`: title, body, and state "closed" (close without merging) or "open" (reopen an unmerged pull).
  .patch("/:number{[0-9]+}", async (c) => {
    const repo = await writableRepo(c);
    if (repo instanceof Response) return repo;
    const db = database(c.env);
    const accountId = c.get("account").id;
    const rec = await getPull(db, accountId, repo.key, c.req.param("number"));
    if (!rec) return notFound(c, "github");
    const body = await readJson(c);
    if (!body) return problemsParsingJson(c);
    const p = rec.data;
    if (body.state !== undefined && body.state !== "open" && body.state !== "closed") return githubValidation(c, "PullRequest", "state", "invalid");
    const reopen = body.state === "open" && p.state === "closed";
    if (reopen && p.merged) return githubCustomValidation(c, "PullRequest", "state cannot be changed. The pull request has already been merged.");
    if (reopen && (await openDuplicate(db, accountId, repo.key, p.head, p.base, p.number))) return githubCustomValidation(c, "PullRequest", already(repo.data.owner, p.head));
    const edits: Partial<PullData> = {};
    if (text(body.title)?.trim()) edits.title = text(body.title)!.trim().slice(0, 256);
    if (typeof body.body === "string" || body.body === null) edits.body = body.body;
    await patchRecord(db, accountId, PULL, rec.key, edits);
    // Closing what is closed already, or reopening what is open, changes nothing (as on GitHub).
    if (body.state === "closed") await closePull(db, accountId, repo.key, p);
    if (reopen) await reopenPull(db, accountId, repo.key, p);
    return c.json(await render(c, repo.key, (await getPull(db, accountId, repo.key, p.number))!.data));
  })
  // Octokit `pulls.merge`: merge_method "merge" (default) or "squash"; commit_title, commit_message, and sha (the head the caller expects).
  .put("/:number{[0-9]+}/merge", async (c) => {
    const repo = await writableRepo(c);
    if (repo instanceof Response) return repo;
    const db = database(c.env);
    const rec = await getPull(db, c.get("account").id, repo.key, c.req.param("number"));
    if (!rec) return notFound(c, "github");
    const body = await readOptionalJson(c);
    if (!body) return problemsParsingJson(c);
    const method = body.merge_method ?? "merge";
    if (method !== "merge" && method !== "squash") return githubValidation(c, "PullRequest", "merge_method", "invalid");
    const result = await mergePull(db, c.get("account"), repo, rec.data, { method, title: text(body.commit_title), message: text(body.commit_message), sha: text(body.sha) });
    if (!result.ok) return githubRefusal(c, result.status, result.message);
    return c.json({ sha: result.sha, merged: true, message: "Pull Request successfully merged" });
  });
