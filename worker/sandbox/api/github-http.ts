import type { Context } from "hono";
import { database } from "../../db/client";
import { getRecord, type SandboxRecord } from "../../db/sandbox";
import { githubLogin, githubUserId } from "../identity";
import type { SandboxApiBindings } from "../types";
import { githubForbidden, notFound } from "./failures";
import type { RepoData } from "./github-store";
import { REPO } from "./github-store";

/** Request helpers shared by the fake GitHub REST and Git Data routes. */

export type GithubContext = Context<SandboxApiBindings>;

export function apiBase(c: GithubContext): string {
  return `${new URL(c.req.url).origin}/sandbox/github/api`;
}

/** Where the sandbox's web pages live (`html_url` links). */
export function webBase(c: GithubContext): string {
  return `${new URL(c.req.url).origin}/sandbox/github/web`;
}

/** The token's account as a GitHub user (`user`, `owner`, `sender` fields). */
export async function accountUser(c: GithubContext) {
  const a = c.get("account");
  return { login: githubLogin(a), id: await githubUserId(a), type: "User" };
}

export async function readJson(c: GithubContext): Promise<Record<string, unknown> | undefined> {
  const body = await c.req.json<unknown>().catch(() => undefined);
  return body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
}

/** A body that may be empty (Octokit sends none for a bare `pulls.merge`): `{}` then; undefined when it is not a JSON object. */
export async function readOptionalJson(c: GithubContext): Promise<Record<string, unknown> | undefined> {
  const text = await c.req.text();
  if (!text.trim()) return {};
  try {
    const body: unknown = JSON.parse(text);
    return body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export const problemsParsingJson = (c: GithubContext) =>
  c.json({ message: "Problems parsing JSON", documentation_url: "https://docs.github.com/rest", status: "400" }, 400);

/** The repository named in the path, if this account owns it; otherwise GitHub's 404 (never a hint that it exists elsewhere). */
export async function ownRepo(c: GithubContext): Promise<SandboxRecord<RepoData> | undefined> {
  return getRecord<RepoData>(database(c.env), c.get("account").id, REPO, `${c.req.param("owner")}/${c.req.param("repo")}`);
}

/** The repository named in the path if the account may write to it; otherwise the answer to give (404, or 403 for a read-only one). */
export async function writableRepo(c: GithubContext): Promise<SandboxRecord<RepoData> | Response> {
  const repo = await ownRepo(c);
  if (!repo) return notFound(c, "github");
  return repo.data.readOnly ? githubForbidden(c) : repo;
}

/** `per_page` (1–100, default 30) and `page` of a list answer. */
export const paging = (c: GithubContext) => {
  const perPage = Math.min(Math.max(Number(c.req.query("per_page") ?? 30) || 30, 1), 100);
  const page = Math.max(Number(c.req.query("page") ?? 1) || 1, 1);
  return <T>(items: T[]) => items.slice((page - 1) * perPage, page * perPage);
};
