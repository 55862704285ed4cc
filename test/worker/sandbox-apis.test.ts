import { describe, expect, it } from "vitest";
import { api, apiJson, connect, uniqueSandboxEmail } from "./sandbox-helpers";

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
    expect(repos.map((r: Json) => r.full_name)).toEqual([`${user.login}/taskpilot-demo`, `${user.login}/notes`]);
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
