import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { InvalidEventError, MAX_EVENT_BYTES, publish, userHub } from "../../worker/realtime/publish";
import { Hono } from "hono";
import { renderError } from "../../worker/errors";
import { withConfig } from "../../worker/http/middleware";
import type { AppBindings } from "../../worker/http/types";
import { realtime } from "../../worker/realtime/routes";
import { authed, connect, createUser, ORIGIN } from "./realtime-helpers";

const statusEvent = (message: string) => ({ kind: "status" as const, jobId: "job-1", scope: "session" as const, status: "running", message });

describe("publish fan-out", () => {
  it("delivers a user's event to every socket of that user and never to another user's", async () => {
    const [a, b] = [await createUser("a"), await createUser("b")];
    const [a1, a2, b1] = [await connect(a), await connect(a), await connect(b)];
    const frame = await publish(env, a.id, statusEvent("hello A"));

    expect(frame).toMatchObject({ kind: "status", id: "1", message: "hello A" });
    expect(new Date(frame.timestamp).toISOString()).toBe(frame.timestamp);
    await a1.until(() => a1.events.length === 1, "A's first socket");
    await a2.until(() => a2.events.length === 1, "A's second socket");
    expect(a1.events[0]).toEqual(frame);
    expect(a2.events[0]).toEqual(frame);

    // B's socket is still open and working: its own event arrives, A's never did.
    const own = await publish(env, b.id, statusEvent("hello B"));
    await b1.until(() => b1.events.length === 1, "B's own event");
    expect(b1.events).toEqual([own]);
    for (const s of [a1, a2, b1]) s.close();
  });

  it("numbers each user's events 1, 2, 3… independently, even when published concurrently", async () => {
    const [a, b] = [await createUser(), await createUser()];
    const frames = await Promise.all(Array.from({ length: 20 }, (_, i) => publish(env, a.id, statusEvent(`e${i}`))));
    expect(frames.map((f) => Number(f.id)).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await publish(env, b.id, statusEvent("first of B"))).id).toBe("1");
  });

  it("rejects an invalid event in the publisher, before anything is numbered or sent", async () => {
    const a = await createUser();
    const socket = await connect(a);
    const bad = { kind: "status", jobId: "", scope: "galaxy", status: "x", message: "m" } as unknown as Parameters<typeof publish>[2];
    await expect(publish(env, a.id, bad)).rejects.toBeInstanceOf(InvalidEventError);
    await expect(publish(env, a.id, { kind: "nope" } as unknown as Parameters<typeof publish>[2])).rejects.toThrow(/invalid event/);
    await expect(publish(env, a.id, statusEvent("x".repeat(MAX_EVENT_BYTES)))).rejects.toThrow(/at most/);
    const good = await publish(env, a.id, statusEvent("after the bad ones"));
    expect(good.id).toBe("1");
    await socket.until(() => socket.events.length === 1, "the good event");
    expect(socket.events).toEqual([good]);
    socket.close();
  });

  it("writes every event to D1 and lists it over GET /api/events, only for its owner", async () => {
    const [a, b] = [await createUser(), await createUser()];
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(await publish(env, a.id, statusEvent(`h${i}`)));
    await publish(env, b.id, statusEvent("B's"));

    const all = await SELF.fetch(`${ORIGIN}/api/events`, authed(a));
    expect(all.status).toBe(200);
    expect(((await all.json()) as { events: unknown[] }).events).toEqual(sent);

    const page = await SELF.fetch(`${ORIGIN}/api/events?after=2&limit=2`, authed(a));
    expect(((await page.json()) as { events: unknown[] }).events).toEqual(sent.slice(2, 4));

    const bad = await SELF.fetch(`${ORIGIN}/api/events?after=abc&limit=9999`, authed(a));
    expect(bad.status).toBe(400);
    const problem = (await bad.json()) as { code: string; errors: Array<{ path: string }> };
    expect(problem.code).toBe("invalid_request");
    expect(problem.errors.map((e) => e.path).sort()).toEqual(["after", "limit"]);

    expect((await SELF.fetch(`${ORIGIN}/api/events`)).status).toBe(401);
  });

  it("closes all of a user's sockets on sign-out and leaves other users' sockets open", async () => {
    const [a, b] = [await createUser(), await createUser()];
    const [a1, a2, b1] = [await connect(a), await connect(a), await connect(b)];
    expect(await userHub(env, a.id).closeAllSockets()).toBe(2);
    await a1.until(() => a1.closed !== undefined, "A1 closed");
    await a2.until(() => a2.closed !== undefined, "A2 closed");
    expect(a1.closed?.code).toBe(4001);
    await publish(env, b.id, statusEvent("still here"));
    await b1.until(() => b1.events.length === 1, "B still connected");
    expect(b1.closed).toBeUndefined();
    b1.close();
  });
});

describe("the sandbox test-event route", () => {
  it("publishes a status event to the caller and validates its body", async () => {
    const a = await createUser();
    const socket = await connect(a);
    const res = await SELF.fetch(
      `${ORIGIN}/api/realtime/test-event`,
      authed(a, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "ping from test" }) }),
    );
    expect(res.status).toBe(201);
    await socket.until(() => socket.events.length === 1, "the test event");
    expect(socket.events[0]).toMatchObject({ kind: "status", message: "ping from test", scope: "session" });

    const bad = await SELF.fetch(
      `${ORIGIN}/api/realtime/test-event`,
      authed(a, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ message: 42 }) }),
    );
    expect(bad.status).toBe(400);
    socket.close();
  });

  it("answers a bare hub round trip on /test-ping (the benchmark's floor)", async () => {
    const a = await createUser();
    const res = await SELF.fetch(`${ORIGIN}/api/realtime/test-ping`, authed(a, { method: "POST" }));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { pong: boolean }).pong).toBe(true);
  });

  it("needs a user", async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/realtime/test-event`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(401);
  });

  it("does not exist when sandbox providers are off (production)", async () => {
    const app = new Hono<AppBindings>().use("*", withConfig).route("/api/realtime", realtime).onError(renderError);
    const a = await createUser();
    const res = await app.request(
      "/api/realtime/test-event",
      authed(a, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }),
      { ...env, SANDBOX_PROVIDERS: "false" },
    );
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe("not_found");
    const ping = await app.request("/api/realtime/test-ping", authed(a, { method: "POST" }), { ...env, SANDBOX_PROVIDERS: "false" });
    expect(ping.status).toBe(404);
    const history = await SELF.fetch(`${ORIGIN}/api/events`, authed(a));
    expect(((await history.json()) as { events: unknown[] }).events).toEqual([]);
  });
});
