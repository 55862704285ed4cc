import { Hono } from "hono";
import { agentSession } from "../agent/stub";
import { requireUser } from "../auth/middleware";
import { limitPerUser, TEMPLATE_START_PER_USER } from "../auth/rate-limit";
import {
  CreateTemplateBody,
  LegacyTemplate,
  ListTemplatesQuery,
  PatchTemplateBody,
  PreviewBody,
  type Template,
} from "../contract/templates";
import { database } from "../db/client";
import { deleteTemplate, findVisibleTemplate, insertTemplate, listTemplates, toTemplate, updateTemplate } from "../db/templates";
import type { Env } from "../env";
import { AppError } from "../errors";
import type { AppBindings } from "../http/types";
import { jsonBody, queryParams } from "../http/validate";
import { checkDefinition, fieldsOf } from "./definition";
import { convertLegacy } from "./legacy";
import { BUILTIN_TEMPLATES, builtinTemplate } from "./library";
import { previewTemplate, startTemplate } from "./start";

const notFound = () => new AppError(404, "template_not_found", "No such template.");

/** A built-in, the caller's own, or a public one; another user's private template and an unknown id are the same 404. */
async function visibleTemplate(env: Env, userId: string, id: string): Promise<Template> {
  const builtin = builtinTemplate(id);
  if (builtin) return builtin;
  const row = id.length <= 100 ? await findVisibleTemplate(database(env), userId, id) : undefined;
  if (!row) throw notFound();
  return toTemplate(row);
}

/** Only the owner changes a template; anyone else who can see it is told it is not theirs to change. */
async function ownTemplate(env: Env, userId: string, id: string): Promise<Template> {
  const template = await visibleTemplate(env, userId, id);
  if (template.ownerId !== userId) {
    throw new AppError(403, "template_read_only", template.ownerId === null ? "Built-in templates cannot be changed; import or copy one instead." : "Only its owner can change this template.");
  }
  return template;
}

export const templates = new Hono<AppBindings>()
  .use("*", requireUser)
  .get("/", queryParams(ListTemplatesQuery), async (c) => {
    const scope = c.req.valid("query").scope;
    const rows = await listTemplates(database(c.env), c.get("userId"), scope);
    const own = rows.map(toTemplate);
    return c.json({ templates: scope === "mine" ? own : [...own, ...BUILTIN_TEMPLATES] });
  })
  .post("/", jsonBody(CreateTemplateBody), async (c) => {
    const { fields, warnings } = checkDefinition(c.req.valid("json"));
    const row = await insertTemplate(database(c.env), crypto.randomUUID(), c.get("userId"), fields, Date.now());
    return c.json({ template: toTemplate(row), warnings }, 201);
  })
  .post("/import", jsonBody(LegacyTemplate), async (c) => {
    const { body, report } = convertLegacy(c.req.valid("json"));
    const { fields, warnings } = checkDefinition(body);
    const row = await insertTemplate(database(c.env), crypto.randomUUID(), c.get("userId"), fields, Date.now());
    return c.json({ template: toTemplate(row), report: [...report, ...warnings.map((w) => `Warning: ${w.message}.`)] }, 201);
  })
  .get("/:id", async (c) => {
    return c.json({ template: await visibleTemplate(c.env, c.get("userId"), c.req.param("id")) });
  })
  .patch("/:id", jsonBody(PatchTemplateBody), async (c) => {
    const userId = c.get("userId");
    const current = await ownTemplate(c.env, userId, c.req.param("id"));
    const change = c.req.valid("json");
    const { fields, warnings } = checkDefinition({ ...fieldsOf(current), ...change });
    const row = await updateTemplate(database(c.env), userId, current.id, current.version, fields, Date.now());
    if (!row) throw new AppError(409, "template_changed", "The template changed while this edit was made; load it again and redo the edit.");
    return c.json({ template: toTemplate(row), warnings });
  })
  .delete("/:id", async (c) => {
    const userId = c.get("userId");
    const template = await ownTemplate(c.env, userId, c.req.param("id"));
    if (!(await deleteTemplate(database(c.env), userId, template.id))) throw notFound();
    return c.body(null, 204);
  })
  .post("/:id/preview", jsonBody(PreviewBody), async (c) => {
    const template = await visibleTemplate(c.env, c.get("userId"), c.req.param("id"));
    return c.json(await previewTemplate(c.env, c.get("userId"), template, c.req.valid("json").variables));
  })
  .post("/:id/start", limitPerUser(TEMPLATE_START_PER_USER), jsonBody(PreviewBody), async (c) => {
    const userId = c.get("userId");
    const template = await visibleTemplate(c.env, userId, c.req.param("id"));
    const sessionId = crypto.randomUUID();
    const started = await startTemplate(c.env, userId, template, c.req.valid("json").variables, sessionId, agentSession(c.env, sessionId));
    return c.json(started, 201);
  });
