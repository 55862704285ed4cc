import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./accounts";

/** Projects: a name and the GitHub repository specs of the project become pull requests in. */
export const projects = sqliteTable(
  "projects",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    githubRepo: text("github_repo"),
    defaultBranch: text("default_branch").notNull().default("main"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("projects_user_idx").on(t.userId, t.updatedAt)],
);

/**
 * Specs. `tasks` is the plan's task list as JSON (worker/contract/specs.ts
 * SpecTask); the runner marks tasks done in it as their commits land.
 */
export const specs = sqliteTable(
  "specs",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    title: text("title").notNull(),
    prompt: text("prompt").notNull(),
    status: text("status").notNull().default("collecting"),
    currentPhase: text("current_phase"),
    prdMarkdown: text("prd_markdown"),
    tasks: text("tasks").notNull().default("[]"),
    branchName: text("branch_name"),
    pullRequestUrl: text("pull_request_url"),
    pullRequestNumber: integer("pull_request_number"),
    error: text("error"),
    offline: integer("offline", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("specs_user_idx").on(t.userId, t.updatedAt), index("specs_project_idx").on(t.projectId, t.createdAt), index("specs_branch_idx").on(t.branchName)],
);

/** The refinement chat of a spec while it is collecting. */
export const specMessages = sqliteTable(
  "spec_messages",
  {
    id: text("id").primaryKey(),
    specId: text("spec_id")
      .notNull()
      .references(() => specs.id, { onDelete: "cascade" }),
    role: text("role").notNull(),
    content: text("content").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("spec_messages_spec_idx").on(t.specId, t.createdAt)],
);

/**
 * The execution of a spec: one row per spec, the runner's lease and
 * heartbeat, the phase it is in and the attempt, and the checkpoint a retry
 * continues from. The cron watch reads it to tell a live runner from a dead one.
 */
export const specRuns = sqliteTable("spec_runs", {
  specId: text("spec_id")
    .primaryKey()
    .references(() => specs.id, { onDelete: "cascade" }),
  userId: text("user_id").notNull(),
  phase: text("phase").notNull(),
  attempt: integer("attempt").notNull().default(1),
  /** `running` while a phase is worked or queued, `done` after the last phase, `failed` when it gave up. */
  state: text("state").notNull().default("running"),
  /** active / idle / dead as the watch last judged it. */
  runnerState: text("runner_state").notNull().default("active"),
  leaseId: text("lease_id"),
  leaseUntil: integer("lease_until", { mode: "timestamp_ms" }),
  heartbeatAt: integer("heartbeat_at", { mode: "timestamp_ms" }),
  lastWorkAt: integer("last_work_at", { mode: "timestamp_ms" }),
  /** JSON: what the phases produced so far (worker/specs/checkpoint.ts). */
  checkpoint: text("checkpoint").notNull().default("{}"),
  startedAt: integer("started_at", { mode: "timestamp_ms" }).notNull(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

/** The build log of a spec: the `spec`, `step` and `error` frames it published, for a page opened later. */
export const specLog = sqliteTable(
  "spec_log",
  {
    specId: text("spec_id")
      .notNull()
      .references(() => specs.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    kind: text("kind").notNull(),
    event: text("event").notNull(),
    phase: text("phase"),
    message: text("message").notNull(),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.specId, t.seq] })],
);
