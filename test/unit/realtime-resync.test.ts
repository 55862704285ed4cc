import { environmentManager, focusManager, QueryObserver } from "@tanstack/solid-query";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ApiClient } from "../../web/src/lib/api";
import { EventsConnection } from "../../web/src/lib/events";
import { createAppQueryClient, RETURN_DEBOUNCE_MS, windowReturnSignal } from "../../web/src/lib/query";
import { FakeSocket } from "./fake-socket";

/** Just enough of the browser for the focus, visibility and network listeners. */
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

/** The app's query client with one query on screen (an observer), counting its fetches. */
function watchedQuery() {
  const queryClient = createAppQueryClient();
  queryClient.mount();
  const queryFn = vi.fn(async () => ["gmail"]);
  const observer = new QueryObserver(queryClient, { queryKey: ["integrations"], queryFn });
  const unsubscribe = observer.subscribe(() => {});
  return { queryClient, queryFn, done: () => (unsubscribe(), queryClient.unmount()) };
}

describe("refetch when the window comes back (the query client's focus signal)", () => {
  let browser: ReturnType<typeof fakeBrowser>;
  let query: ReturnType<typeof watchedQuery>;
  beforeEach(async () => {
    vi.useFakeTimers();
    environmentManager.setIsServer(() => false);
    browser = fakeBrowser();
    focusManager.setEventListener(windowReturnSignal(RETURN_DEBOUNCE_MS));
    query = watchedQuery();
    await vi.advanceTimersByTimeAsync(0);
    expect(query.queryFn).toHaveBeenCalledTimes(1);
  });
  afterEach(() => {
    query.done();
    focusManager.setFocused(undefined);
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("folds a burst of focus and visibility signals inside the debounce window into one refetch", async () => {
    // Switching back to a tab fires visibilitychange and focus together, and a flaky window manager repeats them.
    browser.visibility("hidden");
    await vi.advanceTimersByTimeAsync(5_000);
    browser.visibility("visible");
    browser.focus();
    await vi.advanceTimersByTimeAsync(RETURN_DEBOUNCE_MS - 100);
    browser.focus();
    browser.visibility("hidden");
    browser.visibility("visible");
    await vi.advanceTimersByTimeAsync(RETURN_DEBOUNCE_MS - 1);
    expect(query.queryFn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(query.queryFn).toHaveBeenCalledTimes(2);

    // Quiet afterwards: the burst was folded, not delayed into a second refetch.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(query.queryFn).toHaveBeenCalledTimes(2);

    // A later return is a new signal and refetches again.
    browser.visibility("hidden");
    browser.visibility("visible");
    await vi.advanceTimersByTimeAsync(RETURN_DEBOUNCE_MS);
    expect(query.queryFn).toHaveBeenCalledTimes(3);
  });

  it("does not refetch on a visible or focus signal that had no hidden before it", async () => {
    browser.visibility("visible");
    browser.focus();
    await vi.advanceTimersByTimeAsync(RETURN_DEBOUNCE_MS * 2);
    expect(query.queryFn).toHaveBeenCalledTimes(1);
  });

  it("refetches once when the network comes back", async () => {
    browser.network(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(query.queryFn).toHaveBeenCalledTimes(1);
    browser.network(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(query.queryFn).toHaveBeenCalledTimes(2);
  });
});

describe("EventsConnection and the window", () => {
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

  async function startedConnection() {
    let n = 0;
    const post = vi.fn(async () => ({ ticket: `t${(n += 1)}`, expiresIn: 60 }));
    const get = vi.fn(async () => ({ events: [], latestId: "0" }));
    const conn = new EventsConnection({ post, get } as unknown as ApiClient, {
      baseUrl: "http://app.test",
      WebSocket: FakeSocket as unknown as typeof WebSocket,
      random: () => 1,
      baseDelayMs: 100,
      maxDelayMs: 1_000,
    });
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.all[0]!.open();
    return { conn, post };
  }

  it("keeps a connected socket through a tab switch: coming back refetches over REST, it does not reconnect", async () => {
    const { conn, post } = await startedConnection();
    browser.visibility("hidden");
    browser.visibility("visible");
    browser.focus();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(post).toHaveBeenCalledTimes(1);
    expect(FakeSocket.all).toHaveLength(1);
    conn.stop();
  });

  it("waits while offline, then on `online` reconnects at once and resumes after the last id", async () => {
    const { conn, post } = await startedConnection();
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

    browser.network(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(post).toHaveBeenCalledTimes(2);
    const second = FakeSocket.all[1]!;
    second.open();
    expect(conn.state).toBe("connected");
    expect(second.sent).toEqual([JSON.stringify({ type: "resume", after: "12" })]);
    conn.stop();
  });

  it("closes its socket when the page is put in the back-forward cache and resumes when it is restored", async () => {
    const { conn, post } = await startedConnection();
    FakeSocket.all[0]!.serverSends({ kind: "integration", provider: "gmail", status: "active", event: "connected", id: "5", timestamp: "2026-11-23T12:00:00.000Z" });
    window.dispatchEvent(Object.assign(new Event("pagehide"), { persisted: true }));
    expect(FakeSocket.all[0]!.readyState).toBe(3);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(post).toHaveBeenCalledTimes(1);

    window.dispatchEvent(Object.assign(new Event("pageshow"), { persisted: true }));
    await vi.advanceTimersByTimeAsync(0);
    const restored = FakeSocket.all[1]!;
    restored.open();
    expect(restored.sent).toEqual([JSON.stringify({ type: "resume", after: "5" })]);
    conn.stop();
  });

  it("stops listening to the window once stopped", async () => {
    const { conn, post } = await startedConnection();
    conn.stop();
    browser.visibility("hidden");
    browser.visibility("visible");
    browser.network(true);
    window.dispatchEvent(Object.assign(new Event("pageshow"), { persisted: true }));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(post).toHaveBeenCalledTimes(1);
  });
});
