import { and, asc, desc, eq, inArray, lt, or, sql, isNull, isNotNull } from "drizzle-orm";
import type { AppSummary, Project, Spec, SpecLogEntry, SpecMessage, SpecTask } from "../contract/specs";
import type { Database } from "./client";
import { projects, specLog, specMessages, specRuns, specs } from "./schema";

/** Projects, specs, their chat, runs and build log: every query of the specs feature. */

export type ProjectRow = typeof projects.$inferSelect;
export type SpecRow = typeof specs.$inferSelect;
export type SpecRunRow = typeof specRuns.$inferSelect;

export function toProject(row: ProjectRow): Project {
  return {
    id: row.id,
    name: row.name,
    githubRepo: row.githubRepo,
    defaultBranch: row.defaultBranch,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toSpec(row: SpecRow): Spec {
  return {
    id: row.id,
    projectId: row.projectId,
    title: row.title,
    prompt: row.prompt,
    status: row.status as Spec["status"],
    currentPhase: (row.currentPhase as Spec["currentPhase"]) ?? null,
    prdMarkdown: row.prdMarkdown,
    tasks: JSON.parse(row.tasks) as SpecTask[],
    branchName: row.branchName,
    pullRequestUrl: row.pullRequestUrl,
    pullRequestNumber: row.pullRequestNumber,
    error: row.error,
    offline: row.offline,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toSpecMessage(row: typeof specMessages.$inferSelect): SpecMessage {
  return { id: row.id, specId: row.specId, role: row.role as SpecMessage["role"], content: row.content, createdAt: row.createdAt.toISOString() };
}

// ---------------------------------------------------------------- projects

export async function insertProject(db: Database, row: ProjectRow): Promise<ProjectRow> {
  await db.insert(projects).values(row);
  return row;
}

export function listProjects(db: Database, userId: string) {
  return db.select().from(projects).where(eq(projects.userId, userId)).orderBy(desc(projects.updatedAt)).limit(500);
}

export function findProject(db: Database, userId: string, id: string) {
  return db.query.projects.findFirst({ where: and(eq(projects.id, id), eq(projects.userId, userId)) });
}

export async function updateProject(db: Database, userId: string, id: string, fields: Partial<Pick<ProjectRow, "name" | "githubRepo" | "defaultBranch">>, now: number) {
  const [row] = await db
    .update(projects)
    .set({ ...fields, updatedAt: new Date(now) })
    .where(and(eq(projects.id, id), eq(projects.userId, userId)))
    .returning();
  return row;
}

export async function deleteProject(db: Database, userId: string, id: string): Promise<boolean> {
  const rows = await db.delete(projects).where(and(eq(projects.id, id), eq(projects.userId, userId))).returning({ id: projects.id });
  return rows.length > 0;
}

// ---------------------------------------------------------------- specs

export async function insertSpec(db: Database, row: SpecRow): Promise<SpecRow> {
  await db.insert(specs).values(row);
  return row;
}

export function findSpec(db: Database, userId: string, id: string) {
  return db.query.specs.findFirst({ where: and(eq(specs.id, id), eq(specs.userId, userId)) });
}

export function findSpecById(db: Database, id: string) {
  return db.query.specs.findFirst({ where: eq(specs.id, id) });
}

export function listSpecs(db: Database, userId: string, projectId?: string) {
  return db
    .select()
    .from(specs)
    .where(projectId ? and(eq(specs.userId, userId), eq(specs.projectId, projectId)) : eq(specs.userId, userId))
    .orderBy(desc(specs.createdAt))
    .limit(500);
}

/** Changes a spec only when it is in one of `from` (when given): the status machine's writes are compare-and-set, so two writers cannot both move it. */
export async function updateSpec(
  db: Database,
  id: string,
  fields: Partial<Omit<SpecRow, "id" | "userId" | "projectId" | "createdAt">>,
  now: number,
  from?: readonly string[],
): Promise<SpecRow | undefined> {
  const [row] = await db
    .update(specs)
    .set({ ...fields, updatedAt: new Date(now) })
    .where(from ? and(eq(specs.id, id), inArray(specs.status, [...from])) : eq(specs.id, id))
    .returning();
  return row;
}

export async function deleteSpecsOf(db: Database, userId: string): Promise<number> {
  const rows = await db.delete(specs).where(eq(specs.userId, userId)).returning({ id: specs.id });
  return rows.length;
}

/** Specs whose pull request a GitHub delivery is about. */
export function findSpecsByPullRequest(db: Database, branchName: string, number: number) {
  return db
    .select()
    .from(specs)
    .where(and(eq(specs.branchName, branchName), eq(specs.pullRequestNumber, number)))
    .limit(50);
}

/** Apps: specs whose PRD is ready, with their project. */
export async function listApps(db: Database, userId: string, id?: string): Promise<AppSummary[]> {
  const rows = await db
    .select({ spec: specs, project: projects })
    .from(specs)
    .innerJoin(projects, eq(projects.id, specs.projectId))
    .where(and(eq(specs.userId, userId), isNotNull(specs.prdMarkdown), id ? eq(specs.id, id) : undefined))
    .orderBy(desc(specs.updatedAt))
    .limit(500);
  return rows.map(({ spec, project }) => {
    const tasks = JSON.parse(spec.tasks) as SpecTask[];
    return {
      id: spec.id,
      title: spec.title,
      status: spec.status as AppSummary["status"],
      projectId: project.id,
      projectName: project.name,
      githubRepo: project.githubRepo,
      branchName: spec.branchName,
      pullRequestUrl: spec.pullRequestUrl,
      pullRequestNumber: spec.pullRequestNumber,
      taskCount: tasks.length,
      tasksDone: tasks.filter((t) => t.status === "done").length,
      updatedAt: spec.updatedAt.toISOString(),
    };
  });
}

// ---------------------------------------------------------------- messages

export async function insertSpecMessages(db: Database, rows: Array<typeof specMessages.$inferInsert>) {
  if (rows.length) await db.insert(specMessages).values(rows);
}

export async function listSpecMessages(db: Database, specId: string) {
  return (await db.select().from(specMessages).where(eq(specMessages.specId, specId)).orderBy(asc(specMessages.createdAt), asc(specMessages.id)).limit(1000)).map(toSpecMessage);
}

export async function deleteSpecMessage(db: Database, specId: string, id: string): Promise<boolean> {
  const rows = await db.delete(specMessages).where(and(eq(specMessages.specId, specId), eq(specMessages.id, id))).returning({ id: specMessages.id });
  return rows.length > 0;
}

// ---------------------------------------------------------------- runs

export function findRun(db: Database, specId: string) {
  return db.query.specRuns.findFirst({ where: eq(specRuns.specId, specId) });
}

/** Starts (or starts over) the run of a spec at `phase`, attempt 1, with no lease. */
export async function startRun(db: Database, specId: string, userId: string, phase: string, checkpoint: unknown, now: number) {
  const at = new Date(now);
  await db
    .insert(specRuns)
    .values({ specId, userId, phase, attempt: 1, state: "running", runnerState: "active", heartbeatAt: at, lastWorkAt: at, checkpoint: JSON.stringify(checkpoint), startedAt: at, updatedAt: at })
    .onConflictDoUpdate({
      target: specRuns.specId,
      set: { phase, attempt: 1, state: "running", runnerState: "active", leaseId: null, leaseUntil: null, heartbeatAt: at, lastWorkAt: at, checkpoint: JSON.stringify(checkpoint), updatedAt: at },
    });
}

/**
 * Takes the lease of a run for one phase and attempt: only when the run is
 * at that phase and attempt and nobody holds a live lease. A redelivered or
 * stale message finds nothing to take and does no work.
 */
export async function acquireLease(db: Database, specId: string, phase: string, attempt: number, leaseId: string, now: number, leaseMs: number) {
  const [row] = await db
    .update(specRuns)
    .set({ leaseId, leaseUntil: new Date(now + leaseMs), heartbeatAt: new Date(now), runnerState: "active", updatedAt: new Date(now) })
    .where(
      and(
        eq(specRuns.specId, specId),
        eq(specRuns.phase, phase),
        eq(specRuns.attempt, attempt),
        eq(specRuns.state, "running"),
        or(isNull(specRuns.leaseId), lt(specRuns.leaseUntil, new Date(now))),
      ),
    )
    .returning();
  return row;
}

/** A write of the lease holder; none when the lease was taken from it (the watch gave its phase to another attempt). */
export async function writeAsHolder(
  db: Database,
  specId: string,
  leaseId: string,
  fields: Partial<Pick<SpecRunRow, "heartbeatAt" | "lastWorkAt" | "leaseUntil" | "checkpoint" | "phase" | "attempt" | "state" | "runnerState" | "leaseId">>,
  now: number,
): Promise<boolean> {
  const rows = await db
    .update(specRuns)
    .set({ ...fields, updatedAt: new Date(now) })
    .where(and(eq(specRuns.specId, specId), eq(specRuns.leaseId, leaseId)))
    .returning({ specId: specRuns.specId });
  return rows.length > 0;
}

export function runningRuns(db: Database, limit = 200) {
  return db.select().from(specRuns).where(eq(specRuns.state, "running")).orderBy(asc(specRuns.heartbeatAt)).limit(limit);
}

/** The watch's compare-and-set: changes a run only if it is still at the attempt the watch judged. */
export async function updateRunIf(db: Database, specId: string, attempt: number, fields: Partial<SpecRunRow>, now: number) {
  const rows = await db
    .update(specRuns)
    .set({ ...fields, updatedAt: new Date(now) })
    .where(and(eq(specRuns.specId, specId), eq(specRuns.attempt, attempt), eq(specRuns.state, "running")))
    .returning({ specId: specRuns.specId });
  return rows.length > 0;
}

export async function setRunState(db: Database, specId: string, fields: Partial<SpecRunRow>, now: number) {
  await db.update(specRuns).set({ ...fields, updatedAt: new Date(now) }).where(eq(specRuns.specId, specId));
}

// ---------------------------------------------------------------- build log

export const MAX_LOG_ENTRIES = 200;

export async function appendSpecLog(db: Database, specId: string, entry: Omit<SpecLogEntry, "at">, now: number) {
  await db.run(
    sql`INSERT INTO spec_log (spec_id, seq, kind, event, phase, message, at)
        SELECT ${specId}, coalesce(max(seq), 0) + 1, ${entry.kind}, ${entry.event}, ${entry.phase}, ${entry.message}, ${now}
        FROM spec_log WHERE spec_id = ${specId}`,
  );
}

export async function readSpecLog(db: Database, specId: string): Promise<SpecLogEntry[]> {
  const rows = await db.select().from(specLog).where(eq(specLog.specId, specId)).orderBy(desc(specLog.seq)).limit(MAX_LOG_ENTRIES);
  return rows.reverse().map((r) => ({ at: r.at.toISOString(), kind: r.kind as SpecLogEntry["kind"], event: r.event, phase: r.phase, message: r.message }));
}
