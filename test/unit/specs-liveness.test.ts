import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEAD_AFTER_MS, IDLE_AFTER_MS, judgeRun, MAX_ATTEMPTS, startHeartbeat } from "../../worker/specs/liveness";
import { OfflineSpecPlanner, pathsIn, requirementsOf } from "../../worker/specs/offline-planner";
import { checkPath } from "../../worker/specs/git";
import { slugify, specBranchName } from "../../worker/contract/specs";

const NOW = Date.UTC(2026, 11, 5, 12);
const at = (msAgo: number) => new Date(NOW - msAgo);

describe("judgeRun", () => {
  it.each([
    ["beat now, worked now", 0, 0, 1, { state: "active" }],
    ["beat 90 s ago exactly", DEAD_AFTER_MS, 0, 1, { state: "active" }],
    ["beat 90 s + 1 ms ago", DEAD_AFTER_MS + 1, 0, 1, { state: "dead", retry: true }],
    ["dead on the last attempt", DEAD_AFTER_MS + 1, 0, MAX_ATTEMPTS, { state: "dead", retry: false }],
    ["dead on the attempt before the last", DEAD_AFTER_MS + 1, 0, MAX_ATTEMPTS - 1, { state: "dead", retry: true }],
    ["beating, no work for 5 min exactly", 0, IDLE_AFTER_MS, 1, { state: "active" }],
    ["beating, no work for over 5 min", 0, IDLE_AFTER_MS + 1, 1, { state: "idle" }],
    ["dead wins over idle", DEAD_AFTER_MS + 1, IDLE_AFTER_MS + 1, 1, { state: "dead", retry: true }],
  ] as const)("%s", (_name, beat, work, attempt, verdict) => {
    expect(judgeRun({ heartbeatAt: at(beat), lastWorkAt: at(work), attempt }, NOW)).toEqual(verdict);
  });

  it("a run that never beat is dead", () => {
    expect(judgeRun({ heartbeatAt: null, lastWorkAt: null, attempt: 1 }, NOW)).toEqual({ state: "dead", retry: true });
  });
});

describe("startHeartbeat", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("beats every interval until stopped", async () => {
    const beat = vi.fn(async () => true);
    const hb = startHeartbeat(beat, 15_000);
    await vi.advanceTimersByTimeAsync(14_999);
    expect(beat).toHaveBeenCalledTimes(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(beat).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(beat).toHaveBeenCalledTimes(3);
    hb.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(beat).toHaveBeenCalledTimes(3);
    expect(hb.lost()).toBe(false);
  });

  it("remembers a lost lease and stops beating", async () => {
    const beat = vi.fn(async () => false);
    const hb = startHeartbeat(beat, 1_000);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(beat).toHaveBeenCalledTimes(1);
    expect(hb.lost()).toBe(true);
  });

  it("a failed write is not a lost lease: it beats again", async () => {
    let n = 0;
    const beat = vi.fn(async () => {
      if (n++ === 0) throw new Error("D1 unavailable");
      return true;
    });
    const hb = startHeartbeat(beat, 1_000);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(beat).toHaveBeenCalledTimes(2);
    expect(hb.lost()).toBe(false);
    hb.stop();
  });
});

describe("branch names and paths", () => {
  it.each([
    ["Add a health endpoint", "add-a-health-endpoint"],
    ["  Ünïcödé — titles!  ", "unicode-titles"],
    ["***", "spec"],
    ["a".repeat(60), "a".repeat(40)],
    ["word ".repeat(20), "word-word-word-word-word-word-word-word"],
  ])("slugify(%j) = %j", (title, slug) => expect(slugify(title)).toBe(slug));

  it("names the branch spec/{id[:8]}-{slug}", () => {
    expect(specBranchName("0123abcd-ef45-6789-abcd-ef0123456789", "Add login")).toBe("spec/0123abcd-add-login");
  });

  it.each(["src/a.ts", "./docs/x.md", "a/b/c.txt"])("checkPath accepts %s", (p) => expect(() => checkPath(p)).not.toThrow());
  it.each(["/etc/passwd", "../x", "a/../b", ".git/config", ".github/workflows/ci.yml", "", "a//b"])("checkPath refuses %j", (p) => expect(() => checkPath(p)).toThrow(/may not change/));
});

describe("offline spec planner", () => {
  const planner = new OfflineSpecPlanner();

  it("keeps each sentence and list item as a requirement, and finds the paths named", () => {
    expect(requirementsOf("Add login. Use OAuth!\n- Store sessions in src/session.ts\n2) Test it")).toEqual(["Add login.", "Use OAuth!", "Store sessions in src/session.ts", "Test it"]);
    expect(pathsIn("Change `src/a.ts` and docs/b.md, not ../etc/x.ts or /abs.ts")).toEqual(["src/a.ts", "docs/b.md"]);
  });

  it("plans deterministically: requirements from the prompt and the person's messages, at most six tasks", async () => {
    const draft = {
      title: "Login",
      prompt: "Add login. Use OAuth.",
      messages: [
        { role: "user" as const, content: "Sessions live in src/session.ts." },
        { role: "assistant" as const, content: "Noted." },
      ],
    };
    const a = await planner.plan(draft);
    expect(await planner.plan(draft)).toEqual(a);
    expect(a.tasks.map((t) => t.title)).toEqual(["Add login", "Use OAuth", "Sessions live in src/session.ts"]);
    expect(a.tasks[2]!.files).toEqual(["src/session.ts"]);
    expect(a.prdMarkdown).toContain("## Refinements");
    expect(a.prdMarkdown).not.toContain("Noted.");
    const many = await planner.plan({ title: "Many", prompt: Array.from({ length: 20 }, (_, i) => `Requirement number ${i + 1}.`).join("\n"), messages: [] });
    expect(many.tasks).toHaveLength(6);
    expect(many.tasks.flatMap((t) => t.acceptanceCriteria).filter((c) => c.startsWith("Requirement"))).toHaveLength(20);
    const tiny = await planner.plan({ title: "x", prompt: "x", messages: [] });
    expect(tiny.tasks).toHaveLength(1);
  });

  it("implements by writing the spec document and scaffolding new files, never touching existing ones", async () => {
    const tasks = [
      { id: "t1", title: "Add session store", acceptanceCriteria: ["Sessions persist."], files: ["src/session.ts", "README.md"], status: "pending" as const, result: null, commitSha: null },
      { id: "t2", title: "Docs", acceptanceCriteria: ["Documented."], files: [], status: "pending" as const, result: null, commitSha: null },
    ];
    const work = await planner.implement({
      specId: "s1",
      slug: "login",
      title: "Login",
      prdMarkdown: "# Login\n",
      tasks,
      index: 0,
      repo: { repo: "o/r", branch: "b", paths: ["README.md"], read: async () => null },
    });
    expect(work.changes.map((c) => c.path)).toEqual(["docs/specs/login.md", "src/session.ts"]);
    expect(work.changes[0]!.content).toContain("- [x] 1. Add session store");
    expect(work.changes[0]!.content).toContain("- [ ] 2. Docs");
    expect(work.changes[0]!.content).toContain("offline planner");
    expect(work.changes[1]!.content.split("\n").every((l) => l === "" || l.startsWith("// "))).toBe(true);
  });
});
