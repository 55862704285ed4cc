import { and, desc, eq, or, sql } from "drizzle-orm";
import type { Template, TemplateVariable } from "../contract/templates";
import type { Database } from "./client";
import { templates } from "./schema";

export type TemplateRow = typeof templates.$inferSelect;

export function toTemplate(row: TemplateRow): Template {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    body: row.body,
    variables: JSON.parse(row.variables) as TemplateVariable[],
    requiredIntegrations: JSON.parse(row.requiredIntegrations),
    optionalIntegrations: JSON.parse(row.optionalIntegrations),
    steps: JSON.parse(row.steps),
    visibility: row.visibility as Template["visibility"],
    ownerId: row.ownerId,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export interface TemplateFields {
  title: string;
  description: string;
  body: string;
  variables: TemplateVariable[];
  requiredIntegrations: string[];
  optionalIntegrations: string[];
  steps: string[];
  visibility: Template["visibility"];
}

function columns(fields: Partial<TemplateFields>) {
  return {
    ...(fields.title !== undefined ? { title: fields.title } : {}),
    ...(fields.description !== undefined ? { description: fields.description } : {}),
    ...(fields.body !== undefined ? { body: fields.body } : {}),
    ...(fields.variables !== undefined ? { variables: JSON.stringify(fields.variables) } : {}),
    ...(fields.requiredIntegrations !== undefined ? { requiredIntegrations: JSON.stringify(fields.requiredIntegrations) } : {}),
    ...(fields.optionalIntegrations !== undefined ? { optionalIntegrations: JSON.stringify(fields.optionalIntegrations) } : {}),
    ...(fields.steps !== undefined ? { steps: JSON.stringify(fields.steps) } : {}),
    ...(fields.visibility !== undefined ? { visibility: fields.visibility } : {}),
  };
}

export async function insertTemplate(db: Database, id: string, ownerId: string, fields: TemplateFields, now: number): Promise<TemplateRow> {
  const [row] = await db
    .insert(templates)
    .values({ id, ownerId, ...columns(fields), title: fields.title, body: fields.body, version: 1, createdAt: new Date(now), updatedAt: new Date(now) })
    .returning();
  return row!;
}

/** The template when the caller may see it: their own, or anyone's public one. Another user's private template is not there. */
export async function findVisibleTemplate(db: Database, userId: string, id: string): Promise<TemplateRow | undefined> {
  return db
    .select()
    .from(templates)
    .where(and(eq(templates.id, id), or(eq(templates.ownerId, userId), eq(templates.visibility, "public"))))
    .get();
}

export async function listTemplates(db: Database, userId: string, scope: "mine" | "public" | "all"): Promise<TemplateRow[]> {
  const where =
    scope === "mine"
      ? eq(templates.ownerId, userId)
      : scope === "public"
        ? eq(templates.visibility, "public")
        : or(eq(templates.ownerId, userId), eq(templates.visibility, "public"));
  return db.select().from(templates).where(where).orderBy(desc(templates.updatedAt)).limit(500).all();
}

/** Writes the change and bumps the version, only when the row is the owner's and still at `version` (a concurrent edit is not overwritten). */
export async function updateTemplate(db: Database, ownerId: string, id: string, version: number, fields: Partial<TemplateFields>, now: number): Promise<TemplateRow | undefined> {
  return db
    .update(templates)
    .set({ ...columns(fields), version: sql`${templates.version} + 1`, updatedAt: new Date(now) })
    .where(and(eq(templates.id, id), eq(templates.ownerId, ownerId), eq(templates.version, version)))
    .returning()
    .get();
}

export async function deleteTemplate(db: Database, ownerId: string, id: string): Promise<boolean> {
  const gone = await db
    .delete(templates)
    .where(and(eq(templates.id, id), eq(templates.ownerId, ownerId)))
    .returning({ id: templates.id })
    .all();
  return gone.length > 0;
}
