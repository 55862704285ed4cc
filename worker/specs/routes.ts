import { Hono } from "hono";
import { getConfig } from "../config";
import "./consumer";
import "./cron";
import { z } from "zod";
import { requireAdmin } from "../admin/routes";
import { requireUser } from "../auth/middleware";
import { limitPerUser, SPEC_CHAT_PER_USER } from "../auth/rate-limit";
import { ProjectInput, ProjectPatch, SpecInput, SpecMessageInput, SpecPatch, type ExecutionStatus } from "../contract/specs";
import { database } from "../db/client";
import {
  deleteProject,
  deleteSpecMessage,
  deleteSpecsOf,
  findProject,
  findRun,
  findSpec,
  insertProject,
  insertSpec,
  insertSpecMessages,
  listApps,
  listProjects,
  listSpecMessages,
  listSpecs,
  readSpecLog,
  toProject,
  toSpec,
  toSpecMessage,
  updateProject,
  updateSpec,
} from "../db/specs";
import type { Env } from "../env";
import { AppError } from "../errors";
import type { AppBindings } from "../http/types";
import { jsonBody, queryParams } from "../http/validate";
import { specEmitter } from "./events";
import { githubClientFor, githubFor, githubIsActive } from "./github";
import { createSpecBranch, startExecution } from "./lifecycle";
import { MAX_ATTEMPTS } from "./liveness";
import { specPlannerFor } from "./planner";
import { checkRepository } from "./projects";
import { openPullRequest } from "./pull-request";

const projectNotFound = () => new AppError(404, "project_not_found", "No such project.");
const specNotFound = () => new AppError(404, "spec_not_found", "No such spec.");
const ID = /^[A-Za-z0-9-]{1,64}$/;

async function ownProject(env: Env, userId: string, id: string) {
  const row = ID.test(id) ? await findProject(database(env), userId, id) : undefined;
  if (!row) throw projectNotFound();
  return row;
}

/** Another user's spec and an unknown id are the same 404. */
async function ownSpec(env: Env, userId: string, id: string) {
  const row = ID.test(id) ? await findSpec(database(env), userId, id) : undefined;
  if (!row) throw specNotFound();
  return row;
}

const notCollecting = (status: string) => new AppError(409, "spec_not_collecting", `The prompt and the refinement chat are open while a spec is collecting; this one is ${status}.`);

export const projects = new Hono<AppBindings>()
  .use("*", requireUser)
  .get("/", async (c) => c.json({ projects: (await listProjects(database(c.env), c.get("userId"))).map(toProject) }))
  .post("/", jsonBody(ProjectInput), async (c) => {
    const input = c.req.valid("json");
    const checked = input.githubRepo ? await checkRepository(c.env, c.get("userId"), input.githubRepo, input.defaultBranch) : { fullName: null, defaultBranch: input.defaultBranch ?? "main" };
    const now = new Date();
    const row = await insertProject(database(c.env), {
      id: crypto.randomUUID(),
      userId: c.get("userId"),
      name: input.name,
      githubRepo: checked.fullName,
      defaultBranch: checked.defaultBranch,
      createdAt: now,
      updatedAt: now,
    });
    return c.json({ project: toProject(row) }, 201);
  })
  .get("/:id", async (c) => c.json({ project: toProject(await ownProject(c.env, c.get("userId"), c.req.param("id"))) }))
  .patch("/:id", jsonBody(ProjectPatch), async (c) => {
    const current = await ownProject(c.env, c.get("userId"), c.req.param("id"));
    const input = c.req.valid("json");
    const fields: { name?: string; githubRepo?: string; defaultBranch?: string } = {};
    if (input.name !== undefined) fields.name = input.name;
    if (input.githubRepo !== undefined || input.defaultBranch !== undefined) {
      const checked = await checkRepository(c.env, c.get("userId"), input.githubRepo ?? current.githubRepo ?? "", input.defaultBranch ?? (input.githubRepo ? undefined : current.defaultBranch));
      fields.githubRepo = checked.fullName;
      fields.defaultBranch = checked.defaultBranch;
    }
    const row = await updateProject(database(c.env), c.get("userId"), current.id, fields, Date.now());
    if (!row) throw projectNotFound();
    return c.json({ project: toProject(row) });
  })
  .delete("/:id", async (c) => {
    if (!(ID.test(c.req.param("id")) && (await deleteProject(database(c.env), c.get("userId"), c.req.param("id"))))) throw projectNotFound();
    return c.body(null, 204);
  });

