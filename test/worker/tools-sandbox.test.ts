import { describe, expect, it } from "vitest";
import { MAX_BODY_CHARS } from "../../worker/tools/results";
import { ORIGIN } from "./auth-helpers";
import { resultOf, runTool, sandboxUser } from "./tools-helpers";

/**
 * Every tool's happy path against the sandbox providers' seeded data
 * (worker/sandbox/README.md, "Accounts and data"): compact results, capped,
 * each item with the link a person would open.
 */

type Json = Record<string, any>;

describe("Gmail tools", () => {
  it("search_messages finds the two seeded invoices, each with its Gmail link", async () => {
    const u = await sandboxUser(["gmail"]);
    const found = resultOf(await runTool(u.userId, "gmail.search_messages", { query: "invoice" }));
    expect(found.items).toHaveLength(2);
    expect(found.more).toBeNull();
    for (const m of found.items as Json[]) {
      expect(m.subject.toLowerCase()).toContain("invoice");
      expect(m.source).toEqual({ url: `https://mail.google.com/mail/u/0/#all/${m.id}`, label: m.subject });
      expect(Object.keys(m).sort()).toEqual(["date", "from", "id", "snippet", "source", "subject", "threadId", "to"]);
    }
    expect(found.items[0].from).toBe("Acme Billing <billing@acme.example>");
  });

  it("search_messages pages: limit, how many more, and a cursor that continues", async () => {
    const u = await sandboxUser(["gmail"]);
    const first = resultOf(await runTool(u.userId, "gmail.search_messages", { query: "in:inbox", limit: 3 }));
    expect(first.items).toHaveLength(3);
    expect(first.more).toEqual({ count: 1, cursor: expect.any(String) });
    const rest = resultOf(await runTool(u.userId, "gmail.search_messages", { query: "in:inbox", limit: 3, cursor: first.more.cursor }));
    expect(rest.items).toHaveLength(1);
    expect(rest.more).toBeNull();
    const ids = [...first.items, ...rest.items].map((m: Json) => m.id);
    expect(new Set(ids).size).toBe(4);
  });

  it("send_email sends, then get_message reads it back with its body capped at 2,000 characters", async () => {
    const u = await sandboxUser(["gmail"]);
    const long = `${"Quarterly numbers are in. ".repeat(200)}END`;
    const sent = resultOf(await runTool(u.userId, "gmail.send_email", { to: ["bob@example.com"], subject: "Quarterly numbers Q3", body: long }));
    expect(sent).toMatchObject({ to: ["bob@example.com"], subject: "Quarterly numbers Q3", source: { url: `https://mail.google.com/mail/u/0/#all/${sent.id}` } });

    const found = resultOf(await runTool(u.userId, "gmail.search_messages", { query: "in:sent subject:quarterly" }));
    expect(found.items.map((m: Json) => m.id)).toEqual([sent.id]);

    const read = resultOf(await runTool(u.userId, "gmail.get_message", { id: sent.id }));
    expect(read.to).toBe("bob@example.com");
    expect(read.body).toHaveLength(MAX_BODY_CHARS);
    expect(long.startsWith(read.body)).toBe(true);
    expect(read.bodyOmittedChars).toBe(long.length - MAX_BODY_CHARS);
    expect(read.labels).toEqual(["SENT"]);
  });

  it("get_message of an id the account does not have is the provider's 404, as an outcome", async () => {
    const u = await sandboxUser(["gmail"]);
    const outcome = await runTool(u.userId, "gmail.get_message", { id: "nope1234" });
    expect(outcome).toMatchObject({ ok: false, error: { code: "provider_not_found", status: 404, provider: "gmail", providerCode: "NOT_FOUND" } });
  });
});

describe("Calendar tools", () => {
  it("list_events shows the three seeded upcoming events with their links; create_event adds one", async () => {
    const u = await sandboxUser(["calendar"]);
    const listed = resultOf(await runTool(u.userId, "calendar.list_events", {}));
    expect(listed.items.map((e: Json) => e.summary)).toEqual(["Planning session", "1:1 with Dana", "Invoice review with finance"]);
    expect(listed.items[0]).toMatchObject({ location: "Room 4B", source: { url: expect.stringMatching(/^https:\/\/calendar\.sandbox\.test\/event\?eid=/), label: "Planning session" } });

    const start = new Date(Date.now() + 3 * 86_400_000);
    const end = new Date(start.getTime() + 3_600_000);
    const created = resultOf(await runTool(u.userId, "calendar.create_event", { summary: "Dentist", start: start.toISOString(), end: end.toISOString(), location: "Main St" }));
    expect(created).toMatchObject({ summary: "Dentist", start: start.toISOString(), end: end.toISOString(), source: { label: "Dentist" } });
    const after = resultOf(await runTool(u.userId, "calendar.list_events", { query: "dentist" }));
    expect(after.items.map((e: Json) => e.id)).toEqual([created.id]);
  });

  it("create_event with the end before the start is refused before any request", async () => {
    const u = await sandboxUser(["calendar"]);
    const outcome = await runTool(u.userId, "calendar.create_event", { summary: "Backwards", start: "2030-01-02T10:00:00Z", end: "2030-01-02T09:00:00Z" });
    expect(outcome).toMatchObject({ ok: false, error: { code: "invalid_arguments", fields: [{ path: "end", message: "end must be after start" }] } });
  });
});

