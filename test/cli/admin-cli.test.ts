import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, findFreePort, generateSecrets, startDevServer, type DevServer } from "../../scripts/lib/dev-server.mjs";
import { d1Execute, runNode } from "./run";

// `npm run admin -- …` as an operator runs it (node scripts/admin.mjs), against one app of its own on a
// temporary state directory, authenticated with that app's ADMIN_TOKEN; the last test stops the app and
// lets the CLI start one itself on the same state.

const PASSWORD = "correct horse battery staple";
let server: DevServer;
let persistTo: string;
let secrets: ReturnType<typeof generateSecrets>;
let aliceToken: string;
const alice = `alice-${crypto.randomUUID().slice(0, 8)}@example.test`;
const bob = `bob-${crypto.randomUUID().slice(0, 8)}@example.test`;

/** The CLI with the test app's URL and operator token (or other variables). */
function admin(args: string[], env: Record<string, string> = { TASKPILOT_URL: server.url, ADMIN_TOKEN: secrets.ADMIN_TOKEN }) {
  return runNode(["scripts/admin.mjs", ...args], { ADMIN_TOKEN: "", TASKPILOT_EMAIL: "", TASKPILOT_PASSWORD: "", ...env });
}

/** The worker's own answer, read over HTTP as the operator (quicker than a wrangler d1 round trip). */
async function asOperator<T>(path: string): Promise<T> {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${secrets.ADMIN_TOKEN}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

async function register(email: string): Promise<string> {
  const res = await fetch(`${server.url}/api/auth/register`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: PASSWORD }) });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

