import type { Config } from "../config";
import type { SpecMessage, SpecTask } from "../contract/specs";
import { chatModelFor } from "../agent/models";
import type { ChatModel } from "../agent/model";
import { ModelSpecPlanner } from "./model-planner";
import { OfflineSpecPlanner } from "./offline-planner";

/**
 * The one interface the spec feature asks for words: a reply in the
 * refinement chat, the PRD and its tasks, and the file changes of one task.
 * Two implementations, chosen in one place (`specPlannerFor`): one over the
 * configured language model, and the offline planner (no key, no network),
 * which is deterministic and says in what it writes that it ran offline.
 */

export interface SpecDraft {
  title: string;
  prompt: string;
  messages: Pick<SpecMessage, "role" | "content">[];
}

export interface PlannedTask {
  title: string;
  acceptanceCriteria: string[];
  files: string[];
}

export interface SpecPlan {
  prdMarkdown: string;
  tasks: PlannedTask[];
}

/** What a task may look at while it is being implemented: the repository's paths and a reader of one file. */
export interface RepoView {
  repo: string;
  branch: string;
  paths: string[];
  read(path: string): Promise<string | null>;
}

export interface FileChange {
  path: string;
  content: string;
}

export interface TaskWork {
  changes: FileChange[];
  /** What was done, in a line, for the task list, the step frame and the pull request body. */
  summary: string;
}

export interface TaskContext {
  specId: string;
  slug: string;
  title: string;
  prdMarkdown: string;
  tasks: SpecTask[];
  /** Index of the task in `tasks`. */
  index: number;
  repo: RepoView;
}

export interface SpecPlanner {
  readonly offline: boolean;
  /** What the UI and the commits say made the plan ("Offline planner", "gpt-4o-mini"). */
  readonly label: string;
  reply(draft: SpecDraft): Promise<string>;
  plan(draft: SpecDraft): Promise<SpecPlan>;
  implement(ctx: TaskContext): Promise<TaskWork>;
}

export function specPlannerFor(cfg: Pick<Config, "openai">, model: ChatModel = chatModelFor(cfg)): SpecPlanner {
  return model.offline ? new OfflineSpecPlanner() : new ModelSpecPlanner(model);
}

/** The spec document every execution writes: the PRD and the task checklist. */
export const specDocPath = (slug: string) => `docs/specs/${slug}.md`;

export function checklist(tasks: Pick<SpecTask, "title" | "status" | "result">[]): string {
  return tasks.map((t, i) => `- [${t.status === "done" ? "x" : " "}] ${i + 1}. ${t.title}${t.result ? ` — ${t.result}` : ""}`).join("\n");
}

export function specDocument(ctx: Pick<TaskContext, "title" | "prdMarkdown" | "tasks">, note: string): string {
  return `${ctx.prdMarkdown.trim()}\n\n## Checklist\n\n${checklist(ctx.tasks)}\n\n---\n${note}\n`;
}
