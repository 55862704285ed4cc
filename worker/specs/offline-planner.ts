import type { FileChange, PlannedTask, SpecDraft, SpecPlan, SpecPlanner, TaskContext, TaskWork } from "./planner";
import { specDocPath, specDocument } from "./planner";

/**
 * The spec planner without a language model: deterministic, free, and plain
 * about it. It keeps every point the person makes as a requirement, turns
 * the requirements into tasks, and executes by writing the PRD and the task
 * checklist into the repository (`docs/specs/{slug}.md`) and scaffolding the
 * new files a task names. It never edits a file that exists: without a model
 * it cannot know what a change to it should be.
 */

export const OFFLINE_NOTE =
  "Written by TaskPilot's offline planner: no language model was configured (set OPENAI_API_KEY), so this records the plan and scaffolds new files; the code itself is still to be written.";

const MAX_TASKS = 6;
const PATH = /(?:^|[\s`'"(])((?:[\w.-]+\/)*[\w-]+\.(?:ts|tsx|js|jsx|mjs|cjs|json|md|css|html|py|go|rs|rb|java|kt|swift|sql|toml|yaml|yml|sh))(?=$|[\s`'"),.;:])/g;
const SCAFFOLD_COMMENT: Record<string, [string, string]> = {
  ts: ["// ", ""], tsx: ["// ", ""], js: ["// ", ""], jsx: ["// ", ""], mjs: ["// ", ""], cjs: ["// ", ""], go: ["// ", ""], rs: ["// ", ""],
  java: ["// ", ""], kt: ["// ", ""], swift: ["// ", ""], css: ["/* ", " */"], py: ["# ", ""], rb: ["# ", ""], sh: ["# ", ""], toml: ["# ", ""],
  yaml: ["# ", ""], yml: ["# ", ""], sql: ["-- ", ""], md: ["", ""], html: ["<!-- ", " -->"],
};

/** Sentences and list items of a text, each a requirement. */
export function requirementsOf(text: string): string[] {
  return text
    .split(/\n+|(?<=[.!?])\s+(?=[A-Z0-9])/)
    .map((s) => s.replace(/^\s*(?:[-*•]|\d+[.)])\s*/, "").trim().replace(/\s+/g, " "))
    .filter((s) => s.length >= 3);
}

export function pathsIn(text: string): string[] {
  return [...new Set([...text.matchAll(PATH)].map((m) => m[1]!).filter((p) => !p.startsWith("/") && !p.includes("..")))];
}

const sentence = (s: string) => (/[.!?]$/.test(s) ? s : `${s}.`);
const clipTitle = (s: string) => {
  const t = s.replace(/[.!?]+$/, "");
  return t.length <= 80 ? t : `${t.slice(0, 77).replace(/\s+\S*$/, "")}…`;
};

export class OfflineSpecPlanner implements SpecPlanner {
  readonly offline = true;
  readonly label = "Offline planner";

  async reply(draft: SpecDraft): Promise<string> {
    const last = [...draft.messages].reverse().find((m) => m.role === "user");
    const points = requirementsOf(last?.content ?? "");
    const all = this.requirements(draft);
    const files = pathsIn([draft.prompt, ...draft.messages.map((m) => m.content)].join("\n"));
    const lines = [
      points.length ? `Noted ${points.length === 1 ? "one point" : `${points.length} points`} for the plan:` : "I did not find a requirement in that message.",
      ...points.map((p) => `- ${sentence(p)}`),
      "",
      `The spec now has ${all.length} requirement${all.length === 1 ? "" : "s"}${files.length ? ` and names ${files.map((f) => `\`${f}\``).join(", ")}` : ""}.`,
      files.length ? "" : "Naming the files to add or change (for example `src/feature.ts`) lets the plan say where each task lands.",
      "When it reads right, press **Plan** to write the PRD and the tasks.",
      "",
      "_Offline planner: I keep your points as requirements; a language model (OPENAI_API_KEY) would also ask questions back._",
    ];
    return lines.filter((l, i, a) => !(l === "" && a[i - 1] === "")).join("\n").trim();
  }

  async plan(draft: SpecDraft): Promise<SpecPlan> {
    const requirements = this.requirements(draft);
    const groups = group(requirements, MAX_TASKS);
    const tasks: PlannedTask[] = groups.map((reqs) => ({
      title: clipTitle(reqs[0]!),
      acceptanceCriteria: [...reqs.map(sentence), "The change is covered by a test or a documented manual check."],
      files: pathsIn(reqs.join("\n")),
    }));
    const prd = [
      `# ${draft.title}`,
      "",
      "## Summary",
      "",
      draft.prompt.trim(),
      "",
      "## Requirements",
      "",
      ...requirements.map((r, i) => `${i + 1}. ${sentence(r)}`),
      ...(draft.messages.some((m) => m.role === "user")
        ? ["", "## Refinements", "", ...draft.messages.filter((m) => m.role === "user").map((m) => `- ${m.content.trim().replace(/\n+/g, " ")}`)]
        : []),
      "",
      "## Tasks",
      "",
      ...tasks.flatMap((t, i) => [`### ${i + 1}. ${t.title}`, "", ...t.acceptanceCriteria.map((c) => `- [ ] ${c}`), ...(t.files.length ? ["", `Files: ${t.files.map((f) => `\`${f}\``).join(", ")}`] : []), ""]),
      "## Notes",
      "",
      `Planned by TaskPilot's offline planner from the prompt and the refinement chat (no language model was configured).`,
    ];
    return { prdMarkdown: prd.join("\n").trim() + "\n", tasks };
  }

  async implement(ctx: TaskContext): Promise<TaskWork> {
    const task = ctx.tasks[ctx.index]!;
    const done = ctx.tasks.map((t, i) => (i === ctx.index ? { ...t, status: "done" as const, result: "recorded; code to be written" } : t));
    const changes: FileChange[] = [{ path: specDocPath(ctx.slug), content: specDocument({ ...ctx, tasks: done }, OFFLINE_NOTE) }];
    const existing = new Set(ctx.repo.paths);
    const scaffolded: string[] = [];
    for (const path of task.files) {
      const ext = path.split(".").pop()!.toLowerCase();
      const comment = SCAFFOLD_COMMENT[ext];
      if (existing.has(path) || !comment || path === changes[0]!.path) continue;
      const [open, close] = comment;
      const body = [`${task.title}`, `Spec: ${ctx.title} (${specDocPath(ctx.slug)})`, ...task.acceptanceCriteria.map((c) => `- ${c}`), "Scaffolded by TaskPilot's offline planner; not implemented yet."];
      changes.push({ path, content: body.map((l) => `${open}${l}${close}`).join("\n") + "\n" });
      scaffolded.push(path);
    }
    return {
      changes,
      summary: scaffolded.length ? `recorded in the spec document; scaffolded ${scaffolded.join(", ")}` : "recorded in the spec document (offline: no code written)",
    };
  }

  private requirements(draft: SpecDraft): string[] {
    const all = [...requirementsOf(draft.prompt), ...draft.messages.filter((m) => m.role === "user").flatMap((m) => requirementsOf(m.content))];
    const seen = new Set<string>();
    if (all.length === 0) all.push(draft.prompt.trim());
    return all.filter((r) => {
      const key = r.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
}

/** At most `n` groups, in order, sizes differing by at most one. */
function group<T>(items: T[], n: number): T[][] {
  if (items.length === 0) return [];
  const count = Math.min(n, items.length);
  const size = Math.floor(items.length / count);
  let extra = items.length % count;
  const out: T[][] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const take = size + (extra-- > 0 ? 1 : 0);
    out.push(items.slice(at, at + take));
    at += take;
  }
  return out;
}
