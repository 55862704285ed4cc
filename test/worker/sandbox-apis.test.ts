import { Octokit } from "@octokit/rest";
import { env, SELF } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { api, apiJson, connect, fetchWithEnv, ORIGIN, uniqueSandboxEmail } from "./sandbox-helpers";

/** The fake provider APIs: seeded per account, bearer-authenticated, failing the way the real ones fail. */

type Json = Record<string, any>;
const json = async (res: Response) => (await res.json()) as Json;

function rawEmail(to: string, subject: string, body: string) {
  const text = `To: ${to}\r\nSubject: ${subject}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}`;
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

describe("Gmail and Google identity", () => {
  it("finds the seeded invoice email, reads it, and identifies the account", async () => {
    const t = await connect("google");
    const me = await json(await api("/sandbox/google/oauth2/v3/userinfo", t.access_token));
    expect(me.email).toBe(t.email);
    expect(me.sub).toMatch(/^\d{21}$/);
    const profile = await json(await api("/sandbox/google/gmail/v1/users/me/profile", t.access_token));
    expect(profile.emailAddress).toBe(t.email);

    const list = await json(await api("/sandbox/google/gmail/v1/users/me/messages?q=invoice", t.access_token));
    expect(list.resultSizeEstimate).toBeGreaterThanOrEqual(2);
    const msg = await json(await api(`/sandbox/google/gmail/v1/users/me/messages/${list.messages[0].id}`, t.access_token));
    const subject = msg.payload.headers.find((h: Json) => h.name === "Subject").value as string;
    expect(subject.toLowerCase()).toContain("invoice");
    const body = atob(msg.payload.body.data.replace(/-/g, "+").replace(/_/g, "/"));
    expect(body.toLowerCase()).toContain("invoice");

    const none = await json(await api("/sandbox/google/gmail/v1/users/me/messages?q=zebra-unicorn", t.access_token));
    expect(none).toEqual({ resultSizeEstimate: 0 });
    const narrowed = await json(await api(`/sandbox/google/gmail/v1/users/me/messages?q=${encodeURIComponent("invoice -from:cloudhost")}`, t.access_token));
    expect(narrowed.resultSizeEstimate).toBe(list.resultSizeEstimate - 1);
  });

  it("sends mail into the account's Sent, visible only to that account", async () => {
    const a = await connect("google");
    const b = await connect("google");
    const sent = await apiJson("/sandbox/google/gmail/v1/users/me/messages/send", a.access_token, "POST", { raw: rawEmail("bob@example.com", "Quarterly numbers", "See attached.") });
    expect(sent.status).toBe(200);
    expect((await json(sent)).labelIds).toEqual(["SENT"]);
    const mine = await json(await api(`/sandbox/google/gmail/v1/users/me/messages?q=${encodeURIComponent("subject:quarterly in:sent")}`, a.access_token));
    expect(mine.resultSizeEstimate).toBe(1);
    const theirs = await json(await api("/sandbox/google/gmail/v1/users/me/messages?q=quarterly", b.access_token));
    expect(theirs.resultSizeEstimate).toBe(0);
    const foreign = await api(`/sandbox/google/gmail/v1/users/me/messages/${mine.messages[0].id}`, b.access_token);
    expect(foreign.status).toBe(404);
    expect((await json(foreign)).error.status).toBe("NOT_FOUND");

    const bad = await apiJson("/sandbox/google/gmail/v1/users/me/messages/send", a.access_token, "POST", { raw: "!!!" });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.status).toBe("INVALID_ARGUMENT");
  });

  it("refuses an API the token has no scope for, as Google does (403 PERMISSION_DENIED)", async () => {
    const t = await connect("google", uniqueSandboxEmail("scope"), "openid email");
    const res = await api("/sandbox/google/gmail/v1/users/me/messages", t.access_token);
    expect(res.status).toBe(403);
    expect((await json(res)).error.status).toBe("PERMISSION_DENIED");
  });

  it("answers a bad or missing token with Google's 401", async () => {
    for (const auth of ["Bearer ya29.sbx-forged", ""]) {
      const res = await api("/sandbox/google/gmail/v1/users/me/messages", "", { headers: auth ? { authorization: auth } : { authorization: "" } });
      expect(res.status).toBe(401);
      expect((await json(res)).error.code).toBe(401);
    }
  });
});

describe("Calendar", () => {
  it("lists upcoming seeded events and creates one", async () => {
    const t = await connect("google");
    const list = await json(await api(`/sandbox/google/calendar/v3/calendars/primary/events?timeMin=${new Date().toISOString()}`, t.access_token));
    expect(list.kind).toBe("calendar#events");
    expect(list.items.length).toBe(3);
    const start = new Date(Date.now() + 86400_000).toISOString();
    const end = new Date(Date.now() + 90000_000).toISOString();
    const created = await apiJson("/sandbox/google/calendar/v3/calendars/primary/events", t.access_token, "POST", {
      summary: "Dentist",
      start: { dateTime: start },
      end: { dateTime: end },
    });
    expect(created.status).toBe(200);
    const event = await json(created);
    expect(event).toMatchObject({ kind: "calendar#event", summary: "Dentist", status: "confirmed" });
    const found = await json(await api("/sandbox/google/calendar/v3/calendars/primary/events?q=dentist", t.access_token));
    expect(found.items.map((e: Json) => e.id)).toEqual([event.id]);

    const noEnd = await apiJson("/sandbox/google/calendar/v3/calendars/primary/events", t.access_token, "POST", { summary: "x", start: { dateTime: start } });
    expect(noEnd.status).toBe(400);
    expect((await json(noEnd)).error.message).toBe("Missing end time.");
    const badTime = await api("/sandbox/google/calendar/v3/calendars/primary/events?timeMin=yesterday", t.access_token);
    expect(badTime.status).toBe(400);
  });
});

