import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ApiClient } from "../../web/src/lib/api";
import { FakeSocket } from "./fake-socket";
import { EventsConnection } from "../../web/src/lib/events";

/** Just enough of the browser for the connection's focus, visibility and network listeners. */
function fakeBrowser() {
  const win = new EventTarget();
  const doc = Object.assign(new EventTarget(), { visibilityState: "visible" as DocumentVisibilityState });
  const nav = { onLine: true };
  vi.stubGlobal("window", win);
  vi.stubGlobal("document", doc);
  vi.stubGlobal("navigator", nav);
  return {
    focus: () => win.dispatchEvent(new Event("focus")),
    visibility(state: DocumentVisibilityState) {
      doc.visibilityState = state;
      doc.dispatchEvent(new Event("visibilitychange"));
    },
    network(online: boolean) {
      nav.onLine = online;
      win.dispatchEvent(new Event(online ? "online" : "offline"));
    },
  };
}

const DEBOUNCE_MS = 400;

async function startedConnection() {
  let n = 0;
  const post = vi.fn(async () => ({ ticket: `t${(n += 1)}`, expiresIn: 60 }));
  const conn = new EventsConnection({ post } as unknown as ApiClient, {
    baseUrl: "http://app.test",
    WebSocket: FakeSocket as unknown as typeof WebSocket,
    random: () => 1,
    baseDelayMs: 100,
    maxDelayMs: 1_000,
    resyncDebounceMs: DEBOUNCE_MS,
  });
  const resync = vi.fn();
  conn.onResync(resync);
  conn.start();
  await vi.advanceTimersByTimeAsync(0);
  FakeSocket.all[0]!.open();
  return { conn, post, resync };
}

describe("EventsConnection: refetch when the window comes back", () => {
  let browser: ReturnType<typeof fakeBrowser>;
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.all = [];
    browser = fakeBrowser();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("folds a burst of focus and visibility signals inside the debounce window into one resync", async () => {
    const { conn, post, resync } = await startedConnection();

    // Switching back to a tab fires visibilitychange and focus together, and a flaky window manager repeats them.
    browser.visibility("hidden");
    await vi.advanceTimersByTimeAsync(5_000);
    browser.visibility("visible");
    browser.focus();
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS - 100);
    browser.focus();
    browser.visibility("hidden");
    browser.visibility("visible");
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS - 1);
    expect(resync).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(resync).toHaveBeenCalledTimes(1);

    // Quiet afterwards: the burst was folded, not delayed into a second refetch.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(resync).toHaveBeenCalledTimes(1);

    // A later return is a new signal and refetches again.
    browser.focus();
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS);
    expect(resync).toHaveBeenCalledTimes(2);

    // A connected socket is kept through all of it: coming back refetches over REST, it does not reconnect.
    expect(post).toHaveBeenCalledTimes(1);
    expect(FakeSocket.all).toHaveLength(1);
    conn.stop();
  });

  it("does not refetch on a visibilitychange to visible that had no hidden before it", async () => {
    const { conn, resync } = await startedConnection();
    browser.visibility("visible");
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS * 2);
    expect(resync).not.toHaveBeenCalled();
    conn.stop();
  });

  it("waits while offline, then on `online` reconnects at once, resumes after the last id and resyncs once", async () => {
    const { conn, post, resync } = await startedConnection();
    FakeSocket.all[0]!.serverSends({
      kind: "status",
      jobId: "j",
      scope: "session",
      status: "running",
      message: "m",
      id: "12",
      timestamp: "2026-11-23T12:00:00.000Z",
    });

    browser.network(false);
    expect(conn.state).toBe("offline");
    expect(FakeSocket.all[0]!.readyState).toBe(3);
    // No backoff loop burning tickets while the browser knows there is no network.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(post).toHaveBeenCalledTimes(1);
    expect(resync).not.toHaveBeenCalled();

    browser.network(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(post).toHaveBeenCalledTimes(2);
    const second = FakeSocket.all[1]!;
    second.open();
    expect(conn.state).toBe("connected");
    expect(second.sent).toEqual([JSON.stringify({ type: "resume", after: "12" })]);

    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS);
    expect(resync).toHaveBeenCalledTimes(1);
    conn.stop();
  });

  it("stops listening to the window once stopped", async () => {
    const { conn, post, resync } = await startedConnection();
    conn.stop();
    browser.visibility("hidden");
    browser.visibility("visible");
    browser.focus();
    browser.network(true);
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS * 2);
    expect(resync).not.toHaveBeenCalled();
    expect(post).toHaveBeenCalledTimes(1);
  });
});
