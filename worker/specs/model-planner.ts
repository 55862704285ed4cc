import { z } from "zod";
import type { ChatModel, ModelMessage } from "../agent/model";
import { AppError } from "../errors";
import type { SpecDraft, SpecPlan, SpecPlanner, TaskContext, TaskWork } from "./planner";
import { specDocPath, specDocument } from "./planner";

/**
 * The spec planner over the configured language model (the same `ChatModel`
 * the agent uses). Plans and file changes are asked for as JSON and checked
 * with zod: an answer that does not parse is a clear error, never a guess.
 */

const MAX_FILE_CHARS = 12_000;
const MAX_FILES_READ = 6;

const Plan = z.object({
  prdMarkdown: z.string().min(1),
  tasks: z
    .array(z.object({ title: z.string().min(1).max(200), acceptanceCriteria: z.array(z.string()).max(20).default([]), files: z.array(z.string()).max(30).default([]) }))
    .min(1)
    .max(12),
});
const Work = z.object({
  changes: z.array(z.object({ path: z.string().min(1).max(300), content: z.string().max(200_000) })).max(20),
  summary: z.string().min(1).max(500),
});

function parseJson<T>(schema: z.ZodType<T>, text: string, what: string): T {
  const body = text.trim().replace(/^```(?:json)?\s*/i, "").replace(/```\s*$/, "");
  try {
    return schema.parse(JSON.parse(body));
  } catch {
    throw new AppError(502, "model_bad_answer", `The language model's ${what} was not the JSON asked for; try again.`);
  }
}

const conversation = (draft: SpecDraft): ModelMessage[] => [
  { role: "user", content: `Spec title: ${draft.title}\n\nPrompt:\n${draft.prompt}` },
  ...draft.messages.map((m): ModelMessage => (m.role === "user" ? { role: "user", content: m.content } : { role: "assistant", content: m.content })),
];

export class ModelSpecPlanner implements SpecPlanner {
  readonly offline = false;
  constructor(private readonly model: ChatModel) {}

  get label() {
    return this.model.label;
  }

  private async ask(messages: ModelMessage[]): Promise<string> {
    const res = await this.model.complete({ messages, tools: [] });
    if (res.finishReason === "error") throw new AppError(502, "model_failed", res.content || "The language model did not answer.");
    return res.content;
  }

  async reply(draft: SpecDraft): Promise<string> {
    return this.ask([
      {
        role: "system",
        content:
          "You help a person refine a software spec before it is planned and implemented as a GitHub pull request. Answer briefly: restate what changed, and ask at most two questions about what is still unclear (scope, acceptance criteria, files).",
      },
      ...conversation(draft),
    ]);
  }

  async plan(draft: SpecDraft): Promise<SpecPlan> {
    const text = await this.ask([
      {
        role: "system",
        content:
          'Write the product requirements document for this spec and split it into tasks. Answer with JSON only: {"prdMarkdown": string, "tasks": [{"title": string, "acceptanceCriteria": [string], "files": [string]}]} with 1 to 8 tasks, files as repository paths.',
      },
      ...conversation(draft),
    ]);
    return parseJson(Plan, text, "plan");
  }

  async implement(ctx: TaskContext): Promise<TaskWork> {
    const task = ctx.tasks[ctx.index]!;
    const wanted = task.files.filter((f) => ctx.repo.paths.includes(f)).slice(0, MAX_FILES_READ);
    const files: string[] = [];
    for (const path of wanted) {
      const text = await ctx.repo.read(path);
      if (text !== null) files.push(`--- ${path}\n${text.slice(0, MAX_FILE_CHARS)}`);
    }
    const text = await this.ask([
      {
        role: "system",
        content:
          'You implement one task of a spec in a GitHub repository. Answer with JSON only: {"changes": [{"path": string, "content": string}], "summary": string}; each change is the whole new content of one file.',
      },
      {
        role: "user",
        content: [
          `Repository ${ctx.repo.repo}, branch ${ctx.repo.branch}. Paths:\n${ctx.repo.paths.slice(0, 400).join("\n")}`,
          `PRD:\n${ctx.prdMarkdown}`,
          `Task ${ctx.index + 1}: ${task.title}\nAcceptance criteria:\n${task.acceptanceCriteria.map((c) => `- ${c}`).join("\n")}`,
          files.length ? `Current files:\n${files.join("\n\n")}` : "",
        ]
          .filter(Boolean)
          .join("\n\n"),
      },
    ]);
    const work = parseJson(Work, text, "changes");
    const done = ctx.tasks.map((t, i) => (i === ctx.index ? { ...t, status: "done" as const, result: work.summary } : t));
    const doc = { path: specDocPath(ctx.slug), content: specDocument({ ...ctx, tasks: done }, `Written by TaskPilot (${this.label}).`) };
    return { changes: [...work.changes.filter((c) => c.path !== doc.path), doc], summary: work.summary };
  }
}
