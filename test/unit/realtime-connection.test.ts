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

function ticketClient(failures: number[] = []) {
  let n = 0;
  const post = vi.fn(async () => {
    n += 1;
    const status = failures.shift();
    if (status) throw Object.assign(new Error("ticket refused"), { status });
    return { ticket: `t${n}`, expiresIn: 60 };
  });
  return { client: { post } as unknown as ApiClient, post };
}

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
    const { client, post } = ticketClient([503, 503]);
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
    expect(second.sent).toEqual([JSON.stringify({ type: "resume", after: "7" })]);
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

describe("backoffDelay", () => {
  it("doubles up to the cap and is spread by the random factor", () => {
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, 500, 15_000, () => 1))).toEqual([500, 1000, 2000, 4000, 15000]);
    expect(backoffDelay(3, 500, 15_000, () => 0.25)).toBe(1000);
    expect(backoffDelay(3, 500, 15_000, () => 0)).toBe(0);
  });
});
