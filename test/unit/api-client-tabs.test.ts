import { describe, expect, it } from "vitest";
import { ApiError, createApiClient, type TabChannel, type TabLocks } from "../../web/src/lib/api";

const user = { id: "u1", email: "ada@example.test", name: "Ada", role: "user" as const, createdAt: "2026-01-01T00:00:00.000Z" };

/**
 * The Web Locks API as the client uses it: exclusive, granted in request
 * order, released when the callback settles. A grant arrives on a later task,
 * as it comes from the browser's lock manager, not from the page.
 */
function fakeLocks(): TabLocks {
  const tails = new Map<string, Promise<unknown>>();
  const nextTask = () => new Promise<void>((r) => setTimeout(r, 0));
  return {
    request<T>(name: string, callback: () => Promise<T>): Promise<T> {
      const previous = tails.get(name) ?? Promise.resolve();
      const run = previous.then(nextTask, nextTask).then(callback);
      tails.set(name, run.catch(() => undefined));
      return run;
    },
  };
}

/**
 * BroadcastChannel between the tabs of one browser: a message reaches every
 * other channel, never the sender, on a later task. `late` holds delivery
 * back until `flush()`, as when the lock reaches the next tab first.
 */
function fakeBus(options: { late?: boolean } = {}) {
  const channels: { listeners: ((event: { data: unknown }) => void)[] }[] = [];
  const held: (() => void)[] = [];
  return {
    channel(): TabChannel {
      const self = { listeners: [] as ((event: { data: unknown }) => void)[] };
      channels.push(self);
      return {
        postMessage(message) {
          const data = structuredClone(message);
          for (const other of channels) {
            if (other === self) continue;
            const deliver = () => other.listeners.forEach((l) => l({ data }));
            if (options.late) held.push(deliver);
            else setTimeout(deliver, 0);
          }
        },
        addEventListener(_type, listener) {
          self.listeners.push(listener);
        },
      };
    },
    flush() {
      held.splice(0).forEach((deliver) => deliver());
    },
    post(data: unknown) {
      for (const c of channels) c.listeners.forEach((l) => l({ data }));
    },
  };
}

/**
 * The worker's refresh rules, strictly: each cookie rotates once; a spent
 * cookie presented again revokes the whole login (RFC 9700 §4.14.2). One
 * cookie jar for every tab, updated before the response is handed to the page
 * (as a browser stores Set-Cookie). Every answer waits a tick so tabs really
 * overlap.
 */
function strictServer() {
  const state = { jar: "r0", next: 1, spent: new Set<string>(), revoked: false, rotations: 0, reuse: 0, failNext: 0, valid: new Set<string>() };
  const tick = () => new Promise((r) => setTimeout(r, 1));
  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

  async function fetchImpl(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const path = new URL(String(input), "http://app.test").pathname;
    if (path === "/api/auth/refresh") {
      const cookie = state.jar;
      await tick();
      if (state.failNext > 0) {
        state.failNext -= 1;
        return json(503, { code: "internal_error", detail: "D1 hiccup" });
      }
      if (state.revoked) return json(401, { code: "refresh_token_revoked", detail: "ended" });
      if (state.spent.has(cookie)) {
        state.reuse += 1;
        state.revoked = true;
        return json(401, { code: "refresh_token_reused", detail: "reused" });
      }
      state.spent.add(cookie);
      state.rotations += 1;
      const n = state.next++;
      state.jar = `r${n}`;
      state.valid.add(`access-${n}`);
      return json(200, { user, accessToken: `access-${n}`, expiresIn: 900 });
    }
    await tick();
    const token = /^Bearer (.+)$/.exec(new Headers(init?.headers).get("authorization") ?? "")?.[1];
    if (!token || !state.valid.has(token)) return json(401, { code: "token_expired", detail: "expired" });
    return json(200, { ok: true, path });
  }
  return { fetchImpl, state, expireAll: () => state.valid.clear() };
}

function tabs(count: number, server: ReturnType<typeof strictServer>, coordination: { locks: TabLocks | null; bus: ReturnType<typeof fakeBus> | null }) {
  return Array.from({ length: count }, () =>
    createApiClient({ fetch: server.fetchImpl, locks: coordination.locks, channel: coordination.bus?.channel() ?? null }),
  );
}

