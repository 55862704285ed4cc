import { Hono } from "hono";
import { database } from "../../db/client";
import { getRecord, insertRecord, listRecords } from "../../db/sandbox";
import { SANDBOX_ORG } from "../identity";
import type { SandboxApiBindings } from "../types";
import { githubValidation, notFound } from "./failures";
import { githubGit } from "./github-git";
import { accountUser, apiBase, ownRepo, paging, problemsParsingJson, readJson, webBase, writableRepo, type GithubContext } from "./github-http";
import { getPull } from "./github-merge";
import { githubPulls, pullHtmlUrl } from "./github-pulls";
import { createRepo, ISSUE, nextNumber, REPO, seedRepo, type PullData, type RepoData } from "./github-store";

/**
 * Fake GitHub REST API under `/sandbox/github/api`: enough of it that
 * `new Octokit({ auth, baseUrl })` can read the user and repositories,
 * create issues, write commits through the Git Data API, and open and merge
 * pulls (github-pulls.ts). A read-only repository answers every write 403.
 */

interface IssueData {
  number: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  labels: string[];
  created_at: string;
}

function renderRepo(c: GithubContext, r: RepoData, user: { login: string; id: number }) {
  const full = `${r.owner}/${r.name}`;
  const owner = r.readOnly ? SANDBOX_ORG : { login: r.owner, id: user.id, type: "User" };
  return {
    id: Number.parseInt(full.length.toString() + String(user.id).slice(-6), 10),
    name: r.name,
    full_name: full,
    private: r.private,
    visibility: r.private ? "private" : "public",
    description: r.description,
    default_branch: r.default_branch,
    owner,
    html_url: `${webBase(c)}/${full}`,
    url: `${apiBase(c)}/repos/${full}`,
    created_at: r.created_at,
    updated_at: r.created_at,
    permissions: r.readOnly ? { admin: false, push: false, pull: true } : { admin: true, push: true, pull: true },
  };
}

function renderIssue(c: GithubContext, repo: string, i: IssueData, user: { login: string; id: number }) {
  return {
    ...i,
    id: i.number,
    labels: i.labels.map((name) => ({ name })),
    user,
    url: `${apiBase(c)}/repos/${repo}/issues/${i.number}`,
    html_url: `${webBase(c)}/${repo}/issues/${i.number}`,
  };
}

/** A pull request seen through the Issues API, as GitHub shows one: its issue fields plus a `pull_request` link. */
function pullAsIssue(c: GithubContext, repo: string, p: PullData, user: { login: string; id: number }) {
  const html = pullHtmlUrl(c, repo, p.number);
  return {
    id: p.number,
    number: p.number,
    title: p.title,
    body: p.body,
    state: p.state,
    labels: [],
    user,
    created_at: p.created_at,
    closed_at: p.closed_at ?? null,
    url: `${apiBase(c)}/repos/${repo}/issues/${p.number}`,
    html_url: html,
    pull_request: { url: `${apiBase(c)}/repos/${repo}/pulls/${p.number}`, html_url: html, merged_at: p.merged_at ?? null },
  };
}

export const githubApi = new Hono<SandboxApiBindings>()
  .get("/user", async (c) => {
    const a = c.get("account");
    const o = await accountUser(c);
    return c.json({ ...o, node_id: `U_${o.id}`, name: a.name, email: a.email, avatar_url: null, html_url: `${webBase(c)}/${o.login}` });
  })
  .get("/user/repos", async (c) => {
    const o = await accountUser(c);
    const repos = await listRecords<RepoData>(database(c.env), c.get("account").id, REPO);
    return c.json(paging(c)(repos.map((r) => renderRepo(c, r.data, o))));
  })
  .post("/user/repos", async (c) => {
    const body = await readJson(c);
    if (!body) return problemsParsingJson(c);
    const name = typeof body.name === "string" ? body.name.trim() : "";
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) return githubValidation(c, "Repository", "name", name ? "invalid" : "missing_field");
    const o = await accountUser(c);
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
    return c.json(renderRepo(c, data, o), 201);
  })
  .get("/repos/:owner/:repo", async (c) => {
    const repo = await ownRepo(c);
    return repo ? c.json(renderRepo(c, repo.data, await accountUser(c))) : notFound(c, "github");
  })
  .get("/repos/:owner/:repo/issues", async (c) => {
    const repo = await ownRepo(c);
    if (!repo) return notFound(c, "github");
    const state = c.req.query("state") ?? "open";
    const o = await accountUser(c);
    const issues = (await listRecords<IssueData>(database(c.env), c.get("account").id, ISSUE, repo.key))
      .map((r) => r.data)
      .filter((i) => state === "all" || i.state === state)
      .reverse();
    return c.json(paging(c)(issues.map((i) => renderIssue(c, repo.key, i, o))));
  })
  .post("/repos/:owner/:repo/issues", async (c) => {
    const repo = await writableRepo(c);
    if (repo instanceof Response) return repo;
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
    return c.json(renderIssue(c, repo.key, issue, await accountUser(c)), 201);
  })
  // Octokit `issues.get`: an issue, or a pull request's issue view (issues and pulls share one number sequence).
  .get("/repos/:owner/:repo/issues/:number{[0-9]+}", async (c) => {
    const repo = await ownRepo(c);
    if (!repo) return notFound(c, "github");
    const db = database(c.env);
    const accountId = c.get("account").id;
    const number = c.req.param("number");
    const issue = await getRecord<IssueData>(db, accountId, ISSUE, `${repo.key}#${number}`);
    if (issue) return c.json(renderIssue(c, repo.key, issue.data, await accountUser(c)));
    const pull = await getPull(db, accountId, repo.key, number);
    return pull ? c.json(pullAsIssue(c, repo.key, pull.data, await accountUser(c))) : notFound(c, "github");
  })
  .route("/repos/:owner/:repo/pulls", githubPulls)
  .route("/repos/:owner/:repo/git", githubGit)
  .all("*", (c) => notFound(c, "github"));