describe("Slack tools", () => {
  it("list_channels shows the three seeded channels with channel links", async () => {
    const u = await sandboxUser(["slack"]);
    const listed = resultOf(await runTool(u.userId, "slack.list_channels", {}));
    expect(listed.items.map((c: Json) => c.name)).toEqual(["general", "random", "engineering"]);
    expect(listed.items[0]).toMatchObject({ topic: "Company-wide announcements", members: 42, source: { url: expect.stringMatching(/\/archives\/C0\w+$/), label: "#general" } });
  });

  it("post_message by #name, then read_channel shows it first with its permalink", async () => {
    const u = await sandboxUser(["slack"]);
    const posted = resultOf(await runTool(u.userId, "slack.post_message", { channel: "#general", text: "hello from TaskPilot" }));
    expect(posted.channel.name).toBe("general");
    expect(posted.source.url).toMatch(new RegExp(`/archives/${posted.channel.id}/p${posted.ts.replace(".", "")}$`));

    const read = resultOf(await runTool(u.userId, "slack.read_channel", { channel: "general" }));
    expect(read.channel).toEqual({ id: posted.channel.id, name: "general" });
    expect(read.items.map((m: Json) => m.text)).toEqual(["hello from TaskPilot", "Welcome to the Sandbox Workspace!"]);
    expect(read.items[0].source).toEqual(posted.source);
  });

  it("read_channel caps at the limit and says how many more; a long message is cut at 2,000 characters", async () => {
    const u = await sandboxUser(["slack"]);
    for (let i = 0; i < 21; i += 1) resultOf(await runTool(u.userId, "slack.post_message", { channel: "random", text: `note ${i}` }));
    resultOf(await runTool(u.userId, "slack.post_message", { channel: "random", text: "x".repeat(3_500) }));
    const read = resultOf(await runTool(u.userId, "slack.read_channel", { channel: "random", limit: 20 }));
    expect(read.items).toHaveLength(20);
    // 1 seeded + 21 notes + 1 long = 23; the sandbox answers them all at once, so the rest is counted exactly.
    expect(read.more).toEqual({ count: 3, cursor: null });
    expect(read.items[0]).toMatchObject({ text: "x".repeat(MAX_BODY_CHARS), textOmittedChars: 1_500 });
    expect(read.items[1].text).toBe("note 20");

    const tooMany = await runTool(u.userId, "slack.read_channel", { channel: "random", limit: 50 });
    expect(tooMany).toMatchObject({ ok: false, error: { code: "invalid_arguments", fields: [{ path: "limit" }] } });
  });

  it("an unknown channel name is a clean 404 outcome", async () => {
    const u = await sandboxUser(["slack"]);
    const outcome = await runTool(u.userId, "slack.read_channel", { channel: "#no-such-channel" });
    expect(outcome).toMatchObject({ ok: false, error: { code: "provider_not_found", status: 404, provider: "slack", providerCode: "channel_not_found" } });
  });
});

describe("GitHub tools", () => {
  it("list_repos, list_issues and create_issue on the seeded repositories, with html_url links", async () => {
    const u = await sandboxUser(["github"]);
    const repos = resultOf(await runTool(u.userId, "github.list_repos", {}));
    const names = repos.items.map((r: Json) => r.fullName as string);
    // taskpilot-demo, notes, and the read-only sandbox-org/handbook.
    expect(names).toHaveLength(3);
    const demo = names.find((n: string) => n.endsWith("/taskpilot-demo"))!;
    expect(repos.items.find((r: Json) => r.fullName === demo)).toMatchObject({ private: false, defaultBranch: "main", source: { url: `${ORIGIN}/sandbox/github/web/${demo}`, label: demo } });

    const before = resultOf(await runTool(u.userId, "github.list_issues", { repo: demo }));
    expect(before.items).toHaveLength(1);
    expect(before.items[0].source.url).toBe(`${ORIGIN}/sandbox/github/web/${demo}/issues/${before.items[0].number}`);

    const created = resultOf(await runTool(u.userId, "github.create_issue", { repo: demo, title: "Flaky login test", body: "Fails one run in ten.", labels: ["bug"] }));
    expect(created).toMatchObject({ title: "Flaky login test", state: "open", source: { url: `${ORIGIN}/sandbox/github/web/${demo}/issues/${created.number}`, label: `${demo}#${created.number}` } });
    const after = resultOf(await runTool(u.userId, "github.list_issues", { repo: demo }));
    expect(after.items[0]).toMatchObject({ number: created.number, labels: ["bug"], body: "Fails one run in ten." });
  });

  it("list_repos with limit 1 offers the next page as a cursor", async () => {
    const u = await sandboxUser(["github"]);
    const first = resultOf(await runTool(u.userId, "github.list_repos", { limit: 1 }));
    expect(first.items).toHaveLength(1);
    expect(first.more).toEqual({ count: null, cursor: "2" });
    const second = resultOf(await runTool(u.userId, "github.list_repos", { limit: 1, cursor: "2" }));
    expect(second.items[0].fullName).not.toBe(first.items[0].fullName);
  });

  it("a repository the account cannot see is GitHub's 404, code kept", async () => {
    const u = await sandboxUser(["github"]);
    const outcome = await runTool(u.userId, "github.create_issue", { repo: "someone-else/private", title: "x" });
    expect(outcome).toMatchObject({ ok: false, error: { code: "provider_not_found", status: 404, provider: "github", providerCode: "Not Found" } });
  });
});
