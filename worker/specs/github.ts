import { database } from "../db/client";
import { findIntegration } from "../db/integrations";
import type { Env } from "../env";
import { AppError } from "../errors";
import { githubClient, type GitHub } from "../tools/clients/github";
import { defaultRuntime, type ToolRuntime } from "../tools/http";
import { liveToolContext } from "../tools/live";

/** The user's GitHub, through the integration's tokens and the tools' one request policy (timeouts, retries, refresh on 401). */

export const GITHUB_NOT_CONNECTED = "GitHub not connected. Please connect GitHub first.";
export const PROJECT_REPO_MISSING = "Project has no GitHub repository configured.";

export async function githubIsActive(env: Env, userId: string): Promise<boolean> {
  return (await findIntegration(database(env), userId, "github"))?.status === "active";
}

/** The user's GitHub client, for a caller that has already checked the integration is active. */
export function githubClientFor(env: Env, userId: string, runtime: ToolRuntime = defaultRuntime()): GitHub {
  return githubClient(liveToolContext(env, userId, runtime).connection("github"));
}

export async function githubFor(env: Env, userId: string, runtime: ToolRuntime = defaultRuntime()): Promise<GitHub> {
  if (!(await githubIsActive(env, userId))) throw new AppError(400, "github_not_connected", GITHUB_NOT_CONNECTED);
  return githubClientFor(env, userId, runtime);
}
