import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { PING_TEXT } from "../../worker/contract/events";
import { MAX_SOCKETS_PER_USER, UserHub, type SocketAttachment } from "../../worker/realtime/hub";
import { publish, userHub } from "../../worker/realtime/publish";
import { connect, createUser, getTicket, upgrade, type TestSocket } from "./realtime-helpers";

const statusEvent = (message: string) => ({ kind: "status" as const, jobId: "job-h", scope: "session" as const, status: "ok", message });

describe("UserHub", () => {
  it("after the runtime drops the hub (ctx.abort), the instance it builds next keeps numbering and replays what a reconnecting socket missed", async () => {
    const a = await createUser();
    const before = await connect(a);
    await publish(env, a.id, statusEvent("before eviction"));
    await before.until(() => before.events.length === 1, "the first event");
    // What survives hibernation: every socket carries its user and replay position in its attachment.
    const evicted = await runInDurableObject(userHub(env, a.id), (hub, state) => {
      expect(state.getWebSockets().map((ws) => ws.deserializeAttachment() as SocketAttachment)).toEqual([
        { userId: a.id, serial: 1, coveredAfter: 0 },
      ]);
      return hub;
    });

    // The runtime's own reset (as on eviction or a code update): the instance and its memory go, its sockets with it.
    await runInDurableObject(userHub(env, a.id), (_hub, state) => state.abort("evicted by the test")).catch(() => undefined);
    await before.until(() => before.closed !== undefined, "the reset to close the socket");

    // The next call reaches a new instance the runtime constructs over the same storage.
    const missed = await publish(env, a.id, statusEvent("while away"));
    expect(missed.id).toBe("2");
    const after = await connect(a);
    after.send(JSON.stringify({ type: "resume", after: before.events[0]!.id }));
    await after.until(() => after.events.length === 1, "the missed event replayed");
    await publish(env, a.id, statusEvent("live again"));
    await after.until(() => after.events.length === 2, "the live event");
    expect(after.events.map((e) => [e.id, e.kind === "status" && e.message])).toEqual([
      ["2", "while away"],
      ["3", "live again"],
    ]);

    const woken = await runInDurableObject(userHub(env, a.id), (hub) => hub);
    expect(woken).not.toBe(evicted);
    expect(await userHub(env, a.id).stats()).toMatchObject({ userId: a.id, sockets: 1, socketUsers: [a.id], lastId: "3" });
    after.close();
  });

  it("a ticket whose account was deleted meanwhile gets a 401 problem (account_deleted) from the upgrade, not a 500", async () => {
    const a = await createUser();
    const ticket = await getTicket(a);
    await userHub(env, a.id).purge();
    const res = await upgrade(ticket);
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(((await res.json()) as { code: string }).code).toBe("account_deleted");
    expect(res.webSocket).toBeNull();
  });

  it("a hub bound to another user refuses the socket with a 409 problem and logs it, instead of throwing into a 500", async () => {
    const [a, b] = [await createUser(), await createUser()];
    // A routing bug binds a's hub to b.
    await userHub(env, a.id).publish(b.id, statusEvent("misrouted"));
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await upgrade(await getTicket(a));
    expect(res.status).toBe(409);
    expect(((await res.json()) as { code: string }).code).toBe("realtime_hub_conflict");
    const logged = errors.mock.calls.map((c) => JSON.parse(String(c[0])) as Record<string, unknown>);
    expect(logged).toContainEqual(expect.objectContaining({ message: "realtime_socket_refused", refused: "hub_user_mismatch", userId: a.id, hubUserId: b.id }));
    errors.mockRestore();
  });

  it("after purge (account deletion) refuses new events, so a racing publish cannot write the user's data back", async () => {
    const a = await createUser();
    await publish(env, a.id, statusEvent("before deletion"));
    await userHub(env, a.id).purge();
    await expect(publish(env, a.id, statusEvent("racing the deletion"))).rejects.toThrow(/deleted/);
    const stats = await runInDurableObject(userHub(env, a.id), (_hub, state) => new UserHub(state, env).stats());
    expect(stats.lastId).toBe("0");
  });

  it("continues numbering from D1 history if its own storage is lost, so ids never repeat", async () => {
    const a = await createUser();
    for (let i = 0; i < 3; i++) await publish(env, a.id, statusEvent(`before loss ${i}`));
    const frame = await runInDurableObject(userHub(env, a.id), async (_old, state) => {
      await state.storage.deleteAll();
      return new UserHub(state, env).publish(a.id, statusEvent("after loss"));
    });
    expect(frame.id).toBe("4");
  });

  it("refuses to serve a second user (a routing bug must not share sockets)", async () => {
    const [a, b] = [await createUser(), await createUser()];
    await publish(env, a.id, statusEvent("mine"));
    const error = await userHub(env, a.id)
      .publish(b.id, statusEvent("not mine"))
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(error?.message).toMatch(/another user/);
  });

  it("answers the exact ping with a pong through the auto-response, without waking the hub", async () => {
    const a = await createUser();
    const socket = await connect(a);
    socket.send(PING_TEXT);
    await socket.until(() => socket.frames.length === 1, "the pong");
    expect(socket.frames[0]).toEqual({ type: "pong" });
    await runInDurableObject(userHub(env, a.id), async (_hub, state) => {
      const [ws] = state.getWebSockets();
      expect(state.getWebSocketAutoResponseTimestamp(ws!)).toBeInstanceOf(Date);
    });
    // A ping spelled differently is still answered, by the handler.
    socket.send('{ "type" : "ping" }');
    await socket.until(() => socket.frames.length === 2, "the handler's pong");
    expect(socket.frames[1]).toEqual({ type: "pong" });
    expect((await userHub(env, a.id).stats()).malformedFrames).toBe(0);
    socket.close();
  });

  it("ignores and counts malformed client frames without closing anything", async () => {
    const a = await createUser();
    const [s1, s2] = [await connect(a), await connect(a)];
    for (const bad of ["not json", "{}", '{"type":"dance"}', '{"type":"resume"}', '{"type":"resume","after":"-1"}', "null"]) s1.send(bad);
    s1.send(new Uint8Array([1, 2, 3]).buffer);
    const frame = await publish(env, a.id, statusEvent("still fine"));
    await s1.until(() => s1.events.length === 1, "s1 still receives");
    await s2.until(() => s2.events.length === 1, "s2 still receives");
    expect(s1.events[0]).toEqual(frame);
    expect(s1.closed).toBeUndefined();
    expect((await userHub(env, a.id).stats()).malformedFrames).toBe(7);
    for (const s of [s1, s2]) s.close();
  });

  it("closes a socket that sends a frame over 64 KiB with 1009, and only that one", async () => {
    const a = await createUser();
    const [big, other] = [await connect(a), await connect(a)];
    big.send(JSON.stringify({ type: "resume", after: "0", padding: "x".repeat(64 * 1024) }));
    await big.until(() => big.closed !== undefined, "the 1009 close");
    expect(big.closed?.code).toBe(1009);
    await publish(env, a.id, statusEvent("other survives"));
    await other.until(() => other.events.length === 1, "the other socket");
    expect(other.closed).toBeUndefined();
    other.close();
  });

  it("accepts a frame of exactly 64 KiB", async () => {
    const a = await createUser();
    const socket = await connect(a);
    const prefix = '{"type":"ping","pad":"';
    socket.send(prefix + "y".repeat(64 * 1024 - prefix.length - 2) + '"}');
    await socket.until(() => socket.frames.length === 1, "the pong");
    expect(socket.closed).toBeUndefined();
    socket.close();
  });

  it(`keeps at most ${MAX_SOCKETS_PER_USER} sockets per user, closing the oldest with 1008`, async () => {
    const a = await createUser();
    const first = await connect(a);
    const middle = await Promise.all(Array.from({ length: MAX_SOCKETS_PER_USER - 1 }, () => connect(a)));
    const sockets: TestSocket[] = [first, ...middle, await connect(a)];
    const [oldest] = sockets;
    await oldest!.until(() => oldest!.closed !== undefined, "the oldest socket closed");
    expect(oldest!.closed?.code).toBe(1008);
    expect(sockets.slice(1).every((s) => s.closed === undefined)).toBe(true);
    const hub = userHub(env, a.id);
    await expect.poll(async () => (await hub.stats()).sockets).toBe(MAX_SOCKETS_PER_USER);
    await publish(env, a.id, statusEvent("to the hundred"));
    const newest = sockets.at(-1)!;
    await newest.until(() => newest.events.length === 1, "the newest socket receives");
    for (const s of sockets) s.close();
  }, 30_000);
});
