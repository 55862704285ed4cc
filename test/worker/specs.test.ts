import { env, SELF } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { database } from "../../worker/db/client";
import { findRun } from "../../worker/db/specs";
import { schema } from "../../worker/db/client";
import { eq } from "drizzle-orm";
import type { SpecExecMessage } from "../../worker/specs/checkpoint";
import { DEAD_AFTER_MS, MAX_ATTEMPTS } from "../../worker/specs/liveness";
import { runnerDeps } from "../../worker/specs/runner";
import { watchRuns } from "../../worker/specs/watch";
import { problemOf } from "./auth-helpers";
import { newUser } from "./integrations-helpers";
import { ORIGIN } from "./sandbox-helpers";
import { sandboxUser, simulate } from "./tools-helpers";
import { batchOf, call, commitsSince, deliver, drain, json, loginOf, plannedSpec, sandboxGithub, specTestEnv, type Sent } from "./specs-helpers";
import { consumeSpecExec } from "../../worker/specs/consumer";

vi.setConfig({ testTimeout: 30_000 });

async function events(token: string, specId: string): Promise<any[]> {
  const res = await SELF.fetch(`${ORIGIN}/api/events`, { headers: { authorization: `Bearer ${token}` } });
  return ((await res.json()) as { events: any[] }).events.filter((e) => e.jobId === specId);
}

const specFrames = (frames: any[]) => frames.filter((f) => f.kind === "spec").map((f) => (f.phase ? `${f.event}:${f.phase}` : f.event));

async function baseOf(accessToken: string, repo: string): Promise<string> {
  return (await sandboxGithub(accessToken, `/repos/${repo}/git/ref/heads/main`)).object.sha;
}

