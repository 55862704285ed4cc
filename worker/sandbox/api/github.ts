import { Hono } from "hono";
import { database } from "../../db/client";
import { getRecord, insertRecord, listRecords } from "../../db/sandbox";
import { githubLogin, githubUserId } from "../identity";
import type { SandboxApiBindings } from "../types";
import { githubValidation, notFound } from "./failures";
import { githubGit } from "./github-git";
import { apiBase, ownRepo, problemsParsingJson, readJson, type GithubContext } from "./github-http";
import { createRepo, getRef, ISSUE, nextNumber, PULL, REPO, seedRepo, type RepoData } from "./github-store";

/**
 * Fake GitHub REST API under `/sandbox/github/api`: enough of it that
 * `new Octokit({ auth, baseUrl })` can read the user and repositories,
 * create issues, write commits through the Git Data API and open pulls.
 */

interface IssueData {
  number: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  labels: string[];
  created_at: string;
}

interface PullData {
  number: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  head: string;
  head_sha: string;
  base: string;
  created_at: string;
}

async function owner(c: GithubContext) {
  const a = c.get("account");
  return { login: githubLogin(a), id: await githubUserId(a), type: "User" };
}

function renderRepo(c: GithubContext, r: RepoData, ownerId: number) {
  const full = `${r.owner}/${r.name}`;
  return {
    id: Number.parseInt(full.length.toString() + String(ownerId).slice(-6), 10),
    name: r.name,
    full_name: full,
    private: r.private,
    visibility: r.private ? "private" : "public",
    description: r.description,
    default_branch: r.default_branch,
    owner: { login: r.owner, id: ownerId, type: "User" },
    html_url: `${new URL(c.req.url).origin}/sandbox/github/web/${full}`,
    url: `${apiBase(c)}/repos/${full}`,
    created_at: r.created_at,
    updated_at: r.created_at,
    permissions: { admin: true, push: true, pull: true },
  };
}

function renderIssue(c: GithubContext, repo: string, i: IssueData, user: { login: string; id: number }) {
  return {
    ...i,
    id: i.number,
    labels: i.labels.map((name) => ({ name })),
    user,
    url: `${apiBase(c)}/repos/${repo}/issues/${i.number}`,
    html_url: `${new URL(c.req.url).origin}/sandbox/github/web/${repo}/issues/${i.number}`,
  };
}

function renderPull(c: GithubContext, repo: string, p: PullData, user: { login: string; id: number }) {
  return {
    id: p.number,
    number: p.number,
    title: p.title,
    body: p.body,
    state: p.state,
    merged: false,
    draft: false,
    user,
    head: { ref: p.head, sha: p.head_sha, label: `${repo.split("/")[0]}:${p.head}` },
    base: { ref: p.base, label: `${repo.split("/")[0]}:${p.base}` },
    created_at: p.created_at,
    url: `${apiBase(c)}/repos/${repo}/pulls/${p.number}`,
    html_url: `${new URL(c.req.url).origin}/sandbox/github/web/${repo}/pull/${p.number}`,
  };
}

const paging = (c: GithubContext) => {
  const perPage = Math.min(Math.max(Number(c.req.query("per_page") ?? 30) || 30, 1), 100);
  const page = Math.max(Number(c.req.query("page") ?? 1) || 1, 1);
  return <T>(items: T[]) => items.slice((page - 1) * perPage, page * perPage);
};

