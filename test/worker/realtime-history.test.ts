import { env, runDurableObjectAlarm, SELF } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import type { ServerFrame } from "../../worker/contract/events";
import { issueAccessToken } from "../../worker/auth/access-token";
import { database, schema } from "../../worker/db/client";
import { publish, userHub } from "../../worker/realtime/publish";
import { authed, createUser, ORIGIN } from "./realtime-helpers";

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

describe("a malformed stored event row", () => {
  /** Rows written straight into D1, as a manual edit or a restore could leave them. */
  async function corrupt(userId: string, seq: number, frame: string): Promise<void> {
    await env.DB.prepare("UPDATE events SET frame = ? WHERE user_id = ? AND seq = ?").bind(frame, userId, seq).run();
  }

  it("is skipped and logged by GET /api/events, which serves the rest and pages on past it", async () => {
    const a = await createUser();
    for (let i = 1; i <= 5; i++) await publish(env, a.id, statusEvent(`event ${i}`));
    await corrupt(a.id, 2, "{not json");
    await corrupt(a.id, 3, JSON.stringify({ kind: "dance", id: "3", timestamp: new Date().toISOString() }));
    // Parses, but claims another id: a client resuming from it would go to the wrong place.
    await corrupt(a.id, 4, JSON.stringify({ ...statusEvent("moved"), id: "40", timestamp: new Date().toISOString() }));
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});

    const history = async (query: string) => {
      const res = await SELF.fetch(`${ORIGIN}/api/events${query}`, authed(a));
      expect(res.status).toBe(200);
      return ((await res.json()) as { events: ServerFrame[] }).events.map((e) => e.id);
    };
    expect(await history("")).toEqual(["1", "5"]);
    // A page of one after #1 is not cut short (and so read as "the end") by the three bad rows in between.
    expect(await history("?after=1&limit=1")).toEqual(["5"]);

    const logged = errors.mock.calls.map((c) => JSON.parse(String(c[0])) as Record<string, unknown>).filter((l) => l.message === "realtime_stored_frame_invalid");
    expect(logged.slice(0, 3).map((l) => [l.seq, l.problem])).toEqual([
      [2, "invalid_json"],
      [3, "invalid_frame"],
      [4, "id_mismatch"],
    ]);
    errors.mockRestore();
  });
});