describe("specs: from a prompt to a pull request on the sandbox GitHub", () => {
  it("collects, plans, executes phase by phase and opens one pull request, with every frame in order", async () => {
    const { env: testEnv, sent } = specTestEnv();
    const user = await sandboxUser(["github"]);
    const login = loginOf(user.emails.github!);
    const repo = `${login}/taskpilot-demo`;
    const { project } = await json(await call(testEnv, user.token, "POST", "/api/projects", { name: "Demo", githubRepo: repo }), 201);
    expect(project).toMatchObject({ githubRepo: repo, defaultBranch: "main" });

    const { spec } = await json(await call(testEnv, user.token, "POST", "/api/specs", { projectId: project.id, prompt: "Add a health endpoint in src/health.ts." }), 201);
    expect(spec).toMatchObject({ status: "collecting", title: "Add a health endpoint in src/health.ts.", prdMarkdown: null });

    // Refine once: the reply is stored and streamed as chat frames of scope spec.
    const chat = await json(await call(testEnv, user.token, "POST", `/api/specs/${spec.id}/messages`, { content: "It answers JSON with the version. Document it in docs/health.md." }), 200);
    expect(chat.message.role).toBe("user");
    expect(chat.reply.content).toContain("It answers JSON with the version.");
    const { messages } = await json(await call(testEnv, user.token, "GET", `/api/specs/${spec.id}/messages`), 200);
    expect(messages.map((m: any) => m.role)).toEqual(["user", "assistant"]);

    const edited = await json(await call(testEnv, user.token, "PATCH", `/api/specs/${spec.id}`, { prompt: "Add a health endpoint in src/health.ts.\nIt must be fast." }), 200);
    expect(edited.spec.prompt).toContain("It must be fast.");

    const { spec: planned } = await json(await call(testEnv, user.token, "POST", `/api/specs/${spec.id}/plan`), 200);
    expect(planned.status).toBe("ready");
    expect(planned.offline).toBe(true);
    expect(planned.prdMarkdown).toContain("## Requirements");
    expect(planned.tasks.length).toBeGreaterThanOrEqual(2);
    expect(planned.tasks.flatMap((t: any) => t.files)).toEqual(expect.arrayContaining(["src/health.ts", "docs/health.md"]));

    const base = await baseOf(user.grants.github.access_token, repo);
    const accepted = await json(await call(testEnv, user.token, "POST", `/api/specs/${spec.id}/execute`), 202);
    expect(accepted).toEqual({ specId: spec.id, status: "executing", currentPhase: "explore" });
    expect(sent).toEqual([{ queue: "taskpilot-spec-exec", body: { specId: spec.id, userId: user.userId, phase: "explore", attempt: 1 } }]);

    const delivered = await drain(testEnv, sent);
    expect(delivered.map((d) => (d.queue === "taskpilot-spec-exec" ? (d.body as SpecExecMessage).phase : "pr"))).toEqual(["explore", "implement", "verify", "pr"]);

    const { spec: done } = await json(await call(testEnv, user.token, "GET", `/api/specs/${spec.id}`), 200);
    const branch = `spec/${spec.id.slice(0, 8)}-add-a-health-endpoint-in-src-health-ts`;
    expect(done).toMatchObject({ status: "pr_created", branchName: branch, pullRequestNumber: expect.any(Number), currentPhase: null });
    expect(done.pullRequestUrl).toBe(`${ORIGIN}/sandbox/github/web/${repo}/pull/${done.pullRequestNumber}`);
    expect(done.tasks.every((t: any) => t.status === "done" && /^[0-9a-f]{40}$/.test(t.commitSha))).toBe(true);

    // One commit per task, through the Git Data API, each with its trailer; the PRD and checklist are on the branch.
    const commits = await commitsSince(user.grants.github.access_token, repo, branch, base);
    expect(commits.map((c) => c.message.match(/Spec-Task: (\S+)/)?.[1]).reverse()).toEqual(done.tasks.map((t: any) => `${spec.id}/${t.id}`));
    const head = commits[0]!;
    const tree = await sandboxGithub(user.grants.github.access_token, `/repos/${repo}/git/trees/${(head as any).tree.sha}`);
    const paths = tree.tree.map((e: any) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["README.md", "docs/specs/add-a-health-endpoint-in-src-health-ts.md", "src/health.ts", "docs/health.md"]));

    const pulls = await sandboxGithub(user.grants.github.access_token, `/repos/${repo}/pulls?state=all&head=${login}:${encodeURIComponent(branch)}`);
    expect(pulls).toHaveLength(1);
    expect(pulls[0].body).toContain("offline planner");

    const frames = await events(user.token, spec.id);
    expect(specFrames(frames)).toEqual([
      "spec.execution_started",
      "spec.phase_started:explore",
      "spec.phase_completed:explore",
      "spec.phase_started:implement",
      "spec.phase_completed:implement",
      "spec.phase_started:verify",
      "spec.phase_completed:verify",
      "spec.execution_completed",
      "spec.pr_created:pr",
    ]);
    expect(frames.filter((f) => f.kind === "chat").map((f) => [f.scope, f.role])).toEqual([["spec", "user"], ["spec", "assistant"]]);
    expect(frames.some((f) => f.kind === "app" && f.prdMarkdown.includes("## Tasks"))).toBe(true);
    expect(frames.filter((f) => f.kind === "step").length).toBeGreaterThanOrEqual(5);

    const status = await json(await call(testEnv, user.token, "GET", `/api/specs/${spec.id}/execution-status`), 200);
    expect(status).toMatchObject({ specId: spec.id, status: "pr_created", attempts: 1, maxAttempts: MAX_ATTEMPTS, runner: { state: "active" } });
    expect(status.lastEvent).toMatchObject({ kind: "spec", event: "spec.pr_created" });
    expect(status.log.filter((e: any) => e.kind === "spec")).toHaveLength(9);

    const { apps } = await json(await call(testEnv, user.token, "GET", "/api/apps"), 200);
    expect(apps).toEqual([expect.objectContaining({ id: spec.id, projectName: "Demo", tasksDone: done.tasks.length, taskCount: done.tasks.length, pullRequestNumber: done.pullRequestNumber })]);
    const app = await json(await call(testEnv, user.token, "GET", `/api/apps/${spec.id}`), 200);
    expect(app.spec.id).toBe(spec.id);
    expect(app.project.id).toBe(project.id);

    // Everything delivered again (a redelivering queue): no second commit, no second pull request, no second pr_created.
    for (const item of delivered) expect((await deliver(testEnv, item)).acked).toBe(true);
    await drain(testEnv, sent);
    expect(await commitsSince(user.grants.github.access_token, repo, branch, base)).toHaveLength(commits.length);
    expect(await sandboxGithub(user.grants.github.access_token, `/repos/${repo}/pulls?state=all`)).toHaveLength(1);
    expect(specFrames(await events(user.token, spec.id)).filter((e) => e.startsWith("spec.pr_created"))).toHaveLength(1);
  });

  it("a runner killed mid-phase is judged dead, and a retry continues from its checkpoint without committing a task twice", async () => {
    const { env: testEnv, sent } = specTestEnv();
    const { user, spec, repo } = await plannedSpec(testEnv, "Add src/a.ts.\nAdd src/b.ts.\nAdd src/c.ts.", "Three files");
    const base = await baseOf(user.grants.github.access_token, repo);
    await json(await call(testEnv, user.token, "POST", `/api/specs/${spec.id}/execute`), 202);
    await deliver(testEnv, sent.shift()!); // explore
    const implement = sent.shift()!;
    expect((implement.body as SpecExecMessage).phase).toBe("implement");

    // The first runner commits task 1 and then freezes (an evicted isolate): it never beats again.
    let release!: () => void;
    const frozen = new Promise<void>((r) => (release = r));
    let froze!: () => void;
    const hasFrozen = new Promise<void>((r) => (froze = r));
    const zombieDeps = runnerDeps(testEnv, {
      heartbeatEveryMs: 3_600_000,
      afterTask: async (_specId, taskId) => {
        if (taskId === "t1") {
          froze();
          await frozen;
        }
      },
    });
    const zombie = deliver(testEnv, implement, zombieDeps);
    await hasFrozen;
    const run = (await findRun(database(env), spec.id))!;
    expect(run).toMatchObject({ phase: "implement", attempt: 1 });

    // Within 90 s of the last heartbeat the watch leaves it alone; past it, the phase goes to attempt 2.
    const beat = run.heartbeatAt!.getTime();
    expect(await watchRuns(testEnv, beat + DEAD_AFTER_MS - 1_000)).toEqual({ retried: 0, failed: 0, idle: 0 });
    expect(await watchRuns(testEnv, beat + DEAD_AFTER_MS + 1_000)).toEqual({ retried: 1, failed: 0, idle: 0 });
    expect(await watchRuns(testEnv, beat + DEAD_AFTER_MS + 2_000)).toEqual({ retried: 0, failed: 0, idle: 0 });
    const retry = sent.shift()!;
    expect(retry.body).toEqual({ specId: spec.id, userId: user.userId, phase: "implement", attempt: 2 });
    const status = await json(await call(testEnv, user.token, "GET", `/api/specs/${spec.id}/execution-status`), 200);
    expect(status).toMatchObject({ attempts: 2, runner: { state: "dead" } });

    await deliver(testEnv, retry);
    await drain(testEnv, sent);

    // The frozen runner wakes up: its lease is gone, so it stops without writing anything.
    release();
    expect((await zombie).acked).toBe(true);

    const { spec: done } = await json(await call(testEnv, user.token, "GET", `/api/specs/${spec.id}`), 200);
    expect(done.status).toBe("pr_created");
    const commits = await commitsSince(user.grants.github.access_token, repo, done.branchName, base);
    expect(commits.map((c) => c.message.match(/Spec-Task: \S+\/(t\d+)/)?.[1]).reverse()).toEqual(["t1", "t2", "t3"]);
    const frames = specFrames(await events(user.token, spec.id));
    expect(frames.filter((f) => f === "spec.phase_retry:implement")).toHaveLength(1);
    expect(frames.filter((f) => f === "spec.phase_started:implement")).toHaveLength(2);
    expect(frames.at(-1)).toBe("spec.pr_created:pr");
  });

  it("a phase whose runner dies on every attempt fails the spec with a final phase_failed and an error frame", async () => {
    const { env: testEnv, sent } = specTestEnv();
    const { user, spec } = await plannedSpec(testEnv);
    await json(await call(testEnv, user.token, "POST", `/api/specs/${spec.id}/execute`), 202);
    sent.length = 0; // the explore message is lost every time: nothing ever beats
    let now = (await findRun(database(env), spec.id))!.heartbeatAt!.getTime();
    const outcomes = [];
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      now += DEAD_AFTER_MS + 1_000;
      outcomes.push(await watchRuns(testEnv, now));
    }
    expect(outcomes.map((o) => [o.retried, o.failed])).toEqual([[1, 0], [1, 0], [1, 0], [0, 1]]);
    const { spec: failed } = await json(await call(testEnv, user.token, "GET", `/api/specs/${spec.id}`), 200);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/explore phase stopped .* 4 times/);
    const frames = await events(user.token, spec.id);
    expect(frames.filter((f) => f.kind === "spec" && f.event === "spec.phase_failed")).toEqual([expect.objectContaining({ phase: "explore", payload: expect.objectContaining({ final: true, code: "runner_dead" }) })]);
    expect(frames.some((f) => f.kind === "error" && f.code === "runner_dead")).toBe(true);
    // Nothing more happens to a failed run.
    expect(await watchRuns(testEnv, now + 10 * DEAD_AFTER_MS)).toEqual({ retried: 0, failed: 0, idle: 0 });
  });

  it("a runner that beats but does no work for five minutes is shown idle, not retried", async () => {
    const { env: testEnv, sent } = specTestEnv();
    const { user, spec } = await plannedSpec(testEnv);
    await json(await call(testEnv, user.token, "POST", `/api/specs/${spec.id}/execute`), 202);
    sent.length = 0;
    const start = (await findRun(database(env), spec.id))!.heartbeatAt!.getTime();
    // Still beating a minute ago, last work six minutes ago.
    await database(env).update(schema.specRuns).set({ heartbeatAt: new Date(start + 5 * 60_000), lastWorkAt: new Date(start) }).where(eq(schema.specRuns.specId, spec.id));
    expect(await watchRuns(testEnv, start + 6 * 60_000)).toEqual({ retried: 0, failed: 0, idle: 1 });
    expect(await watchRuns(testEnv, start + 6 * 60_000 + 1)).toEqual({ retried: 0, failed: 0, idle: 0 });
    const status = await json(await call(testEnv, user.token, "GET", `/api/specs/${spec.id}/execution-status`), 200);
    expect(status).toMatchObject({ attempts: 1, runner: { state: "idle" } });
    expect((await events(user.token, spec.id)).some((f) => f.kind === "status" && f.status === "idle")).toBe(true);
    expect(sent).toEqual([]);
  });

  it("a duplicate delivery of the same phase at the same time does the work once", async () => {
    const { env: testEnv, sent } = specTestEnv();
    const { user, spec, repo } = await plannedSpec(testEnv);
    const base = await baseOf(user.grants.github.access_token, repo);
    await json(await call(testEnv, user.token, "POST", `/api/specs/${spec.id}/execute`), 202);
    await deliver(testEnv, sent.shift()!);
    const implement = sent.shift()!;
    await Promise.all([deliver(testEnv, implement), deliver(testEnv, implement)]);
    expect(sent.filter((s) => (s.body as SpecExecMessage).phase === "verify")).toHaveLength(1);
    await drain(testEnv, sent);
    const { spec: done } = await json(await call(testEnv, user.token, "GET", `/api/specs/${spec.id}`), 200);
    expect(await commitsSince(user.grants.github.access_token, repo, done.branchName, base)).toHaveLength(done.tasks.length);
  });

  it("a commit that landed before its checkpoint was written is found on the branch, not made again", async () => {
    const { env: testEnv, sent } = specTestEnv();
    const { user, spec, repo } = await plannedSpec(testEnv);
    const base = await baseOf(user.grants.github.access_token, repo);
    await json(await call(testEnv, user.token, "POST", `/api/specs/${spec.id}/execute`), 202);
    await deliver(testEnv, sent.shift()!);
    const implement = sent.shift()!;
    await deliver(testEnv, implement);
    sent.length = 0;
    // Play a runner that died after moving the ref but before recording it: the checkpoint forgets the tasks, the run is back at implement.
    const db = database(env);
    const run = (await findRun(db, spec.id))!;
    const checkpoint = JSON.parse(run.checkpoint);
    delete checkpoint.tasks;
    await db.update(schema.specRuns).set({ phase: "implement", attempt: 2, checkpoint: JSON.stringify(checkpoint), leaseId: null }).where(eq(schema.specRuns.specId, spec.id));
    await deliver(testEnv, { queue: "taskpilot-spec-exec", body: { ...(implement.body as SpecExecMessage), attempt: 2 } });
    await drain(testEnv, sent);
    const { spec: done } = await json(await call(testEnv, user.token, "GET", `/api/specs/${spec.id}`), 200);
    expect(done.status).toBe("pr_created");
    expect(await commitsSince(user.grants.github.access_token, repo, done.branchName, base)).toHaveLength(done.tasks.length);
    const { log } = await json(await call(testEnv, user.token, "GET", `/api/specs/${spec.id}/execution-status`), 200);
    expect(log.some((e: any) => /already on the branch/.test(e.message))).toBe(true);
  });

  it("a GitHub outage retries the phase through the queue; a refusal fails the spec at once with GitHub's reason", async () => {
    const { env: testEnv, sent } = specTestEnv();
    const { user, spec } = await plannedSpec(testEnv);
    await json(await call(testEnv, user.token, "POST", `/api/specs/${spec.id}/execute`), 202);
    const explore = sent.shift()!;
    await simulate("github", user.grants.github.access_token, "server_error", 10);
    const outcome = await deliver(testEnv, explore);
    expect(outcome).toEqual({ acked: false, retried: true });
    const frames = await events(user.token, spec.id);
    expect(frames.some((f) => f.kind === "spec" && f.event === "spec.phase_retry" && /GitHub failed/.test(f.payload.message))).toBe(true);
    expect((await findRun(database(env), spec.id))!.leaseId).toBeNull();

    // The same message out of retries lands in the dead-letter queue: the spec fails with the last reason.
    const { batch } = batchOf("taskpilot-spec-exec-dlq", explore.body, 4);
    await consumeSpecExec(batch, testEnv);
    const { spec: failed } = await json(await call(testEnv, user.token, "GET", `/api/specs/${spec.id}`), 200);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/^The explore phase failed after every retry: .*GitHub failed/);
    expect((await events(user.token, spec.id)).some((f) => f.kind === "error" && f.code === "retries_exhausted")).toBe(true);

    // A message that is not a phase is acknowledged and dropped, never retried forever.
    const poison = batchOf("taskpilot-spec-exec", { nonsense: true });
    await consumeSpecExec(poison.batch, testEnv);
    expect(poison.outcome).toEqual({ acked: true, retried: false });
  });

  it("GitHub refusing the credentials fails the spec at once, saying to reconnect", async () => {
    const { env: testEnv, sent } = specTestEnv();
    const { user, spec } = await plannedSpec(testEnv);
    await json(await call(testEnv, user.token, "POST", `/api/specs/${spec.id}/execute`), 202);
    await simulate("github", user.grants.github.access_token, "unauthorized", 10);
    expect(await deliver(testEnv, sent.shift()!)).toEqual({ acked: true, retried: false });
    const { spec: failed } = await json(await call(testEnv, user.token, "GET", `/api/specs/${spec.id}`), 200);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/Reconnect GitHub/);
  });

  it("create-branch and create-pr by hand are idempotent, and a branch with no commits is a clear 409, not a retry", async () => {
    const { env: testEnv } = specTestEnv();
    const { user, spec } = await plannedSpec(testEnv);
    const one = await json(await call(testEnv, user.token, "POST", `/api/specs/${spec.id}/create-branch`), 200);
    const two = await json(await call(testEnv, user.token, "POST", `/api/specs/${spec.id}/create-branch`), 200);
    expect(one.spec.branchName).toMatch(/^spec\/[0-9a-f]{8}-health-endpoint$/);
    expect(two.spec.branchName).toBe(one.spec.branchName);
    const res = await call(testEnv, user.token, "POST", `/api/specs/${spec.id}/create-pr`);
    expect(res.status).toBe(409);
    expect((await problemOf(res)).code).toBe("no_changes");
  });

  it("a sandbox merge sends a signed delivery that moves the spec to merged; a close without merge to closed", async () => {
    const { env: testEnv, sent } = specTestEnv();
    for (const merge of [true, false]) {
      const { user, spec, repo } = await plannedSpec(testEnv);
      await json(await call(testEnv, user.token, "POST", `/api/specs/${spec.id}/execute`), 202);
      await drain(testEnv, sent);
      const { spec: open } = await json(await call(testEnv, user.token, "GET", `/api/specs/${spec.id}`), 200);
      expect(open.status).toBe("pr_created");
      const page = await call(testEnv, user.token, "POST", `/sandbox/github/web/${repo}/pull/${open.pullRequestNumber}/${merge ? "merge" : "close"}`, undefined, { origin: ORIGIN });
      expect([200, 303]).toContain(page.status);
      await vi.waitFor(
        async () => {
          const { spec: now } = await json(await call(testEnv, user.token, "GET", `/api/specs/${spec.id}`), 200);
          expect(now.status).toBe(merge ? "merged" : "closed");
        },
        { timeout: 20_000, interval: 200 },
      );
      const frames = specFrames(await events(user.token, spec.id));
      expect(frames.filter((f) => f === "spec.merged:pr")).toHaveLength(merge ? 1 : 0);
    }
  });
});