describe("Slack", () => {
  it("auth.test, conversations.list and chat.postMessage, with Slack's ok:false errors on HTTP 200", async () => {
    const t = await connect("slack");
    const who = await json(await api("/sandbox/slack/api/auth.test", t.access_token, { method: "POST" }));
    expect(who).toMatchObject({ ok: true, team_id: "T0SANDBOX" });
    expect(who.user_id).toMatch(/^U[A-Z0-9]+$/);
    const channels = await json(await api("/sandbox/slack/api/conversations.list", t.access_token));
    expect(channels.ok).toBe(true);
    expect(channels.channels.map((c: Json) => c.name)).toEqual(["general", "random", "engineering"]);

    const posted = await apiJson("/sandbox/slack/api/chat.postMessage", t.access_token, "POST", { channel: "#general", text: "Hello from TaskPilot" });
    const body = await json(posted);
    expect(posted.status).toBe(200);
    expect(body).toMatchObject({ ok: true, channel: channels.channels[0].id, message: { text: "Hello from TaskPilot" } });

    const form = await api("/sandbox/slack/api/chat.postMessage", t.access_token, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ channel: channels.channels[2].id, text: "form encoded" }),
    });
    expect((await json(form)).ok).toBe(true);

    for (const [args, error] of [[{ channel: "#nope", text: "x" }, "channel_not_found"], [{ channel: "#general", text: " " }, "no_text"]] as const) {
      const res = await apiJson("/sandbox/slack/api/chat.postMessage", t.access_token, "POST", args);
      expect(res.status).toBe(200);
      expect(await json(res)).toMatchObject({ ok: false, error });
    }
    const unknown = await json(await api("/sandbox/slack/api/files.upload", t.access_token, { method: "POST" }));
    expect(unknown).toEqual({ ok: false, error: "unknown_method" });
  });

  it("says invalid_auth, token_revoked or token_expired on HTTP 200 like Slack", async () => {
    const bad = await api("/sandbox/slack/api/auth.test", "xoxp-sbx-forged");
    expect(bad.status).toBe(200);
    expect(await json(bad)).toEqual({ ok: false, error: "invalid_auth" });
    const none = await api("/sandbox/slack/api/auth.test", "", { headers: { authorization: "" } });
    expect(await json(none)).toEqual({ ok: false, error: "not_authed" });
  });

  it("missing_scope when the token lacks chat:write", async () => {
    const t = await connect("slack", uniqueSandboxEmail("slack-scope"), "channels:read");
    const res = await apiJson("/sandbox/slack/api/chat.postMessage", t.access_token, "POST", { channel: "#general", text: "hi" });
    expect(await json(res)).toMatchObject({ ok: false, error: "missing_scope", needed: "chat:write" });
  });
});

