import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ServerFrame } from "../../worker/contract/events";
import type { ApiClient } from "../../web/src/lib/api";
import { FakeSocket } from "./fake-socket";
import { EventsConnection, backoffDelay } from "../../web/src/lib/events";

const frame = (id: number, message = `m${id}`): ServerFrame => ({
  kind: "status",
  jobId: "j",
  scope: "session",
  status: "running",
  message,
  id: String(id),
  timestamp: "2026-11-23T12:00:00.000Z",
});

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/**
 * The two calls the connection makes: `GET /api/events?limit=0` (the newest
 * event id, read once before the first socket) and `POST /api/realtime/ticket`.
 */
function ticketClient(failures: number[] = [], latestId = "0") {
  let n = 0;
  const post = vi.fn(async () => {
    n += 1;
    const status = failures.shift();
    if (status) throw Object.assign(new Error("ticket refused"), { status });
    return { ticket: `t${n}`, expiresIn: 60 };
  });
  const get = vi.fn(async (_path: string) => ({ events: [], latestId }));
  return { client: { post, get } as unknown as ApiClient, post, get };
}

const resume = (after: string) => JSON.stringify({ type: "resume", after });

function connection(client: ApiClient) {
  return new EventsConnection(client, {
    baseUrl: "http://app.test",
    WebSocket: FakeSocket as unknown as typeof WebSocket,
    random: () => 1,
    baseDelayMs: 100,
    maxDelayMs: 1_000,
  });
}

describe("EventsConnection", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.all = [];
  });
  afterEach(() => vi.useRealTimers());

  it("connects with a ticket in the URL (never an access token) and reports its state", async () => {
    const { client } = ticketClient();
    const conn = connection(client);
    const states: string[] = [];
    conn.onStateChange((s) => states.push(s));
    conn.start();
    await vi.runOnlyPendingTimersAsync();
    const socket = FakeSocket.all[0]!;
    expect(socket.url).toBe("ws://app.test/api/realtime?ticket=t1");
    socket.open();
    expect(states).toEqual(["connected"]);
    conn.stop();
    expect(conn.state).toBe("offline");
  });

  it("dispatches typed events once each, and drops frames that break the contract", async () => {
    const { client } = ticketClient();
    const conn = connection(client);
    const statuses: string[] = [];
    const everything: string[] = [];
    conn.on("status", (f) => statuses.push(f.message));
    conn.on("chat", () => statuses.push("never"));
    conn.onAny((f) => everything.push(f.id));
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    conn.start();
    await vi.runOnlyPendingTimersAsync();
    const socket = FakeSocket.all[0]!;
    socket.open();
    socket.serverSends(frame(1, "first"));
    socket.serverSends(frame(1, "first again"));
    socket.serverSends({ kind: "status", id: "2" });
    socket.serverSends("not json");
    socket.serverSends({ type: "pong" });
    socket.serverSends(frame(2, "second"));
    expect(statuses).toEqual(["first", "second"]);
    expect(everything).toEqual(["1", "2"]);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(conn.lastEventId).toBe("2");
    conn.stop();
  });

  it("reconnects with growing, jittered delays and resumes after the last id it saw", async () => {
    const { client, post, get } = ticketClient([503, 503]);
    const conn = connection(client);
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(conn.state).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(99);
    expect(post).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(post).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(200);
    expect(post).toHaveBeenCalledTimes(3);
    const first = FakeSocket.all[0]!;
    first.open();
    first.serverSends(frame(7));
    first.drop();
    expect(conn.state).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(100);
    const second = FakeSocket.all[1]!;
    second.open();
    expect(second.sent).toEqual([resume("7")]);
    // The snapshot point is read once per page, not once per attempt.
    expect(get).toHaveBeenCalledTimes(1);
    conn.stop();
  });

  it("asks subscribers to refetch on resume_gap and carries on from latestId", async () => {
    const { client } = ticketClient();
    const conn = connection(client);
    const resync = vi.fn();
    conn.onResync(resync);
    conn.start();
    await vi.runOnlyPendingTimersAsync();
    const socket = FakeSocket.all[0]!;
    socket.open();
    socket.serverSends({ kind: "error", code: "resume_gap", message: "gone", latestId: "40", timestamp: "2026-11-23T12:00:00.000Z" });
    expect(resync).toHaveBeenCalledTimes(1);
    expect(conn.lastEventId).toBe("40");
    conn.stop();
  });

  it("stops for good when the session is gone (ticket 401)", async () => {
    const { client, post } = ticketClient([401]);
    const conn = connection(client);
    conn.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(post).toHaveBeenCalledTimes(1);
    expect(conn.state).toBe("offline");
  });
});