const ListSpecsQuery = z.object({ projectId: z.string().regex(ID).optional() });

export const specs = new Hono<AppBindings>()
  .use("*", requireUser)
  .get("/", queryParams(ListSpecsQuery), async (c) => {
    const rows = await listSpecs(database(c.env), c.get("userId"), c.req.valid("query").projectId);
    return c.json({ specs: rows.map(toSpec), purgeAllowed: c.get("config").allowJobPurge });
  })
  .delete("/", async (c) => {
    if (!c.get("config").allowJobPurge) throw new AppError(404, "not_found", "No route for DELETE /api/specs.");
    return c.json({ deleted: await deleteSpecsOf(database(c.env), c.get("userId")) });
  })
  .post("/", jsonBody(SpecInput), async (c) => {
    const input = c.req.valid("json");
    const project = await ownProject(c.env, c.get("userId"), input.projectId).catch(() => {
      throw new AppError(400, "project_not_found", "No such project; create the project first.");
    });
    const now = new Date();
    const row = await insertSpec(database(c.env), {
      id: crypto.randomUUID(),
      userId: c.get("userId"),
      projectId: project.id,
      title: input.title ?? titleFrom(input.prompt),
      prompt: input.prompt,
      status: "collecting",
      currentPhase: null,
      prdMarkdown: null,
      tasks: "[]",
      branchName: null,
      pullRequestUrl: null,
      pullRequestNumber: null,
      error: null,
      offline: false,
      createdAt: now,
      updatedAt: now,
    });
    return c.json({ spec: toSpec(row) }, 201);
  })
  .get("/:id", async (c) => c.json({ spec: toSpec(await ownSpec(c.env, c.get("userId"), c.req.param("id"))) }))
  .patch("/:id", jsonBody(SpecPatch), async (c) => {
    const spec = await ownSpec(c.env, c.get("userId"), c.req.param("id"));
    if (spec.status !== "collecting") throw notCollecting(spec.status);
    const row = await updateSpec(database(c.env), spec.id, { prompt: c.req.valid("json").prompt }, Date.now(), ["collecting"]);
    if (!row) throw notCollecting("no longer collecting");
    return c.json({ spec: toSpec(row) });
  })
  .get("/:id/messages", async (c) => {
    const spec = await ownSpec(c.env, c.get("userId"), c.req.param("id"));
    return c.json({ messages: await listSpecMessages(database(c.env), spec.id) });
  })
  .post("/:id/messages", limitPerUser(SPEC_CHAT_PER_USER), jsonBody(SpecMessageInput), async (c) => {
    const spec = await ownSpec(c.env, c.get("userId"), c.req.param("id"));
    if (spec.status !== "collecting") throw notCollecting(spec.status);
    const db = database(c.env);
    const history = await listSpecMessages(db, spec.id);
    const content = c.req.valid("json").content;
    const planner = specPlannerFor(getConfig(c.env));
    // The model answers first: a failed answer stores nothing, so the person can send the same message again.
    const reply = await planner.reply({ title: spec.title, prompt: spec.prompt, messages: [...history, { role: "user", content }] });
    const at = Date.now();
    const rows = [
      { id: crypto.randomUUID(), specId: spec.id, role: "user", content, createdAt: new Date(at) },
      { id: crypto.randomUUID(), specId: spec.id, role: "assistant", content: reply, createdAt: new Date(at + 1) },
    ];
    await insertSpecMessages(db, rows);
    const emit = specEmitter(c.env, c.get("userId"), spec.id);
    await emit.chat("user", "you", content, { messageId: rows[0]!.id });
    await emit.chat("assistant", planner.label, reply, { messageId: rows[1]!.id, offline: planner.offline });
    return c.json({ message: toSpecMessage(rows[0]!), reply: toSpecMessage(rows[1]!) });
  })
  .delete("/:id/messages/:messageId", requireAdmin, async (c) => {
    const spec = await ownSpec(c.env, c.get("userId"), c.req.param("id"));
    if (!(await deleteSpecMessage(database(c.env), spec.id, c.req.param("messageId")))) throw new AppError(404, "message_not_found", "No such message.");
    return c.body(null, 204);
  })
  .post("/:id/plan", async (c) => {
    const spec = await ownSpec(c.env, c.get("userId"), c.req.param("id"));
    if (spec.status !== "collecting" && spec.status !== "ready") throw new AppError(409, "spec_not_plannable", `A spec is planned while collecting or ready; this one is ${spec.status}.`);
    const planner = specPlannerFor(getConfig(c.env));
    const plan = await planner.plan({ title: spec.title, prompt: spec.prompt, messages: await listSpecMessages(database(c.env), spec.id) });
    const tasks = plan.tasks.map((t, i) => ({ id: `t${i + 1}`, ...t, status: "pending" as const, result: null, commitSha: null }));
    const row = await updateSpec(
      database(c.env),
      spec.id,
      { status: "ready", prdMarkdown: plan.prdMarkdown, tasks: JSON.stringify(tasks), offline: planner.offline },
      Date.now(),
      ["collecting", "ready"],
    );
    if (!row) throw new AppError(409, "spec_not_plannable", "The spec changed while it was being planned; reload it.");
    const emit = specEmitter(c.env, c.get("userId"), spec.id);
    await emit.app(toSpec(row));
    await emit.status("ready", `The plan is ready: ${tasks.length} task${tasks.length === 1 ? "" : "s"}.`);
    return c.json({ spec: toSpec(row) });
  })
  .post("/:id/execute", async (c) => {
    const userId = c.get("userId");
    const spec = await ownSpec(c.env, userId, c.req.param("id"));
    const project = await ownProject(c.env, userId, spec.projectId);
    const now = Date.now();
    await startExecution(c.env, spec, project, await githubIsActive(c.env, userId), {
      now,
      // startExecution checked the integration already (the contract's 400); no second read.
      github: async () => githubClientFor(c.env, userId),
      send: async (msg) => void (await c.env.SPEC_EXEC.send(msg)),
    });
    return c.json({ specId: spec.id, status: "executing" as const, currentPhase: "explore" as const }, 202);
  })
  .get("/:id/execution-status", async (c) => {
    const spec = await ownSpec(c.env, c.get("userId"), c.req.param("id"));
    const db = database(c.env);
    const [run, log] = await Promise.all([findRun(db, spec.id), readSpecLog(db, spec.id)]);
    const body: ExecutionStatus = {
      specId: spec.id,
      status: spec.status as ExecutionStatus["status"],
      currentPhase: (spec.currentPhase as ExecutionStatus["currentPhase"]) ?? null,
      runner: run
        ? { state: run.runnerState as "active" | "idle" | "dead", heartbeatAt: run.heartbeatAt?.toISOString() ?? null, lastWorkAt: run.lastWorkAt?.toISOString() ?? null }
        : null,
      attempts: run?.attempt ?? 0,
      maxAttempts: MAX_ATTEMPTS,
      lastEvent: log.at(-1) ?? null,
      log,
    };
    return c.json(body);
  })
  .post("/:id/create-branch", async (c) => {
    const userId = c.get("userId");
    const spec = await ownSpec(c.env, userId, c.req.param("id"));
    if (spec.status === "collecting") throw new AppError(409, "spec_not_ready", "Plan the spec before creating its branch.");
    const project = await ownProject(c.env, userId, spec.projectId);
    const { spec: row } = await createSpecBranch(c.env, spec, project, await githubFor(c.env, userId), Date.now());
    return c.json({ spec: toSpec(row) });
  })
  .post("/:id/create-pr", async (c) => {
    const userId = c.get("userId");
    const spec = await ownSpec(c.env, userId, c.req.param("id"));
    if (!spec.branchName) throw new AppError(409, "branch_missing", "The spec has no branch yet; create it first (create-branch).");
    const row = await openPullRequest(c.env, spec, await githubFor(c.env, userId));
    return c.json({ spec: toSpec(row) });
  });

export const apps = new Hono<AppBindings>()
  .use("*", requireUser)
  .get("/", async (c) => c.json({ apps: await listApps(database(c.env), c.get("userId")) }))
  .get("/:id", async (c) => {
    const userId = c.get("userId");
    const id = c.req.param("id");
    const [app] = ID.test(id) ? await listApps(database(c.env), userId, id) : [];
    if (!app) throw new AppError(404, "app_not_found", "No such app.");
    const spec = await ownSpec(c.env, userId, id);
    const project = await ownProject(c.env, userId, spec.projectId);
    return c.json({ app, spec: toSpec(spec), project: toProject(project) });
  });

/** A title from the prompt's first line when none is given. */
export function titleFrom(prompt: string): string {
  const first = prompt.trim().split(/\n/)[0]!.replace(/^#+\s*/, "").trim();
  return first.length <= 80 ? first : `${first.slice(0, 77).replace(/\s+\S*$/, "")}…`;
}