export const githubApi = new Hono<SandboxApiBindings>()
  .get("/user", async (c) => {
    const a = c.get("account");
    const o = await owner(c);
    return c.json({ ...o, node_id: `U_${o.id}`, name: a.name, email: a.email, avatar_url: null, html_url: `${new URL(c.req.url).origin}/sandbox/github/web/${o.login}` });
  })
  .get("/user/repos", async (c) => {
    const o = await owner(c);
    const repos = await listRecords<RepoData>(database(c.env), c.get("account").id, REPO);
    return c.json(paging(c)(repos.map((r) => renderRepo(c, r.data, o.id))));
  })
  .post("/user/repos", async (c) => {
    const body = await readJson(c);
    if (!body) return problemsParsingJson(c);
    const name = typeof body.name === "string" ? body.name.trim() : "";
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) return githubValidation(c, "Repository", "name", name ? "invalid" : "missing_field");
    const o = await owner(c);
    const data: RepoData = {
      name,
      owner: o.login,
      description: typeof body.description === "string" ? body.description : null,
      private: body.private === true,
      default_branch: "main",
      created_at: new Date().toISOString(),
    };
    const db = database(c.env);
    const created =
      body.auto_init === true
        ? await seedRepo(db, c.get("account").id, data, { "README.md": `# ${name}\n` }, { name: c.get("account").name, email: c.get("account").email, date: data.created_at })
        : await createRepo(db, c.get("account").id, data);
    if (!created) return githubValidation(c, "Repository", "name", "custom", "name already exists on this account");
    return c.json(renderRepo(c, data, o.id), 201);
  })
  .get("/repos/:owner/:repo", async (c) => {
    const repo = await ownRepo(c);
    return repo ? c.json(renderRepo(c, repo.data, (await owner(c)).id)) : notFound(c, "github");
  })
  .get("/repos/:owner/:repo/issues", async (c) => {
    const repo = await ownRepo(c);
    if (!repo) return notFound(c, "github");
    const state = c.req.query("state") ?? "open";
    const o = await owner(c);
    const issues = (await listRecords<IssueData>(database(c.env), c.get("account").id, ISSUE, repo.key))
      .map((r) => r.data)
      .filter((i) => state === "all" || i.state === state)
      .reverse();
    return c.json(paging(c)(issues.map((i) => renderIssue(c, repo.key, i, o))));
  })
  .post("/repos/:owner/:repo/issues", async (c) => {
    const repo = await ownRepo(c);
    if (!repo) return notFound(c, "github");
    const body = await readJson(c);
    if (!body) return problemsParsingJson(c);
    const title = typeof body.title === "string" ? body.title.trim() : "";
    if (!title) return githubValidation(c, "Issue", "title");
    const db = database(c.env);
    const number = await nextNumber(db, c.get("account").id, repo.key);
    const issue: IssueData = {
      number,
      title: title.slice(0, 256),
      body: typeof body.body === "string" ? body.body : null,
      state: "open",
      labels: Array.isArray(body.labels) ? body.labels.filter((l): l is string => typeof l === "string") : [],
      created_at: new Date().toISOString(),
    };
    await insertRecord(db, c.get("account").id, ISSUE, `${repo.key}#${number}`, issue, repo.key);
    return c.json(renderIssue(c, repo.key, issue, await owner(c)), 201);
  })
  .get("/repos/:owner/:repo/pulls", async (c) => {
    const repo = await ownRepo(c);
    if (!repo) return notFound(c, "github");
    const { state = "open", head, base } = c.req.query();
    const o = await owner(c);
    const pulls = (await listRecords<PullData>(database(c.env), c.get("account").id, PULL, repo.key))
      .map((r) => r.data)
      .filter((p) => state === "all" || p.state === state)
      .filter((p) => !head || `${repo.data.owner}:${p.head}` === head || p.head === head)
      .filter((p) => !base || p.base === base)
      .reverse();
    return c.json(paging(c)(pulls.map((p) => renderPull(c, repo.key, p, o))));
  })
  .post("/repos/:owner/:repo/pulls", async (c) => {
    const repo = await ownRepo(c);
    if (!repo) return notFound(c, "github");
    const body = await readJson(c);
    if (!body) return problemsParsingJson(c);
    const title = typeof body.title === "string" ? body.title.trim() : "";
    const head = typeof body.head === "string" ? body.head.replace(/^[^:]+:/, "") : "";
    const base = typeof body.base === "string" ? body.base : "";
    if (!title) return githubValidation(c, "PullRequest", "title");
    if (!head) return githubValidation(c, "PullRequest", "head");
    if (!base) return githubValidation(c, "PullRequest", "base");
    const db = database(c.env);
    const account = c.get("account");
    const headRef = await getRef(db, account.id, repo.key, `refs/heads/${head}`);
    const baseRef = await getRef(db, account.id, repo.key, `refs/heads/${base}`);
    if (!headRef) return githubValidation(c, "PullRequest", "head", "invalid");
    if (!baseRef) return githubValidation(c, "PullRequest", "base", "invalid");
    if (headRef.data.sha === baseRef.data.sha) return githubValidation(c, "PullRequest", "base", "custom", `No commits between ${base} and ${head}`);
    const existing = (await listRecords<PullData>(db, account.id, PULL, repo.key)).find((p) => p.data.head === head && p.data.base === base && p.data.state === "open");
    if (existing) return githubValidation(c, "PullRequest", "head", "custom", `A pull request already exists for ${repo.data.owner}:${head}.`);
    const number = await nextNumber(db, account.id, repo.key);
    const pull: PullData = {
      number,
      title: title.slice(0, 256),
      body: typeof body.body === "string" ? body.body : null,
      state: "open",
      head,
      head_sha: headRef.data.sha,
      base,
      created_at: new Date().toISOString(),
    };
    await insertRecord(db, account.id, PULL, `${repo.key}#${number}`, pull, repo.key);
    return c.json(renderPull(c, repo.key, pull, await owner(c)), 201);
  })
  .get("/repos/:owner/:repo/pulls/:number", async (c) => {
    const repo = await ownRepo(c);
    if (!repo) return notFound(c, "github");
    const rec = await getRecord<PullData>(database(c.env), c.get("account").id, PULL, `${repo.key}#${c.req.param("number")}`);
    return rec ? c.json(renderPull(c, repo.key, rec.data, await owner(c))) : notFound(c, "github");
  })
  .route("/repos/:owner/:repo/git", githubGit)
  .all("*", (c) => notFound(c, "github"));