describe("specs: bad input", () => {
  it("refuses what cannot be done, with the contract's codes and words", async () => {
    const { env: testEnv } = specTestEnv();
    const { user, login, project, spec } = await plannedSpec(testEnv);

    // Projects: a repository that does not exist, one the account cannot push to, a malformed name, GitHub not connected.
    const missing = await call(testEnv, user.token, "POST", "/api/projects", { name: "X", githubRepo: `${login}/does-not-exist` });
    expect(missing.status).toBe(400);
    expect((await problemOf(missing)).code).toBe("repo_not_found");
    const readOnly = await call(testEnv, user.token, "POST", "/api/projects", { name: "X", githubRepo: "sandbox-org/handbook" });
    expect(readOnly.status).toBe(400);
    expect((await problemOf(readOnly)).code).toBe("repo_read_only");
    const malformed = await call(testEnv, user.token, "POST", "/api/projects", { name: "X", githubRepo: "no-slash" });
    expect(malformed.status).toBe(400);
    expect((await problemOf(malformed)).code).toBe("invalid_request");
    const noBranch = await call(testEnv, user.token, "POST", "/api/projects", { name: "X", githubRepo: `${login}/taskpilot-demo`, defaultBranch: "nope" });
    expect((await problemOf(noBranch)).code).toBe("branch_not_found");
    const stranger = await newUser();
    const notConnected = await call(testEnv, stranger.token, "POST", "/api/projects", { name: "X", githubRepo: `${login}/taskpilot-demo` });
    expect(notConnected.status).toBe(400);
    expect(await problemOf(notConnected)).toMatchObject({ code: "github_not_connected", detail: "GitHub not connected. Please connect GitHub first." });

    // Editing and chatting after collecting: 409.
    const patch = await call(testEnv, user.token, "PATCH", `/api/specs/${spec.id}`, { prompt: "changed" });
    expect(patch.status).toBe(409);
    expect((await problemOf(patch)).code).toBe("spec_not_collecting");
    expect((await call(testEnv, user.token, "POST", `/api/specs/${spec.id}/messages`, { content: "more" })).status).toBe(409);

    // Execute: twice → 409; a project without a repository → the contract's 400.
    await json(await call(testEnv, user.token, "POST", `/api/specs/${spec.id}/execute`), 202);
    const twice = await call(testEnv, user.token, "POST", `/api/specs/${spec.id}/execute`);
    expect(twice.status).toBe(409);
    expect((await problemOf(twice)).code).toBe("spec_not_ready");
    const { project: bare } = await json(await call(testEnv, user.token, "POST", "/api/projects", { name: "No repo" }), 201);
    const { spec: bareSpec } = await json(await call(testEnv, user.token, "POST", "/api/specs", { projectId: bare.id, prompt: "Anything." }), 201);
    const collecting = await call(testEnv, user.token, "POST", `/api/specs/${bareSpec.id}/execute`);
    expect((await problemOf(collecting)).code).toBe("spec_not_ready");
    await json(await call(testEnv, user.token, "POST", `/api/specs/${bareSpec.id}/plan`), 200);
    const noRepo = await call(testEnv, user.token, "POST", `/api/specs/${bareSpec.id}/execute`);
    expect(noRepo.status).toBe(400);
    expect(await problemOf(noRepo)).toMatchObject({ code: "project_repo_missing", detail: "Project has no GitHub repository configured." });
    expect((await json(await call(testEnv, user.token, "GET", `/api/specs/${bareSpec.id}`), 200)).spec.status).toBe("ready");

    // GitHub disconnected after planning: the contract's 400, and the spec stays ready.
    const { project: p2 } = await json(await call(testEnv, user.token, "POST", "/api/projects", { name: "Two", githubRepo: `${login}/notes` }), 201);
    const { spec: s2 } = await json(await call(testEnv, user.token, "POST", "/api/specs", { projectId: p2.id, prompt: "Add notes." }), 201);
    await json(await call(testEnv, user.token, "POST", `/api/specs/${s2.id}/plan`), 200);
    await database(env).update(schema.integrations).set({ status: "disconnected" }).where(eq(schema.integrations.userId, user.userId));
    const noGithub = await call(testEnv, user.token, "POST", `/api/specs/${s2.id}/execute`);
    expect(noGithub.status).toBe(400);
    expect(await problemOf(noGithub)).toMatchObject({ code: "github_not_connected", detail: "GitHub not connected. Please connect GitHub first." });
    expect((await json(await call(testEnv, user.token, "GET", `/api/specs/${s2.id}`), 200)).spec.status).toBe("ready");

    // Another user's project and spec are 404 on every route.
    for (const [method, path] of [
      ["GET", `/api/projects/${project.id}`],
      ["DELETE", `/api/projects/${project.id}`],
      ["GET", `/api/specs/${spec.id}`],
      ["PATCH", `/api/specs/${spec.id}`],
      ["GET", `/api/specs/${spec.id}/messages`],
      ["POST", `/api/specs/${spec.id}/plan`],
      ["POST", `/api/specs/${spec.id}/execute`],
      ["GET", `/api/specs/${spec.id}/execution-status`],
      ["POST", `/api/specs/${spec.id}/create-pr`],
      ["GET", `/api/apps/${spec.id}`],
    ] as const) {
      const res = await call(testEnv, stranger.token, method, path, method === "PATCH" ? { prompt: "x" } : undefined);
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const { specs: strangers } = await json(await call(testEnv, stranger.token, "GET", "/api/specs"), 200);
    expect(strangers).toEqual([]);
    const foreign = await call(testEnv, stranger.token, "POST", "/api/specs", { projectId: project.id, prompt: "steal" });
    expect(foreign.status).toBe(400);
    expect((await problemOf(foreign)).code).toBe("project_not_found");
  });

  it("only admins delete a chat message; purge exists only with ALLOW_JOB_PURGE", async () => {
    const { env: testEnv } = specTestEnv();
    const user = await sandboxUser(["github"]);
    const { project } = await json(await call(testEnv, user.token, "POST", "/api/projects", { name: "P" }), 201);
    const { spec } = await json(await call(testEnv, user.token, "POST", "/api/specs", { projectId: project.id, prompt: "Something." }), 201);
    const { message } = await json(await call(testEnv, user.token, "POST", `/api/specs/${spec.id}/messages`, { content: "More detail." }), 200);
    const refused = await call(testEnv, user.token, "DELETE", `/api/specs/${spec.id}/messages/${message.id}`);
    expect(refused.status).toBe(403);
    await database(env).update(schema.users).set({ role: "admin" }).where(eq(schema.users.id, user.userId));
    expect((await call(testEnv, user.token, "DELETE", `/api/specs/${spec.id}/messages/${message.id}`)).status).toBe(204);
    expect((await json(await call(testEnv, user.token, "GET", `/api/specs/${spec.id}/messages`), 200)).messages).toHaveLength(1);

    const { specs: listed, purgeAllowed } = await json(await call(testEnv, user.token, "GET", `/api/specs?projectId=${project.id}`), 200);
    expect(listed).toHaveLength(1);
    expect(purgeAllowed).toBe(false);
    expect((await call(testEnv, user.token, "DELETE", "/api/specs")).status).toBe(404);
    const purgeEnv = { ...testEnv, ALLOW_JOB_PURGE: "true" };
    expect(await json(await call(purgeEnv, user.token, "DELETE", "/api/specs"), 200)).toEqual({ deleted: 1 });
    expect((await json(await call(testEnv, user.token, "GET", "/api/specs"), 200)).specs).toEqual([]);
  });
});