/** Connects Sandbox Gmail as a browser does: Connect → the sandbox consent page → Allow → the callback, with the binding cookie. */
async function connectSandboxGmail(token: string): Promise<void> {
  const start = await fetch(`${server.url}/api/integrations/gmail/auth`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{}" });
  expect(start.status).toBe(200);
  const cookie = start.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const authorize = new URL(((await start.json()) as { authorizationUrl: string }).authorizationUrl);
  const page = await (await fetch(authorize)).text();
  const request = /name="request" value="([0-9a-f]+)"/.exec(page)?.[1];
  expect(request, page.slice(0, 200)).toBeDefined();
  const allowed = await fetch(`${authorize.origin}${authorize.pathname}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ request: request!, decision: "allow", email: "alice@sandbox.test" }),
    redirect: "manual",
  });
  const back = new URL(allowed.headers.get("location")!);
  const done = await fetch(`${server.url}${back.pathname}${back.search}`, { headers: { cookie }, redirect: "manual" });
  expect(done.headers.get("location")).toContain("connected=gmail");
}

beforeAll(async () => {
  persistTo = mkdtempSync(join(tmpdir(), "taskpilot-admin-cli-"));
  await applyMigrations({ persistTo, quiet: true });
  secrets = generateSecrets();
  server = await startDevServer({ port: await findFreePort(), persistTo, vars: secrets, quiet: true });
  aliceToken = await register(alice);
  await connectSandboxGmail(aliceToken);
  await register(bob);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  rmSync(persistTo, { recursive: true, force: true });
});

describe("npm run admin", () => {
  it("--help lists every command, and each command has its own; an unknown command or a missing argument is exit 2", async () => {
    const help = await admin(["--help"]);
    expect(help.code).toBe(0);
    for (const name of ["integrations", "refresh", "revoke", "webhooks:replay", "keys:rotate", "user:export", "user:delete", "grant-admin", "dlq"]) expect(help.stdout).toContain(name);
    const one = await admin(["dlq", "--help"]);
    expect([one.code, one.stdout]).toEqual([0, expect.stringContaining("usage: npm run admin -- dlq <queue> [--requeue <id> | --all]")]);

    const unknown = await admin(["frobnicate"]);
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('Unknown command "frobnicate". Commands: integrations, refresh')]);
    const missing = await admin(["refresh", alice]);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining("Missing <provider>.")]);
    const flag = await admin(["integrations", alice, "--frob"]);
    expect([flag.code, flag.stderr]).toEqual([2, expect.stringContaining("--frob")]);
    const plainHttp = await admin(["integrations", alice, "--remote"], { TASKPILOT_URL: server.url, ADMIN_TOKEN: secrets.ADMIN_TOKEN });
    expect([plainHttp.code, plainHttp.stderr]).toEqual([2, expect.stringContaining("--remote needs an https:// TASKPILOT_URL")]);
    const wrong = await admin(["integrations", alice], { TASKPILOT_URL: server.url, ADMIN_TOKEN: `${secrets.ADMIN_TOKEN}x` });
    expect([wrong.code, wrong.stderr]).toEqual([1, expect.stringContaining("(401 invalid_token)\nThe app at")]);
  });

  it("integrations shows the sandbox-connected Gmail; refresh renews it; an unknown email is exit 1 with the server's words", async () => {
    const list = await admin(["integrations", alice]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/gmail\s+active\s+alice@sandbox\.test/);
    expect(list.stdout).toMatch(/github\s+disconnected/);

    const refreshed = await admin(["refresh", alice, "gmail"]);
    expect([refreshed.code, refreshed.stdout], refreshed.stderr).toEqual([0, expect.stringContaining(`Refreshed Gmail for ${alice}: active, expires `)]);
    const events = (await (await fetch(`${server.url}/api/integrations/gmail/events`, { headers: { authorization: `Bearer ${aliceToken}` } })).json()) as { events: { type: string }[] };
    expect(events.events[0]?.type).toBe("refreshed");

    const nobody = await admin(["integrations", "nobody@example.test"]);
    expect([nobody.code, nobody.stderr]).toEqual([1, expect.stringContaining("No account has the email nobody@example.test. (404 user_not_found)")]);
    const provider = await admin(["refresh", alice, "myspace"]);
    expect([provider.code, provider.stderr]).toEqual([2, expect.stringContaining("unknown_provider")]);
  });

  it("revoke disconnects it (and says so when there is nothing to revoke); --json is the server's answer", async () => {
    const revoked = await admin(["revoke", alice, "gmail"]);
    expect([revoked.code, revoked.stdout], revoked.stderr).toEqual([0, expect.stringContaining(`Disconnected Gmail for ${alice}`)]);
    const json = await admin(["integrations", alice, "--json"]);
    const body = JSON.parse(json.stdout) as { integrations: { provider: string; status: string }[] };
    expect(body.integrations.find((i) => i.provider === "gmail")?.status).toBe("disconnected");
    const again = await admin(["revoke", alice, "gmail"]);
    expect([again.code, again.stderr]).toEqual([1, expect.stringContaining("has no Gmail integration connected. (404 integration_not_found)")]);
  });

  it("grant-admin (through wrangler d1) makes an admin whose email and password then work instead of ADMIN_TOKEN", async () => {
    const asAlice = { TASKPILOT_URL: server.url, TASKPILOT_EMAIL: alice, TASKPILOT_PASSWORD: PASSWORD };
    const before = await admin(["integrations", bob], asAlice);
    expect([before.code, before.stderr]).toEqual([1, expect.stringContaining("admin_only")]);
    const granted = await admin(["grant-admin", alice, "--persist-to", persistTo]);
    expect([granted.code, granted.stdout.trim()], granted.stderr).toEqual([0, `${alice} is now an admin.`]);
    const after = await admin(["integrations", bob], asAlice);
    expect(after.code, after.stderr).toBe(0);
    // An unknown email there is exit 1 too (the shared code of npm run admin:grant, covered by e2e/webhooks).
  });

  it("user:export writes the account's data; user:delete needs --yes off a terminal, then deletes it", async () => {
    const out = join(persistTo, "bob.json");
    const exported = await admin(["user:export", bob, "--out", out]);
    expect(exported.code, exported.stderr).toBe(0);
    const data = JSON.parse(readFileSync(out, "utf8")) as { format: string; user: { email: string; id: string } };
    expect(data).toMatchObject({ format: "taskpilot-account-export/1", user: { email: bob } });

    const unconfirmed = await admin(["user:delete", bob]);
    expect([unconfirmed.code, unconfirmed.stderr]).toEqual([2, expect.stringContaining("pass --yes")]);
    const deleted = await admin(["user:delete", bob, "--yes"]);
    expect([deleted.code, deleted.stdout], deleted.stderr).toEqual([0, expect.stringContaining(`Deleted the account ${bob}`)]);
    const gone = await admin(["user:export", bob]);
    expect([gone.code, gone.stderr]).toEqual([1, expect.stringContaining("user_not_found")]);
    // The tombstone names the operator.
    // The operator's reads and the deletion are in the log: `audit` reads it by the account's id.
    const log = await admin(["audit", data.user.id, "--json"]);
    expect((JSON.parse(log.stdout) as { entries: { action: string }[] }).entries.map((e) => e.action)).toEqual(["account.deleted"]);
    const tombstone = await asOperator<{ entries: { actor: { type: string } }[] }>("/api/admin/audit?action=account.deleted");
    expect(tombstone.entries.map((e) => e.actor.type)).toEqual(["operator"]);
  });

  it("dlq lists a queue's dead letters and requeues one onto the real queue once; webhooks:replay queues a delivery again; an unknown queue is exit 2 naming the queues", async () => {
    const deliveryId = crypto.randomUUID();
    const payload = JSON.stringify({ zen: "Keep it logically awesome." });
    const sent = await fetch(`${server.url}/webhooks/github`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "ping", "x-github-delivery": deliveryId, "x-hub-signature-256": `sha256=${createHmac("sha256", secrets.GITHUB_WEBHOOK_SECRET).update(payload).digest("hex")}` },
      body: payload,
    });
    const { id } = (await sent.json()) as { id: string };
    const attempts = async () => (await asOperator<{ deliveries: { id: string; attempts: number }[] }>("/api/admin/webhooks/deliveries")).deliveries.find((d) => d.id === id)?.attempts;
    await expect.poll(attempts, { timeout: 15_000 }).toBe(1);

    // A message the dead-letter queue delivered (the dispatcher's recording is covered by test/worker/admin.test.ts).
    const messageId = `dlq-${crypto.randomUUID()}`;
    await d1Execute(persistTo, `INSERT INTO dead_letters (id, queue, body, attempts, first_seen_at, last_seen_at) VALUES ('${messageId}', 'taskpilot-webhooks', '${JSON.stringify({ id, replay: true })}', 1, ${Date.now()}, ${Date.now()})`);
    const list = await admin(["dlq", "taskpilot-webhooks"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${messageId}\\s+\\S+\\s+\\S+\\s+1\\s+-\\s+\\{"id":"${id}","replay":true\\}`));

    const requeued = await admin(["dlq", "taskpilot-webhooks", "--requeue", messageId]);
    expect([requeued.code, requeued.stdout], requeued.stderr).toEqual([0, `Requeued 1 message(s) onto taskpilot-webhooks: ${messageId}.\n`]);
    await expect.poll(attempts, { timeout: 15_000 }).toBe(2);
    const twice = await admin(["dlq", "taskpilot-webhooks", "--requeue", messageId]);
    expect([twice.code, twice.stdout]).toEqual([0, expect.stringContaining(`${messageId} was already requeued at `)]);
    const all = await admin(["dlq", "taskpilot-webhooks", "--all"]);
    expect([all.code, all.stdout]).toEqual([0, "No dead letters of taskpilot-webhooks wait for a requeue.\n"]);

    const unknown = await admin(["dlq", "taskpilot-nope"]);
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining("The queues are: taskpilot-kb-index, taskpilot-spec-exec, taskpilot-pr-create, taskpilot-webhooks.")]);

    const replayed = await admin(["webhooks:replay", deliveryId]);
    expect([replayed.code, replayed.stdout], replayed.stderr).toEqual([0, `Queued github ping ${deliveryId} again (replay 1).\n`]);
    await expect.poll(attempts, { timeout: 15_000 }).toBe(3);
  });

  it("with no app answering, the command starts one on the local state for its duration", async () => {
    await server.stop();
    const dead = `http://127.0.0.1:${await findFreePort()}`;
    const out = await admin(["integrations", alice, "--persist-to", persistTo], { TASKPILOT_URL: dead, ADMIN_TOKEN: secrets.ADMIN_TOKEN });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toContain(`No app answers at ${dead}; starting one on the local state for this command`);
    expect(out.stdout).toMatch(/gmail\s+disconnected/);
    // And stopped it afterwards.
    const started = /Started at (http:\/\/127\.0\.0\.1:\d+)/.exec(out.stderr)?.[1];
    expect(started).toBeDefined();
    await expect(fetch(`${started}/api/health`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  }, 90_000);
});