describe("GitHub", () => {
  const gh = (path: string, token: string, method = "GET", body?: unknown) =>
    api(`/sandbox/github/api${path}`, "", {
      method,
      // Octokit's header for OAuth tokens.
      headers: { authorization: `token ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  it("user, repos, issues; another account's repository is a 404", async () => {
    const t = await connect("github", uniqueSandboxEmail("octo"));
    const user = await json(await gh("/user", t.access_token));
    expect(user.login).toMatch(/^octo-/);
    expect(typeof user.id).toBe("number");
    const repos = await json(await gh("/user/repos", t.access_token));
    expect(repos.map((r: Json) => r.full_name)).toEqual([`${user.login}/taskpilot-demo`, `${user.login}/notes`, "sandbox-org/handbook"]);
    expect(repos[0].default_branch).toBe("main");

    const issue = await gh(`/repos/${user.login}/taskpilot-demo/issues`, t.access_token, "POST", { title: "Add docs", body: "Please", labels: ["docs"] });
    expect(issue.status).toBe(201);
    expect(await json(issue)).toMatchObject({ number: 2, title: "Add docs", state: "open", labels: [{ name: "docs" }] });
    const issues = await json(await gh(`/repos/${user.login}/taskpilot-demo/issues`, t.access_token));
    expect(issues.map((i: Json) => i.number)).toEqual([2, 1]);
    const invalid = await gh(`/repos/${user.login}/taskpilot-demo/issues`, t.access_token, "POST", { body: "no title" });
    expect(invalid.status).toBe(422);
    expect((await json(invalid)).errors[0]).toMatchObject({ resource: "Issue", field: "title", code: "missing_field" });

    const other = await connect("github", uniqueSandboxEmail("intruder"));
    const peek = await gh(`/repos/${user.login}/taskpilot-demo`, other.access_token);
    expect(peek.status).toBe(404);
    expect((await json(peek)).message).toBe("Not Found");
    const write = await gh(`/repos/${user.login}/taskpilot-demo/issues`, other.access_token, "POST", { title: "x" });
    expect(write.status).toBe(404);
  });

  it("commits through the Git Data API and opens a pull request once", async () => {
    const t = await connect("github", uniqueSandboxEmail("git"));
    const { login } = await json(await gh("/user", t.access_token));
    const repo = `/repos/${login}/taskpilot-demo`;
    const main = await json(await gh(`${repo}/git/ref/heads/main`, t.access_token));
    expect(main.ref).toBe("refs/heads/main");
    const base = await json(await gh(`${repo}/git/commits/${main.object.sha}`, t.access_token));

    const blob = await json(await gh(`${repo}/git/blobs`, t.access_token, "POST", { content: "hello\n", encoding: "utf-8" }));
    // The real git blob id of "hello\n".
    expect(blob.sha).toBe("ce013625030ba8dba906f756967f9e9ca394464a");
    const tree = await gh(`${repo}/git/trees`, t.access_token, "POST", {
      base_tree: base.tree.sha,
      tree: [
        { path: "docs/hello.txt", mode: "100644", type: "blob", sha: blob.sha },
        { path: "NOTES.md", mode: "100644", type: "blob", content: "# Notes\n" },
      ],
    });
    expect(tree.status).toBe(201);
    const treeBody = await json(tree);
    expect(treeBody.tree.map((e: Json) => e.path)).toEqual(["NOTES.md", "README.md", "docs/hello.txt", "src/index.ts"]);
    const commit = await json(await gh(`${repo}/git/commits`, t.access_token, "POST", { message: "Add docs", tree: treeBody.sha, parents: [main.object.sha] }));
    expect(commit.parents).toEqual([expect.objectContaining({ sha: main.object.sha })]);

    const branch = await gh(`${repo}/git/refs`, t.access_token, "POST", { ref: "refs/heads/spec/1234abcd-docs", sha: main.object.sha });
    expect(branch.status).toBe(201);
    const dup = await gh(`${repo}/git/refs`, t.access_token, "POST", { ref: "refs/heads/spec/1234abcd-docs", sha: main.object.sha });
    expect(dup.status).toBe(422);
    expect((await json(dup)).message).toBe("Reference already exists");
    const moved = await gh(`${repo}/git/refs/heads/spec/1234abcd-docs`, t.access_token, "PATCH", { sha: commit.sha });
    expect(moved.status).toBe(200);
    expect((await json(moved)).object.sha).toBe(commit.sha);
    // Octokit expands `{ref}` with the slashes percent-encoded.
    const encoded = await json(await gh(`${repo}/git/ref/${encodeURIComponent("heads/spec/1234abcd-docs")}`, t.access_token));
    expect(encoded).toMatchObject({ ref: "refs/heads/spec/1234abcd-docs", object: { sha: commit.sha } });
    const back = await gh(`${repo}/git/refs/${encodeURIComponent("heads/spec/1234abcd-docs")}`, t.access_token, "PATCH", { sha: main.object.sha });
    expect(back.status).toBe(422);
    expect((await json(back)).message).toBe("Update is not a fast forward");

    const pr = await gh(`${repo}/pulls`, t.access_token, "POST", { title: "Docs", head: "spec/1234abcd-docs", base: "main", body: "Adds docs" });
    expect(pr.status).toBe(201);
    const prBody = await json(pr);
    expect(prBody).toMatchObject({ number: 2, state: "open", head: { ref: "spec/1234abcd-docs", sha: commit.sha }, base: { ref: "main" } });
    expect(prBody.html_url).toContain(`/pull/2`);
    const again = await gh(`${repo}/pulls`, t.access_token, "POST", { title: "Docs", head: "spec/1234abcd-docs", base: "main" });
    expect(again.status).toBe(422);
    expect((await json(again)).errors[0].message).toContain("A pull request already exists");
    const open = await json(await gh(`${repo}/pulls?head=${login}:spec/1234abcd-docs&state=open`, t.access_token));
    expect(open.map((p: Json) => p.number)).toEqual([2]);
  });

  it("malformed JSON is GitHub's 400, and a bad token GitHub's 401", async () => {
    const t = await connect("github");
    const { login } = await json(await gh("/user", t.access_token));
    const res = await api(`/sandbox/github/api/repos/${login}/notes/issues`, t.access_token, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(res.status).toBe(400);
    expect((await json(res)).message).toBe("Problems parsing JSON");
    const bad = await gh("/user", "gho_sbxforged");
    expect(bad.status).toBe(401);
    expect((await json(bad)).message).toBe("Bad credentials");
  });
});

describe("GitHub: spec → pull request → merged, through Octokit", () => {
  const kit = (token: string) =>
    new Octokit({
      auth: token,
      baseUrl: `${ORIGIN}/sandbox/github/api`,
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      request: { fetch: (url: string, init: RequestInit) => SELF.fetch(url, init) },
    });
  type Kit = ReturnType<typeof kit>;

  /** The status and body of a call expected to fail (Octokit's RequestError). */
  const failure = (call: Promise<unknown>) =>
    call.then(
      () => {
        throw new Error("expected the call to fail");
      },
      (e: { status: number; response?: { data: unknown } }) => ({ status: e.status, data: e.response?.data as Json }),
    );

  async function setup(tag: string) {
    const t = await connect("github", uniqueSandboxEmail(tag));
    const o = kit(t.access_token);
    const { login } = (await o.rest.users.getAuthenticated()).data;
    return { t, o, login, owner: login, repo: "taskpilot-demo" };
  }

  /** A branch with one commit over `from` (default: main's tip) writing these files; returns the commit sha. */
  async function branch(o: Kit, owner: string, name: string, files: Record<string, string>, from?: string) {
    const repo = "taskpilot-demo";
    const base = from ?? (await o.rest.git.getRef({ owner, repo, ref: "heads/main" })).data.object.sha;
    const baseTree = (await o.rest.git.getCommit({ owner, repo, commit_sha: base })).data.tree.sha;
    const tree = await o.rest.git.createTree({
      owner,
      repo,
      base_tree: baseTree,
      tree: Object.entries(files).map(([path, content]) => ({ path, mode: "100644" as const, type: "blob" as const, content })),
    });
    const commit = await o.rest.git.createCommit({ owner, repo, message: `Write ${Object.keys(files).join(", ")}`, tree: tree.data.sha, parents: [base] });
    await o.rest.git.createRef({ owner, repo, ref: `refs/heads/${name}`, sha: commit.data.sha });
    return commit.data.sha;
  }

  const mainSha = async (o: Kit, owner: string) => (await o.rest.git.getRef({ owner, repo: "taskpilot-demo", ref: "heads/main" })).data.object.sha;
  const filesAt = async (o: Kit, owner: string, sha: string) => {
    const tree = (await o.rest.git.getCommit({ owner, repo: "taskpilot-demo", commit_sha: sha })).data.tree.sha;
    return (await o.rest.git.getTree({ owner, repo: "taskpilot-demo", tree_sha: tree })).data.tree.map((e) => e.path);
  };

  it("a read-only organisation repository: pull permission only, readable, and every write is GitHub's 403", async () => {
    const { t, o, login } = await setup("readonly");
    const repos = (await o.rest.repos.listForAuthenticatedUser()).data;
    const handbook = repos.find((r) => r.full_name === "sandbox-org/handbook")!;
    expect(handbook).toMatchObject({ owner: { login: "sandbox-org", type: "Organization" }, permissions: { admin: false, push: false, pull: true } });
    expect(repos.find((r) => r.full_name === `${login}/taskpilot-demo`)!.permissions).toEqual({ admin: true, push: true, pull: true });

    const main = (await o.rest.git.getRef({ owner: "sandbox-org", repo: "handbook", ref: "heads/main" })).data.object.sha;
    const commit = (await o.rest.git.getCommit({ owner: "sandbox-org", repo: "handbook", commit_sha: main })).data;
    expect(commit.parents).toEqual([]);
    expect((await o.rest.repos.get({ owner: "sandbox-org", repo: "handbook" })).data.permissions).toMatchObject({ push: false });

    const writes: Array<[string, string, unknown]> = [
      ["POST", "git/blobs", { content: "x", encoding: "utf-8" }],
      ["POST", "git/trees", { tree: [{ path: "x.md", mode: "100644", type: "blob", content: "x" }] }],
      ["POST", "git/commits", { message: "x", tree: commit.tree.sha, parents: [main] }],
      ["POST", "git/refs", { ref: "refs/heads/x", sha: main }],
      ["PATCH", "git/refs/heads/main", { sha: main, force: true }],
      ["POST", "pulls", { title: "x", head: "main", base: "main" }],
      ["POST", "issues", { title: "x" }],
    ];
    for (const [method, path, body] of writes) {
      const res = await apiJson(`/sandbox/github/api/repos/sandbox-org/handbook/${path}`, t.access_token, method, body);
      expect([method, path, res.status]).toEqual([method, path, 403]);
      expect(await json(res)).toMatchObject({ message: "Resource not accessible by integration", documentation_url: expect.stringContaining("docs.github.com") });
    }
    expect((await o.rest.git.getRef({ owner: "sandbox-org", repo: "handbook", ref: "heads/main" })).data.object.sha).toBe(main);
  });

  it("issues.get: an issue, a pull request's issue view with pull_request links, else 404", async () => {
    const { o, owner, repo } = await setup("issues-get");
    const issue = (await o.rest.issues.get({ owner, repo, issue_number: 1 })).data;
    expect(issue).toMatchObject({ number: 1, title: "Add a greeting endpoint", state: "open" });
    expect(issue).not.toHaveProperty("pull_request");

    await branch(o, owner, "spec/issue-view", { "docs/a.md": "a\n" });
    const pr = (await o.rest.pulls.create({ owner, repo, title: "Docs", head: "spec/issue-view", base: "main" })).data;
    const view = (await o.rest.issues.get({ owner, repo, issue_number: pr.number })).data;
    expect(view).toMatchObject({ number: pr.number, title: "Docs", state: "open", html_url: pr.html_url });
    expect(view.pull_request).toEqual({ url: pr.url, html_url: pr.html_url, merged_at: null });

    expect((await failure(o.rest.issues.get({ owner, repo, issue_number: 99 }))).status).toBe(404);
    expect((await failure(o.rest.issues.get({ owner: "someone-else", repo, issue_number: 1 }))).status).toBe(404);
  });

  it("pulls.create: GitHub's 422 for a duplicate and for no commits between; pulls.list filters by head and state", async () => {
    const { o, owner, repo, login } = await setup("pr-rules");
    const head = await branch(o, owner, "spec/a", { "docs/a.md": "a\n" });
    const pr = (await o.rest.pulls.create({ owner, repo, title: "A", head: `${login}:spec/a`, base: "main" })).data;
    expect(pr).toMatchObject({ state: "open", merged: false, merged_at: null, head: { ref: "spec/a", sha: head, repo: { full_name: `${login}/${repo}` } } });
    expect(pr.base).toMatchObject({ ref: "main", sha: await mainSha(o, owner), repo: { full_name: `${login}/${repo}` } });

    const dup = await failure(o.rest.pulls.create({ owner, repo, title: "A again", head: "spec/a", base: "main" }));
    expect(dup).toEqual({
      status: 422,
      data: {
        message: "Validation Failed",
        errors: [{ resource: "PullRequest", code: "custom", message: `A pull request already exists for ${login}:spec/a.` }],
        documentation_url: expect.stringContaining("docs.github.com"),
        status: "422",
      },
    });
    await o.rest.git.createRef({ owner, repo, ref: "refs/heads/spec/empty", sha: await mainSha(o, owner) });
    const empty = await failure(o.rest.pulls.create({ owner, repo, title: "Nothing", head: "spec/empty", base: "main" }));
    expect(empty.status).toBe(422);
    expect(empty.data).toMatchObject({ message: "Validation Failed", errors: [{ resource: "PullRequest", code: "custom", message: "No commits between main and spec/empty" }] });

    const byHead = async (head: string, state: "open" | "closed" | "all" = "open") => (await o.rest.pulls.list({ owner, repo, head, state })).data.map((p) => p.number);
    expect(await byHead(`${login}:spec/a`)).toEqual([pr.number]);
    expect(await byHead(`${login}:spec/other`)).toEqual([]);
    expect(await byHead(`${login}:spec/a`, "closed")).toEqual([]);
  });

  it("pulls.merge: a merge commit of [base, head] with the head's tree moves main; the pull reads merged; a second merge is 405", async () => {
    const { o, owner, repo, login } = await setup("merge");
    const before = await mainSha(o, owner);
    const head = await branch(o, owner, "spec/merge", { "docs/merge.md": "merge\n" });
    const pr = (await o.rest.pulls.create({ owner, repo, title: "Merge me", head: "spec/merge", base: "main", body: "Spec 1" })).data;

    const merged = (await o.rest.pulls.merge({ owner, repo, pull_number: pr.number })).data;
    expect(merged).toEqual({ sha: expect.stringMatching(/^[0-9a-f]{40}$/), merged: true, message: "Pull Request successfully merged" });
    expect(await mainSha(o, owner)).toBe(merged.sha);
    const commit = (await o.rest.git.getCommit({ owner, repo, commit_sha: merged.sha })).data;
    expect(commit.parents.map((p) => p.sha)).toEqual([before, head]);
    expect(commit.tree.sha).toBe((await o.rest.git.getCommit({ owner, repo, commit_sha: head })).data.tree.sha);
    expect(commit.message).toBe(`Merge pull request #${pr.number} from ${login}/spec/merge\n\nMerge me`);

    const after = (await o.rest.pulls.get({ owner, repo, pull_number: pr.number })).data;
    expect(after).toMatchObject({ state: "closed", merged: true, merge_commit_sha: merged.sha, head: { sha: head }, base: { sha: before } });
    expect(after.merged_at).toEqual(after.closed_at);
    expect(new Date(after.merged_at!).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect((await o.rest.issues.get({ owner, repo, issue_number: pr.number })).data.pull_request?.merged_at).toBe(after.merged_at);
    expect((await o.rest.pulls.list({ owner, repo, state: "closed" })).data.map((p) => p.number)).toEqual([pr.number]);

    expect(await failure(o.rest.pulls.merge({ owner, repo, pull_number: pr.number }))).toMatchObject({ status: 405, data: { message: "Pull Request is not mergeable" } });
    expect(await mainSha(o, owner)).toBe(merged.sha);
    // The merged branch is in main's history now: nothing left to pull.
    const again = await failure(o.rest.pulls.create({ owner, repo, title: "Again", head: "spec/merge", base: "main" }));
    expect(again.data.errors[0].message).toBe("No commits between main and spec/merge");
    expect((await failure(o.rest.pulls.merge({ owner, repo, pull_number: 99 }))).status).toBe(404);
  });

  it("pulls.merge after main moved: a three-way merge keeps both sides; both changing one file is not mergeable", async () => {
    const { o, owner, repo } = await setup("threeway");
    const start = await mainSha(o, owner);
    await branch(o, owner, "spec/b", { "docs/b.md": "b\n" }, start);
    await branch(o, owner, "spec/c", { "docs/c.md": "c\n" }, start);
    await branch(o, owner, "spec/readme-1", { "README.md": "# one\n" }, start);
    await branch(o, owner, "spec/readme-2", { "README.md": "# two\n" }, start);
    const open = async (head: string) => (await o.rest.pulls.create({ owner, repo, title: head, head, base: "main" })).data.number;
    const [b, c, r1, r2] = [await open("spec/b"), await open("spec/c"), await open("spec/readme-1"), await open("spec/readme-2")];

    await o.rest.pulls.merge({ owner, repo, pull_number: b });
    const second = (await o.rest.pulls.merge({ owner, repo, pull_number: c })).data;
    expect(await filesAt(o, owner, second.sha)).toEqual(["README.md", "docs/b.md", "docs/c.md", "src/index.ts"]);
    await o.rest.pulls.merge({ owner, repo, pull_number: r1 });
    const tip = await mainSha(o, owner);
    expect(await failure(o.rest.pulls.merge({ owner, repo, pull_number: r2 }))).toMatchObject({ status: 405, data: { message: "Pull Request is not mergeable" } });
    expect(await mainSha(o, owner)).toBe(tip);
    expect((await o.rest.pulls.get({ owner, repo, pull_number: r2 })).data).toMatchObject({ state: "open", merged: false });
  });

  it("pulls.update closes without merging and reopens; merge options: squash, an expected sha, merge_method; one winner of two merges", async () => {
    const { t, o, owner, repo, login } = await setup("update");
    const start = await mainSha(o, owner);
    const head = await branch(o, owner, "spec/u", { "docs/u.md": "u\n" });
    const pr = (await o.rest.pulls.create({ owner, repo, title: "U", head: "spec/u", base: "main" })).data;
    const update = (changes: Record<string, unknown>) => o.rest.pulls.update({ owner, repo, pull_number: pr.number, ...changes });

    expect((await update({ state: "closed" })).data).toMatchObject({ state: "closed", merged: false, merged_at: null, head: { sha: head }, base: { sha: start } });
    expect((await update({ state: "closed", title: "U, renamed", body: null })).data).toMatchObject({ state: "closed", title: "U, renamed", body: null });
    expect(await mainSha(o, owner)).toBe(start);
    expect((await failure(update({ state: "merged" }))).data.errors[0]).toMatchObject({ field: "state", code: "invalid" });
    expect((await update({ state: "open" })).data).toMatchObject({ state: "open", closed_at: null, title: "U, renamed" });
    await update({ state: "closed" });
    const twin = (await o.rest.pulls.create({ owner, repo, title: "U twin", head: "spec/u", base: "main" })).data;
    expect((await failure(update({ state: "open" }))).data.errors[0].message).toBe(`A pull request already exists for ${login}:spec/u.`);

    const merge = (options: Record<string, unknown>) => o.rest.pulls.merge({ owner, repo, pull_number: twin.number, ...options });
    expect(await failure(merge({ sha: start }))).toMatchObject({ status: 409, data: { message: "Head branch was modified. Review and try the merge again." } });
    expect((await failure(merge({ merge_method: "rebase" }))).data.errors[0]).toMatchObject({ field: "merge_method", code: "invalid" });
    const squashed = (await merge({ merge_method: "squash", sha: head })).data;
    const commit = (await o.rest.git.getCommit({ owner, repo, commit_sha: squashed.sha })).data;
    expect([commit.parents.map((p) => p.sha), commit.message]).toEqual([[start], `U twin (#${twin.number})`]);
    expect((await failure(o.rest.pulls.update({ owner, repo, pull_number: twin.number, state: "open" }))).data.errors[0].message).toContain("already been merged");
    const badJson = await api(`/sandbox/github/api/repos/${owner}/${repo}/pulls/${pr.number}/merge`, "", { method: "PUT", headers: { authorization: `token ${t.access_token}`, "content-type": "application/json" }, body: "{" });
    expect(badJson.status).toBe(400);

    // A double-clicked merge: both calls race, exactly one merges and main moves once.
    await branch(o, owner, "spec/race", { "docs/race.md": "race\n" });
    const race = (await o.rest.pulls.create({ owner, repo, title: "Race", head: "spec/race", base: "main" })).data;
    const tip = await mainSha(o, owner);
    const outcomes = await Promise.all([1, 2].map(() => o.rest.pulls.merge({ owner, repo, pull_number: race.number }).then((r) => r.status, (e: { status: number }) => e.status)));
    expect(outcomes.sort()).toEqual([200, 405]);
    const final = (await o.rest.git.getCommit({ owner, repo, commit_sha: await mainSha(o, owner) })).data;
    expect(final.parents[0]!.sha).toBe(tip);
  });
});

describe("GitHub: the pull request page", () => {
  const gh = (path: string, token: string, method = "GET", body?: unknown) => apiJson(`/sandbox/github/api${path}`, token, method, body);

  async function openPull(email = uniqueSandboxEmail("page"), title = "Docs", body = "Adds docs") {
    const t = await connect("github", email);
    const { login } = await json(await gh("/user", t.access_token));
    const repo = `/repos/${login}/taskpilot-demo`;
    const main = (await json(await gh(`${repo}/git/ref/heads/main`, t.access_token))).object.sha as string;
    const baseTree = (await json(await gh(`${repo}/git/commits/${main}`, t.access_token))).tree.sha as string;
    const tree = await json(await gh(`${repo}/git/trees`, t.access_token, "POST", { base_tree: baseTree, tree: [{ path: "docs/page.md", content: "page\n" }, { path: "README.md", content: "# changed\n" }] }));
    const commit = await json(await gh(`${repo}/git/commits`, t.access_token, "POST", { message: "Docs", tree: tree.sha, parents: [main] }));
    await gh(`${repo}/git/refs`, t.access_token, "POST", { ref: "refs/heads/spec/page", sha: commit.sha });
    const pr = await json(await gh(`${repo}/pulls`, t.access_token, "POST", { title, head: "spec/page", base: "main", body }));
    const path = new URL(pr.html_url as string).pathname;
    return { t, login, repo, main, head: commit.sha as string, pr, path };
  }

  const page = (path: string, headers: Record<string, string> = {}) => SELF.fetch(`${ORIGIN}${path}`, { headers });
  const press = (path: string, action: "merge" | "close", headers: Record<string, string> = { origin: ORIGIN }, form: Record<string, string> = {}) =>
    SELF.fetch(`${ORIGIN}${path}/${action}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(form),
      redirect: "manual",
    });
  const deliveriesFor = async (htmlUrl: string) =>
    (
      await env.DB.prepare("SELECT delivery_id, event_type, action, payload, status, outcome FROM webhook_deliveries WHERE provider = 'github' AND instr(payload, ?) > 0")
        .bind(`"html_url":${JSON.stringify(htmlUrl)}`)
        .all<{ delivery_id: string; event_type: string; action: string; payload: string; status: string; outcome: string | null }>()
    ).results;

  it("renders the pull escaped; Merge from the page merges and sends TaskPilot a signed pull_request delivery", { timeout: 30_000 }, async () => {
    const { t, login, repo, main, head, pr, path } = await openPull(uniqueSandboxEmail("page"), `<script>alert("x")</script> & more`, "line 1\n<b>bold</b>");
    expect(path).toBe(`/sandbox/github/web/${login}/taskpilot-demo/pull/${pr.number}`);
    const res = await page(path);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("form-action 'self'");
    const html = await res.text();
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more");
    expect(html).toContain("<pre>line 1\n&lt;b&gt;bold&lt;/b&gt;</pre>");
    expect(html).toContain(`<span class="state open">Open</span>`);
    expect(html).toContain(`<code>${login}:spec/page</code> → <code>main</code>`);
    expect(html).toContain("<li><code>README.md</code></li><li><code>docs/page.md</code></li>");
    expect(html).toContain(`<form method="post" action="${path}/merge"><input type="hidden" name="sha" value="${head}">`);
    expect(html).toContain("Close pull request");

    // A POST without an Origin, or from another site, merges nothing.
    for (const headers of [{}, { origin: "https://evil.test" }] as Array<Record<string, string>>) {
      const refused = await press(path, "merge", headers, { sha: head });
      expect(refused.status).toBe(403);
      expect(await refused.text()).toContain("Request refused");
    }
    expect(await json(await gh(`${repo}/pulls/${pr.number}`, t.access_token))).toMatchObject({ state: "open", merged: false });

    const merged = await press(path, "merge", { origin: ORIGIN }, { sha: head });
    expect(merged.status).toBe(303);
    expect(merged.headers.get("location")).toBe(path);
    const after = await json(await gh(`${repo}/pulls/${pr.number}`, t.access_token));
    expect(after).toMatchObject({ state: "closed", merged: true });
    const mainNow = (await json(await gh(`${repo}/git/ref/heads/main`, t.access_token))).object.sha;
    expect((await json(await gh(`${repo}/git/commits/${mainNow}`, t.access_token))).parents.map((p: Json) => p.sha)).toEqual([main, head]);

    const [row, ...more] = await deliveriesFor(pr.html_url);
    expect(more).toEqual([]);
    expect(row).toMatchObject({ event_type: "pull_request", action: "closed" });
    expect(JSON.parse(row!.payload)).toEqual({
      action: "closed",
      number: pr.number,
      pull_request: {
        number: pr.number,
        state: "closed",
        merged: true,
        merged_at: after.merged_at,
        html_url: pr.html_url,
        title: pr.title,
        head: { ref: "spec/page", sha: head },
        base: { ref: "main", sha: main },
      },
      repository: { full_name: `${login}/taskpilot-demo`, name: "taskpilot-demo", owner: { login } },
      sender: { login, id: (await json(await gh("/user", t.access_token))).id },
    });
    // The receiver verified the signature (it stored the delivery) and its consumer read the pull as merged.
    const settled = await vi.waitFor(
      async () => {
        const [r] = await deliveriesFor(pr.html_url);
        if (r?.status !== "processed") throw new Error(`not processed yet: ${r?.status}`);
        return r;
      },
      { timeout: 20_000, interval: 50 },
    );
    expect(settled.outcome).toContain(`#${pr.number} merged`);

    const shown = await (await page(path)).text();
    expect(shown).toContain(`<span class="state merged">Merged</span>`);
    expect(shown).toContain(`was answered <strong>200</strong>. Delivery <code>${row!.delivery_id}</code>`);
    expect(shown).not.toContain("Merge pull request");
    expect(shown).not.toContain("test-github-webhook-secret");

    const twice = await press(path, "merge");
    expect(twice.status).toBe(409);
    expect(await twice.text()).toContain("Pull Request is not mergeable");
    expect(await deliveriesFor(pr.html_url)).toHaveLength(1);
  });

  it("Close closes without merging; a head pushed since the page was shown is not merged; without GITHUB_WEBHOOK_SECRET TaskPilot is not told", async () => {
    const { t, repo, main, head, pr, path } = await openPull();
    const stale = await press(path, "merge", { origin: ORIGIN }, { sha: main });
    expect(stale.status).toBe(409);
    expect(await stale.text()).toContain("Head branch was modified. Review and try the merge again.");

    const closed = await fetchWithEnv(`${ORIGIN}${path}/close`, { GITHUB_WEBHOOK_SECRET: "" }, { method: "POST", headers: { origin: ORIGIN }, redirect: "manual" });
    expect([closed.status, closed.headers.get("location")]).toEqual([303, path]);
    expect(await json(await gh(`${repo}/pulls/${pr.number}`, t.access_token))).toMatchObject({ state: "closed", merged: false, head: { sha: head }, base: { sha: main } });
    expect((await json(await gh(`${repo}/git/ref/heads/main`, t.access_token))).object.sha).toBe(main);
    const shown = await (await page(path)).text();
    expect(shown).toContain(`<span class="state closed">Closed</span>`);
    expect(shown).toContain("No GITHUB_WEBHOOK_SECRET is set, so TaskPilot was not told.");
    expect(shown).not.toContain("Close pull request");
    expect(await deliveriesFor(pr.html_url)).toEqual([]);

    const again = await press(path, "close");
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("This pull request is not open.");
    expect((await press(path.replace(/\d+$/, "99"), "merge")).status).toBe(404);
    expect((await page(path.replace(/\d+$/, "99"))).status).toBe(404);
    // Other web paths keep the "no web view" page.
    const other = await page(path.replace(/pull\/\d+$/, "issues/1"));
    expect([other.status, await other.text()]).toEqual([200, expect.stringContaining("it has no web view")]);
  });

  it("two accounts sharing a login: the page shows the one this browser signed in as, else the newest pull", async () => {
    const local = `twin-${crypto.randomUUID().slice(0, 8)}`;
    const a = await openPull(`${local}@a.test`, "From A");
    const b = await openPull(`${local}@b.test`, "From B");
    expect(a.path).toBe(b.path);
    expect(await (await page(a.path)).text()).toContain("<h1>From B ");
    expect(await (await page(a.path, { cookie: `sandbox_account=${encodeURIComponent(`${local}@a.test`)}` })).text()).toContain("<h1>From A ");
  });
});

describe("simulated failures", () => {
  it("429 with Retry-After on request, in each provider's shape", async () => {
    const g = await connect("google");
    const res = await api("/sandbox/google/gmail/v1/users/me/messages", g.access_token, { headers: { "x-sandbox-simulate": "rate_limit", "x-sandbox-retry-after": "7" } });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect((await json(res)).error.status).toBe("RESOURCE_EXHAUSTED");
    const s = await api("/sandbox/slack/api/auth.test?sandbox_simulate=rate_limit", "");
    expect(s.status).toBe(429);
    expect(s.headers.get("retry-after")).toBe("2");
    expect(await json(s)).toEqual({ ok: false, error: "ratelimited" });
    const gh = await api("/sandbox/github/api/user", "", { headers: { "x-sandbox-simulate": "rate_limit" } });
    expect(gh.status).toBe(429);
    expect(gh.headers.get("x-ratelimit-remaining")).toBe("0");
  });

  it("scheduled per account: the next N calls fail as asked, then the API recovers", async () => {
    const t = await connect("github");
    const scheduled = await apiJson("/sandbox/github/simulate", t.access_token, "POST", { failure: "rate_limit", times: 2, retryAfter: 1 });
    expect(scheduled.status).toBe(202);
    for (let i = 0; i < 2; i++) {
      const res = await api("/sandbox/github/api/user", t.access_token);
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("1");
    }
    expect((await api("/sandbox/github/api/user", t.access_token)).status).toBe(200);

    await apiJson("/sandbox/github/simulate", t.access_token, "POST", { failure: "unauthorized" });
    expect((await api("/sandbox/github/api/user", t.access_token)).status).toBe(401);
    expect((await api("/sandbox/github/api/user", t.access_token)).status).toBe(200);

    const bad = await apiJson("/sandbox/github/simulate", t.access_token, "POST", { failure: "explode" });
    expect(bad.status).toBe(400);
    expect((await json(bad)).code).toBe("invalid_request");
  });
});
