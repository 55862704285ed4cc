import type { Context } from "hono";
import { database } from "../../db/client";
import { getRecord, type SandboxRecord } from "../../db/sandbox";
import type { SandboxApiBindings } from "../types";
import type { RepoData } from "./github-store";
import { REPO } from "./github-store";

/** Request helpers shared by the fake GitHub REST and Git Data routes. */

export type GithubContext = Context<SandboxApiBindings>;

export function apiBase(c: GithubContext): string {
  return `${new URL(c.req.url).origin}/sandbox/github/api`;
}

export async function readJson(c: GithubContext): Promise<Record<string, unknown> | undefined> {
  const body = await c.req.json<unknown>().catch(() => undefined);
  return body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
}

export const problemsParsingJson = (c: GithubContext) =>
  c.json({ message: "Problems parsing JSON", documentation_url: "https://docs.github.com/rest", status: "400" }, 400);

/** The repository named in the path, if this account owns it; otherwise GitHub's 404 (never a hint that it exists elsewhere). */
export async function ownRepo(c: GithubContext): Promise<SandboxRecord<RepoData> | undefined> {
  return getRecord<RepoData>(database(c.env), c.get("account").id, REPO, `${c.req.param("owner")}/${c.req.param("repo")}`);
}

