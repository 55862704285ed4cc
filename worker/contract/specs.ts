import { z } from "zod";

/**
 * Projects, specs and apps as the API and the web app see them (the
 * "Projects, specs, apps" routes). One definition: the worker answers with
 * these shapes and the web app parses what it receives with them.
 */

/** `owner/name` as GitHub spells repositories. */
export const GITHUB_REPO = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
/** A branch name GitHub accepts (refs/heads/… without the prefix); conservative. */
export const BRANCH_NAME = /^(?!\/|.*\/\/|.*\.\.|.*\/$|.*\.lock$)[A-Za-z0-9._/-]{1,200}$/;

export const ProjectInput = z
  .object({
    name: z.string().trim().min(1, "a project needs a name").max(100),
    /** Optional: a project without a repository can collect and plan specs, not execute them. */
    githubRepo: z.string().trim().regex(GITHUB_REPO, "a repository is written owner/name, as on GitHub").optional(),
    defaultBranch: z.string().trim().regex(BRANCH_NAME, "not a branch name GitHub accepts").optional(),
  })
  .strict();
export const ProjectPatch = ProjectInput.partial().strict();

export const Project = z.object({
  id: z.string(),
  name: z.string(),
  githubRepo: z.string().nullable(),
  defaultBranch: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Project = z.infer<typeof Project>;

export const SPEC_STATUSES = ["collecting", "ready", "queued", "executing", "pr_created", "merged", "closed", "failed", "cancelled"] as const;
export const SpecStatus = z.enum(SPEC_STATUSES);
export type SpecStatus = z.infer<typeof SpecStatus>;

/** The runner's phases, in order; `pr` is the pull request step after them. */
export const SPEC_PHASES = ["explore", "implement", "verify"] as const;
export const SpecPhase = z.enum(SPEC_PHASES);
export type SpecPhase = z.infer<typeof SpecPhase>;
export const CurrentPhase = z.enum([...SPEC_PHASES, "pr"]);
export type CurrentPhase = z.infer<typeof CurrentPhase>;

export const SpecTask = z.object({
  id: z.string(),
  title: z.string(),
  acceptanceCriteria: z.array(z.string()),
  /** Files the task is likely to touch, as the plan guessed them. */
  files: z.array(z.string()),
  status: z.enum(["pending", "done", "failed"]),
  /** What doing the task produced, in a line (set when done). */
  result: z.string().nullable(),
  commitSha: z.string().nullable(),
});
export type SpecTask = z.infer<typeof SpecTask>;

export const Spec = z.object({
  id: z.string(),
  projectId: z.string(),
  title: z.string(),
  prompt: z.string(),
  status: SpecStatus,
  currentPhase: CurrentPhase.nullable(),
  prdMarkdown: z.string().nullable(),
  tasks: z.array(SpecTask),
  branchName: z.string().nullable(),
  pullRequestUrl: z.string().nullable(),
  pullRequestNumber: z.number().int().nullable(),
  /** Why the spec failed, in words a person can act on (status `failed`). */
  error: z.string().nullable(),
  /** True when the plan and the execution came from the offline planner, not a language model. */
  offline: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Spec = z.infer<typeof Spec>;

export const SpecInput = z
  .object({
    projectId: z.string().min(1).max(64),
    prompt: z.string().trim().min(1, "say what you want built").max(20_000),
    title: z.string().trim().min(1).max(120).optional(),
  })
  .strict();
export const SpecPatch = z.object({ prompt: z.string().trim().min(1, "say what you want built").max(20_000) }).strict();

export const SpecMessage = z.object({
  id: z.string(),
  specId: z.string(),
  role: z.enum(["user", "assistant"]),
  content: z.string(),
  createdAt: z.string(),
});
export type SpecMessage = z.infer<typeof SpecMessage>;
export const SpecMessageInput = z.object({ content: z.string().trim().min(1, "write a message").max(10_000) }).strict();

export const RunnerState = z.enum(["active", "idle", "dead"]);
export type RunnerState = z.infer<typeof RunnerState>;

/** One line of a spec's build log (the `spec` and `step` frames it published, kept for a reload). */
export const SpecLogEntry = z.object({
  at: z.string(),
  kind: z.enum(["spec", "step", "error"]),
  /** `spec.phase_started` etc. for `spec`, the agent for `step`, the code for `error`. */
  event: z.string(),
  phase: z.string().nullable(),
  message: z.string(),
});
export type SpecLogEntry = z.infer<typeof SpecLogEntry>;

export const ExecutionStatus = z.object({
  specId: z.string(),
  status: SpecStatus,
  currentPhase: CurrentPhase.nullable(),
  /** null until the spec has been executed once. */
  runner: z
    .object({
      state: RunnerState,
      heartbeatAt: z.string().nullable(),
      lastWorkAt: z.string().nullable(),
    })
    .nullable(),
  /** Attempts of the current phase (1 on the first run; a retry after a dead runner adds one). */
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  lastEvent: SpecLogEntry.nullable(),
  /** Newest last, at most 200. */
  log: z.array(SpecLogEntry),
});
export type ExecutionStatus = z.infer<typeof ExecutionStatus>;

export const ExecuteAccepted = z.object({ specId: z.string(), status: z.literal("executing"), currentPhase: z.literal("explore") });

/** An app is a spec whose PRD is ready, shown with its project. */
export const AppSummary = z.object({
  id: z.string(),
  title: z.string(),
  status: SpecStatus,
  projectId: z.string(),
  projectName: z.string(),
  githubRepo: z.string().nullable(),
  branchName: z.string().nullable(),
  pullRequestUrl: z.string().nullable(),
  pullRequestNumber: z.number().int().nullable(),
  taskCount: z.number().int(),
  tasksDone: z.number().int(),
  updatedAt: z.string(),
});
export type AppSummary = z.infer<typeof AppSummary>;

export const ProjectResponse = z.object({ project: Project });
export const ProjectList = z.object({ projects: z.array(Project) });
export const SpecResponse = z.object({ spec: Spec });
/** `GET /api/specs?projectId=`: `purgeAllowed` says whether `DELETE /api/specs` is on (ALLOW_JOB_PURGE). */
export const SpecList = z.object({ specs: z.array(Spec), purgeAllowed: z.boolean() });
export const SpecMessageList = z.object({ messages: z.array(SpecMessage) });
/** `POST /api/specs/{id}/messages`: the person's message and the agent's answer. */
export const SpecMessageReply = z.object({ message: SpecMessage, reply: SpecMessage });
export const AppList = z.object({ apps: z.array(AppSummary) });
export const AppResponse = z.object({ app: AppSummary, spec: Spec, project: Project });
export const PurgeResult = z.object({ deleted: z.number().int() });

/** `spec/{first 8 of id}-{slug}`: the slug is the title, lower case, words joined by `-`, at most 40 characters. */
export function slugify(title: string): string {
  const slug = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return slug || "spec";
}

export function specBranchName(specId: string, title: string): string {
  return `spec/${specId.slice(0, 8)}-${slugify(title)}`;
}
