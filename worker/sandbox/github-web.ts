import { Hono, type Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { getCookie } from "hono/cookie";
import { database } from "../db/client";
import { findRecordsByKey, getRecord, getSandboxAccount, putRecord, type SandboxAccount, type SandboxRecord } from "../db/sandbox";
import type { AppBindings } from "../http/types";
import { changedFiles, closePull, getPull, mergePull, pullKey, pullShas } from "./api/github-merge";
import { PULL, REPO, type PullData, type RepoData } from "./api/github-store";
import { hmacSha256Hex } from "./crypto";
import { pullPage, type DeliveryNote } from "./github-web-page";
import { githubLogin, githubUserId } from "./identity";
import { errorPage } from "./oauth/consent-page";

/**
 * The sandbox GitHub's pull request page, at a pull's `html_url`
 * (`/sandbox/github/web/{owner}/{repo}/pull/{n}`), with Merge and Close
 * buttons. A browser reaches it without a token, so the owner login in the
 * path names the account. Merging or closing tells TaskPilot as GitHub would:
 * a signed `pull_request` delivery to its own `POST /webhooks/github`, made
 * in process through the worker's app, whose answer the page then shows.
 */

type WebContext = Context<AppBindings>;
interface Found {
  account: SandboxAccount;
  repo: SandboxRecord<RepoData>;
  pull: SandboxRecord<PullData>;
}

/** The last delivery a Merge or Close of a pull made, keyed like the pull. */
const DELIVERY = "github.web_delivery";
/** Set by the consent page: the sandbox account this browser last signed in as. */
const ACCOUNT_COOKIE = "sandbox_account";

const pagePath = (repo: string, number: number) => `/sandbox/github/web/${repo}/pull/${number}`;

function html(c: WebContext, status: ContentfulStatusCode, body: string): Response {
  c.header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  c.header("cache-control", "no-store");
  return c.html(body, status);
}

const notFoundPage = (c: WebContext) => html(c, 404, errorPage("github", "Pull request not found", "The sandbox has no such pull request."));

/**
 * Logins derive from emails, so two accounts can share one (`sam@a.test`,
 * `sam@b.test`): of those holding this repository and pull, the one this
 * browser last signed in as, else the one whose pull is newest.
 */
async function findPull(c: WebContext): Promise<Found | undefined> {
  const owner = c.req.param("owner") ?? "";
  const repoKey = `${owner}/${c.req.param("repo") ?? ""}`;
  const db = database(c.env);
  const found: Found[] = [];
  for (const pull of await findRecordsByKey<PullData>(db, PULL, pullKey(repoKey, c.req.param("number") ?? ""))) {
    const account = await getSandboxAccount(db, pull.accountId);
    const repo = account && githubLogin(account) === owner ? await getRecord<RepoData>(db, account.id, REPO, repoKey) : undefined;
    if (account && repo) found.push({ account, repo, pull });
  }
  const signedIn = getCookie(c, ACCOUNT_COOKIE)?.toLowerCase();
  return found.find((f) => f.account.email === signedIn) ?? found.at(-1);
}

async function show(c: WebContext, f: Found, status: ContentfulStatusCode = 200, error?: string): Promise<Response> {
  const db = database(c.env);
  const shas = await pullShas(db, f.account.id, f.repo.key, f.pull.data);
  const files = await changedFiles(db, f.account.id, f.repo.key, shas);
  const note = await getRecord<DeliveryNote>(db, f.account.id, DELIVERY, f.pull.key);
  return html(c, status, pullPage({ repo: f.repo.key, pull: f.pull.data, shas, files, path: pagePath(f.repo.key, f.pull.data.number), note: note?.data, error }));
}

/** GitHub's `pull_request` "closed" event for a pull just merged or closed (its head and base frozen by then). */
async function pullRequestEvent(origin: string, account: SandboxAccount, repo: SandboxRecord<RepoData>, p: PullData) {
  return {
    action: "closed",
    number: p.number,
    pull_request: {
      number: p.number,
      state: "closed",
      merged: p.merged === true,
      merged_at: p.merged_at ?? null,
      html_url: `${origin}${pagePath(repo.key, p.number)}`,
      title: p.title,
      head: { ref: p.head, sha: p.head_sha },
      base: { ref: p.base, sha: p.base_sha },
    },
    repository: { full_name: repo.key, name: repo.data.name, owner: { login: repo.data.owner } },
    sender: { login: githubLogin(account), id: await githubUserId(account) },
  };
}

/** Sends the signed delivery to TaskPilot's own receiver, in process (no network), and notes its answer. */
async function tellTaskPilot(c: WebContext, f: Found, p: PullData): Promise<DeliveryNote> {
  const note: DeliveryNote = { at: new Date().toISOString(), action: p.merged ? "merged" : "closed" };
  const secret = c.get("config").webhookSecrets.github;
  if (!secret) return { ...note, skipped: "no_secret" };
  const origin = new URL(c.req.url).origin;
  const body = new TextEncoder().encode(JSON.stringify(await pullRequestEvent(origin, f.account, f.repo, p)));
  const delivery = crypto.randomUUID();
  const request = new Request(`${origin}/webhooks/github`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "pull_request",
      "x-github-delivery": delivery,
      "x-hub-signature-256": `sha256=${await hmacSha256Hex(secret, body)}`,
    },
    body,
  });
  const { app } = await import("../index");
  const res = await app.fetch(request, c.env, c.executionCtx);
  await res.body?.cancel();
  return { ...note, status: res.status, delivery };
}

const PULL_PATH = "/:owner/:repo/pull/:number{[0-9]+}";

export const githubWeb = new Hono<AppBindings>()
  .get(PULL_PATH, async (c) => {
    const found = await findPull(c);
    return found ? show(c, found) : notFoundPage(c);
  })
  .post(`${PULL_PATH}/:action{merge|close}`, async (c) => {
    // No token here, so a form on another site must not be able to press these buttons.
    if (c.req.header("origin") !== new URL(c.req.url).origin) {
      return html(c, 403, errorPage("github", "Request refused", "Pull requests are merged or closed from their own page in the sandbox; this request came from elsewhere."));
    }
    const found = await findPull(c);
    if (!found) return notFoundPage(c);
    const { account, repo, pull } = found;
    const db = database(c.env);
    let refusal: string | undefined;
    if (c.req.param("action") === "merge") {
      const form = await c.req.parseBody();
      // The head the page showed: a branch pushed since is not merged unseen.
      const result = await mergePull(db, account, repo, pull.data, { sha: typeof form.sha === "string" && form.sha ? form.sha : undefined });
      if (!result.ok) refusal = result.message;
    } else if (!(await closePull(db, account.id, repo.key, pull.data))) {
      refusal = "This pull request is not open.";
    }
    const now = (await getPull(db, account.id, repo.key, pull.data.number))!;
    if (refusal) return show(c, { ...found, pull: now }, 409, refusal);
    await putRecord(db, account.id, DELIVERY, now.key, await tellTaskPilot(c, found, now.data), repo.key);
    return c.redirect(pagePath(repo.key, now.data.number), 303);
  });
