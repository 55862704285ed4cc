import { eq, sql } from "drizzle-orm";
import type { Database } from "./client";
import { mcpClientUse } from "./schema";

export async function recordMcpUse(db: Database, userId: string, clientId: string, now: number) {
  await db
    .insert(mcpClientUse)
    .values({ userId, clientId, lastUsedAt: new Date(now), calls: 1 })
    .onConflictDoUpdate({ target: [mcpClientUse.userId, mcpClientUse.clientId], set: { lastUsedAt: new Date(now), calls: sql`${mcpClientUse.calls} + 1` } });
}

export async function mcpUseOf(db: Database, userId: string): Promise<Map<string, { lastUsedAt: Date; calls: number }>> {
  const rows = await db.select().from(mcpClientUse).where(eq(mcpClientUse.userId, userId));
  return new Map(rows.map((r) => [r.clientId, { lastUsedAt: r.lastUsedAt, calls: r.calls }]));
}