describe("tabs of one browser refreshing together", () => {
  it("without coordination, three tabs restoring at once replay one cookie and the server ends the login (the race this prevents)", async () => {
    const server = strictServer();
    const three = tabs(3, server, { locks: null, bus: null });
    const restored = await Promise.all(three.map((t) => t.restore()));
    expect(server.state.reuse).toBeGreaterThan(0);
    expect(server.state.revoked).toBe(true);
    expect(restored.filter((u) => u === null).length).toBeGreaterThan(0);
  });

  it("three tabs restoring at once (a browser reopening its session): one refresh, all signed in, the login lives on", async () => {
    const server = strictServer();
    const locks = fakeLocks();
    const bus = fakeBus();
    const three = tabs(3, server, { locks, bus });
    const restored = await Promise.all(three.map((t) => t.restore()));

    expect(restored).toEqual([user, user, user]);
    expect(server.state.rotations).toBe(1);
    expect(server.state).toMatchObject({ reuse: 0, revoked: false });
    expect(three.every((t) => t.isSignedIn)).toBe(true);
    // The shared session works for requests in every tab, and the login can still rotate.
    for (const t of three) expect(await t.get("/api/items")).toEqual({ ok: true, path: "/api/items" });
    expect(await createApiClient({ fetch: server.fetchImpl, locks, channel: null }).restore()).toEqual(user);
  });

  it("three tabs whose access tokens expired, each with requests in flight: one refresh for all, every request retried", async () => {
    const server = strictServer();
    const locks = fakeLocks();
    const bus = fakeBus();
    const three = tabs(3, server, { locks, bus });
    for (const t of three) await t.restore();
    const rotationsBefore = server.state.rotations;
    server.expireAll();

    const results = await Promise.all(three.flatMap((t, i) => [0, 1, 2].map((j) => t.get<{ path: string }>(`/api/tab${i}/item${j}`))));

    expect(results.map((r) => r.path)).toEqual(three.flatMap((_, i) => [0, 1, 2].map((j) => `/api/tab${i}/item${j}`)));
    expect(server.state.rotations - rotationsBefore).toBe(1);
    expect(server.state).toMatchObject({ reuse: 0, revoked: false });
  });

  it("when the lock reaches a waiting tab before the broadcast does, that tab rotates the new cookie, never the spent one", async () => {
    const server = strictServer();
    const bus = fakeBus({ late: true });
    const three = tabs(3, server, { locks: fakeLocks(), bus });
    const restored = await Promise.all(three.map((t) => t.restore()));
    bus.flush();

    expect(restored).toEqual([user, user, user]);
    expect(server.state.rotations).toBe(3);
    expect(server.state).toMatchObject({ reuse: 0, revoked: false });
  });

  it("a server error during the refresh keeps the session (the token was not spent) and a later call retries", async () => {
    const server = strictServer();
    let ended = 0;
    const tab = createApiClient({ fetch: server.fetchImpl, locks: fakeLocks(), channel: null, onSessionEnded: () => ended++ });
    await tab.restore();
    server.expireAll();
    server.state.failNext = 1;

    const failed = (await tab.get("/api/items").catch((e: unknown) => e)) as ApiError;
    expect(failed).toBeInstanceOf(ApiError);
    expect([failed.status, failed.code]).toEqual([503, "internal_error"]);
    expect(tab.isSignedIn).toBe(true);
    expect(ended).toBe(0);

    expect(await tab.get("/api/items")).toEqual({ ok: true, path: "/api/items" });
    expect(server.state).toMatchObject({ reuse: 0, revoked: false });
  });

  it("ignores channel messages that are not a session, and another user's session while not refreshing", async () => {
    const server = strictServer();
    const bus = fakeBus();
    const [tab] = tabs(1, server, { locks: fakeLocks(), bus });
    await tab!.restore();

    bus.post({ type: "session", session: { user, accessToken: 42 } });
    bus.post("junk");
    bus.post(null);
    bus.post({ type: "session", session: { user: { ...user, id: "u2" }, accessToken: "access-of-u2", expiresIn: 900 } });
    expect(tab!.isSignedIn).toBe(true);
    expect(tab!.user).toEqual(user);
    expect(await tab!.get("/api/items")).toEqual({ ok: true, path: "/api/items" });
  });
});
