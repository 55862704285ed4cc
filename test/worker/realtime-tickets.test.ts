import { env, SELF } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { database, schema } from "../../worker/db/client";
import { hashTicket } from "../../worker/realtime/tickets";
import { authed, createUser, getTicket, ORIGIN, TestSocket, upgrade } from "./realtime-helpers";

async function problemCode(res: Response): Promise<string> {
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  return ((await res.json()) as { code: string }).code;
}

describe("WebSocket tickets", () => {
  it("issues a 60 s ticket only to a signed-in user, and stores only its hash", async () => {
    expect((await SELF.fetch(`${ORIGIN}/api/realtime/ticket`, { method: "POST" })).status).toBe(401);
    const a = await createUser();
    const res = await SELF.fetch(`${ORIGIN}/api/realtime/ticket`, authed(a, { method: "POST" }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ticket: string; expiresIn: number };
    expect(body.expiresIn).toBe(60);
    expect(body.ticket.length).toBeGreaterThanOrEqual(40);
    const rows = await database(env).select().from(schema.realtimeTickets).where(eq(schema.realtimeTickets.userId, a.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.ticketHash).toBe(await hashTicket(body.ticket));
    expect(JSON.stringify(rows)).not.toContain(body.ticket);
  });

  it("answers 401, not 500, to a still-valid token of a deleted account", async () => {
    const a = await createUser();
    await database(env).delete(schema.users).where(eq(schema.users.id, a.id));
    const res = await SELF.fetch(`${ORIGIN}/api/realtime/ticket`, authed(a, { method: "POST" }));
    expect(res.status).toBe(401);
    expect(await problemCode(res)).toBe("invalid_token");
  });

  it("upgrades once: the same ticket a second time is 401", async () => {
    const a = await createUser();
    const ticket = await getTicket(a);
    const first = await upgrade(ticket);
    expect(first.status).toBe(101);
    new TestSocket(first.webSocket!).close();
    const second = await upgrade(ticket);
    expect(second.status).toBe(401);
    expect(await problemCode(second)).toBe("invalid_ticket");
  });

  it("lets only one of two concurrent upgrades with the same ticket through", async () => {
    const a = await createUser();
    const ticket = await getTicket(a);
    const results = await Promise.all([upgrade(ticket), upgrade(ticket), upgrade(ticket)]);
    expect(results.map((r) => r.status).sort()).toEqual([101, 401, 401]);
    for (const r of results) if (r.webSocket) new TestSocket(r.webSocket).close();
  });

  it("refuses an expired ticket", async () => {
    const a = await createUser();
    const ticket = await getTicket(a);
    await database(env)
      .update(schema.realtimeTickets)
      .set({ expiresAt: new Date(Date.now() - 1) })
      .where(eq(schema.realtimeTickets.ticketHash, await hashTicket(ticket)));
    const res = await upgrade(ticket);
    expect(res.status).toBe(401);
    expect(await problemCode(res)).toBe("invalid_ticket");
  });

  it("refuses an unknown ticket, and an access token in its place", async () => {
    const a = await createUser();
    expect(await problemCode(await upgrade("not-a-ticket"))).toBe("invalid_ticket");
    expect((await upgrade(a.token)).status).toBe(401);
  });

  it("answers 426 without an Upgrade header, and does not spend the ticket", async () => {
    const a = await createUser();
    const ticket = await getTicket(a);
    const res = await SELF.fetch(`${ORIGIN}/api/realtime?ticket=${ticket}`);
    expect(res.status).toBe(426);
    expect(await problemCode(res)).toBe("upgrade_required");
    const ok = await upgrade(ticket);
    expect(ok.status).toBe(101);
    new TestSocket(ok.webSocket!).close();
  });

  it("answers 400 invalid_request when the ticket parameter is missing", async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/realtime`, { headers: { upgrade: "websocket" } });
    expect(res.status).toBe(400);
    expect(await problemCode(res)).toBe("invalid_request");
  });
});