describe("EventsConnection: the first socket of a page", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.all = [];
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("reads the newest event id before anything else and resumes its first socket after it", async () => {
    const point = deferred<{ events: never[]; latestId: string }>();
    const { client, post, get } = ticketClient();
    get.mockImplementationOnce(() => point.promise);
    const conn = connection(client);
    let ready = false;
    void conn.snapshotReady().then(() => (ready = true));
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(get).toHaveBeenCalledWith("/api/events?limit=0");
    // REST reads wait for the point, and no ticket is spent before it is known.
    expect(ready).toBe(false);
    expect(post).not.toHaveBeenCalled();

    point.resolve({ events: [], latestId: "41" });
    await vi.advanceTimersByTimeAsync(0);
    expect(ready).toBe(true);
    const socket = FakeSocket.all[0]!;
    socket.open();
    // Event 42, published after the snapshot and before this open, is replayed by the hub instead of lost.
    expect(socket.sent).toEqual([resume("41")]);
    socket.serverSends(frame(42));
    expect(conn.lastEventId).toBe("42");
    conn.stop();
  });

  it("when the point cannot be read, lets REST reads go ahead and refetches everything once the socket is open", async () => {
    const { client, get } = ticketClient();
    get.mockRejectedValueOnce(Object.assign(new Error("down"), { status: 503 }));
    const conn = connection(client);
    const resync = vi.fn();
    conn.onResync(resync);
    conn.start();
    await conn.snapshotReady();
    await vi.advanceTimersByTimeAsync(0);
    const socket = FakeSocket.all[0]!;
    expect(resync).not.toHaveBeenCalled();
    socket.open();
    expect(socket.sent).toEqual([]);
    expect(resync).toHaveBeenCalledTimes(1);
    conn.stop();
  });

  it("stops when the point read says the session is gone", async () => {
    const { client, get, post } = ticketClient();
    get.mockRejectedValueOnce(Object.assign(new Error("expired"), { status: 401 }));
    const conn = connection(client);
    conn.start();
    await conn.snapshotReady();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(post).not.toHaveBeenCalled();
    expect(FakeSocket.all).toHaveLength(0);
    expect(conn.state).toBe("offline");
  });

  it("opens one socket when online and visibilitychange ask to reconnect while the ticket is still on its way", async () => {
    const win = new EventTarget();
    const doc = Object.assign(new EventTarget(), { visibilityState: "visible" as DocumentVisibilityState });
    vi.stubGlobal("window", win);
    vi.stubGlobal("document", doc);
    vi.stubGlobal("navigator", { onLine: true });
    const tickets: Array<ReturnType<typeof deferred<{ ticket: string; expiresIn: number }>>> = [];
    const { client, post } = ticketClient();
    post.mockImplementation(() => {
      const d = deferred<{ ticket: string; expiresIn: number }>();
      tickets.push(d);
      return d.promise;
    });
    const conn = connection(client);
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(post).toHaveBeenCalledTimes(1);

    // Every signal that can start a connection arrives while the ticket request is pending.
    win.dispatchEvent(new Event("online"));
    doc.dispatchEvent(new Event("visibilitychange"));
    win.dispatchEvent(new Event("online"));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(post).toHaveBeenCalledTimes(1);

    tickets[0]!.resolve({ ticket: "t1", expiresIn: 60 });
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeSocket.all.map((s) => s.url)).toEqual(["ws://app.test/api/realtime?ticket=t1"]);
    FakeSocket.all[0]!.open();
    win.dispatchEvent(new Event("online"));
    doc.dispatchEvent(new Event("visibilitychange"));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(FakeSocket.all).toHaveLength(1);
    conn.stop();
  });

  it("a ticket that arrives after the network went away opens nothing; the next attempt opens the one socket", async () => {
    const win = new EventTarget();
    const nav = { onLine: true };
    vi.stubGlobal("window", win);
    vi.stubGlobal("document", Object.assign(new EventTarget(), { visibilityState: "visible" }));
    vi.stubGlobal("navigator", nav);
    const tickets: Array<ReturnType<typeof deferred<{ ticket: string; expiresIn: number }>>> = [];
    const { client, post } = ticketClient();
    post.mockImplementation(() => {
      const d = deferred<{ ticket: string; expiresIn: number }>();
      tickets.push(d);
      return d.promise;
    });
    const conn = connection(client);
    conn.start();
    await vi.advanceTimersByTimeAsync(0);

    nav.onLine = false;
    win.dispatchEvent(new Event("offline"));
    nav.onLine = true;
    win.dispatchEvent(new Event("online"));
    await vi.advanceTimersByTimeAsync(0);
    expect(post).toHaveBeenCalledTimes(2);

    tickets[0]!.resolve({ ticket: "stale", expiresIn: 60 });
    tickets[1]!.resolve({ ticket: "fresh", expiresIn: 60 });
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeSocket.all.map((s) => s.url)).toEqual(["ws://app.test/api/realtime?ticket=fresh"]);
    conn.stop();
  });
});

describe("backoffDelay", () => {
  it("doubles up to the cap and is spread by the random factor", () => {
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, 500, 15_000, () => 1))).toEqual([500, 1000, 2000, 4000, 15000]);
    expect(backoffDelay(3, 500, 15_000, () => 0.25)).toBe(1000);
    expect(backoffDelay(3, 500, 15_000, () => 0)).toBe(0);
  });
});
