import { and, asc, desc, eq, gte } from "drizzle-orm";
import type { Message, Session } from "../contract/agent";
import type { Database } from "./client";
import { agentMessages, agentSessions } from "./schema";

export type AgentSessionRow = typeof agentSessions.$inferSelect;
export type AgentMessageRow = typeof agentMessages.$inferSelect;

const MICRO = 1_000_000;

export function toSession(row: AgentSessionRow): Session {
  return {
    id: row.id,
    title: row.title,
    status: row.status as Session["status"],
    templateId: row.templateId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    lastCheckpointId: row.lastCheckpointId,
    usage: { promptTokens: row.promptTokens, completionTokens: row.completionTokens, costUsd: row.costMicroUsd / MICRO },
  };
}

export function toMessage(row: AgentMessageRow): Message {
  return {
    id: row.id,
    sessionId: row.sessionId,
    role: row.role as Message["role"],
    content: row.content,
    steps: JSON.parse(row.steps),
    usage: row.usage ? JSON.parse(row.usage) : null,
    metadata: JSON.parse(row.metadata),
    createdAt: row.createdAt.toISOString(),
  };
}

/** The session only when it is this user's: another user's id and an unknown one look the same. */
export async function findUserSession(db: Database, userId: string, id: string): Promise<AgentSessionRow | undefined> {
  return db
    .select()
    .from(agentSessions)
    .where(and(eq(agentSessions.id, id), eq(agentSessions.userId, userId)))
    .get();
}

export async function listUserSessions(db: Database, userId: string, limit = 500): Promise<AgentSessionRow[]> {
  return db.select().from(agentSessions).where(eq(agentSessions.userId, userId)).orderBy(desc(agentSessions.updatedAt)).limit(limit).all();
}

export async function listUserMessages(db: Database, userId: string): Promise<AgentMessageRow[]> {
  return db.select().from(agentMessages).where(eq(agentMessages.userId, userId)).orderBy(asc(agentMessages.sessionId), asc(agentMessages.seq)).all();
}

/**
 * Brings the mirror in line with the Durable Object's state in one batch:
 * the session row, the messages it holds (each written once, they never
 * change), and no rows past them (what a restore dropped).
 */
export async function mirrorSession(db: Database, userId: string, session: Session, messages: Message[]): Promise<void> {
  const values = {
    id: session.id,
    userId,
    title: session.title,
    status: session.status,
    templateId: session.templateId,
    lastCheckpointId: session.lastCheckpointId,
    promptTokens: session.usage.promptTokens,
    completionTokens: session.usage.completionTokens,
    costMicroUsd: Math.round(session.usage.costUsd * MICRO),
    createdAt: new Date(session.createdAt),
    updatedAt: new Date(session.updatedAt),
  };
  const { id: _id, userId: _u, createdAt: _c, ...changes } = values;
  const upsert = db.insert(agentSessions).values(values).onConflictDoUpdate({ target: agentSessions.id, set: changes });
  const trim = db.delete(agentMessages).where(and(eq(agentMessages.sessionId, session.id), gte(agentMessages.seq, messages.length)));
  const rows = messages.map((m, seq) =>
    db
      .insert(agentMessages)
      .values({
        id: m.id,
        sessionId: session.id,
        userId,
        seq,
        role: m.role,
        content: m.content,
        steps: JSON.stringify(m.steps),
        usage: m.usage ? JSON.stringify(m.usage) : null,
        metadata: JSON.stringify(m.metadata),
        createdAt: new Date(m.createdAt),
      })
      .onConflictDoUpdate({ target: agentMessages.id, set: { seq } }),
  );
  await db.batch([upsert, trim, ...rows]);
}
