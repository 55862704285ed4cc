import { env, runDurableObjectAlarm, SELF } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { issueAccessToken } from "../../worker/auth/access-token";
import { database, schema } from "../../worker/db/client";
import { runScheduled } from "../../worker/ops/cron";
import { publish, userHub } from "../../worker/realtime/publish";
import { hashTicket } from "../../worker/realtime/tickets";
import { authed, createUser, getTicket, ORIGIN } from "./realtime-helpers";

const statusEvent = (message: string) => ({ kind: "status" as const, jobId: "job-x", scope: "session" as const, status: "ok", message });

describe("event history in D1", () => {
  it("keeps an event D1 refused and writes it on the hub's alarm", async () => {
    // No users row yet: the events foreign key makes D1 refuse the history write.
    const id = `late-${crypto.randomUUID()}`;
    const frame = await publish(env, id, statusEvent("written later"));
    const db = database(env);
    expect(await db.select().from(schema.events).where(eq(schema.events.userId, id))).toEqual([]);

    const now = new Date();
    await db.insert(schema.users).values({ id, email: `${id}@example.test`, passwordHash: "x", passwordSalt: "x", passwordIterations: 1, createdAt: now, updatedAt: now });
    expect(await runDurableObjectAlarm(userHub(env, id))).toBe(true);

    const res = await SELF.fetch(`${ORIGIN}/api/events`, authed({ id, token: await issueAccessToken(env.JWT_SECRET!, id) }));
    expect(((await res.json()) as { events: unknown[] }).events).toEqual([frame]);
  });
});

describe("ticket housekeeping", () => {
  it("the cron task deletes expired and used tickets and keeps live ones", async () => {
    const a = await createUser();
    const [expired, used, live] = [await getTicket(a), await getTicket(a), await getTicket(a)];
    const db = database(env);
    const byHash = async (t: string) => eq(schema.realtimeTickets.ticketHash, await hashTicket(t));
    await db.update(schema.realtimeTickets).set({ expiresAt: new Date(Date.now() - 1000) }).where(await byHash(expired));
    await db.update(schema.realtimeTickets).set({ usedAt: new Date() }).where(await byHash(used));
    await runScheduled(env);
    const left = await db.select().from(schema.realtimeTickets).where(eq(schema.realtimeTickets.userId, a.id));
    expect(left.map((r) => r.ticketHash)).toEqual([await hashTicket(live)]);
  });
});
