import {
  PING_TEXT,
  wireFrame,
  type EventKind,
  type EventsListResponse,
  type ServerFrame,
  type ServerFrameOf,
  type TicketResponse,
} from "../../../worker/contract/events";
import type { ApiClient } from "./api";

export type ConnectionState = "connected" | "reconnecting" | "offline";

export interface EventsConnectionOptions {
  /** Origin of the worker; empty means the page's own origin. */
  baseUrl?: string;
  /** Test seams: time and randomness. */
  random?: () => number;
  WebSocket?: typeof WebSocket;
  /** Backoff: first retry after about `baseDelayMs`, doubling up to `maxDelayMs`, with full jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Ping this often; a socket that stays silent for `pingEveryMs + pongTimeoutMs` is treated as dead. */
  pingEveryMs?: number;
  pongTimeoutMs?: number;
}

type Handler = (frame: ServerFrame) => void;

/** How many recent ids are remembered to drop a frame seen twice (e.g. around a resume). */
const SEEN_WINDOW = 2_000;

/** `limit=0`: only the newest event id, the point the page's REST snapshots are taken after. */
export const SNAPSHOT_POINT_PATH = "/api/events?limit=0";

/** Full jitter (AWS architecture blog): spreads reconnecting tabs instead of having them stampede together. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  return Math.round(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

const statusOf = (e: unknown) => (e as { status?: number }).status;

/**
 * The browser side of the realtime contract: connects with a fresh ticket,
 * reconnects with exponential backoff and jitter, resumes after the last id
 * it saw, parses every frame with the shared schema (a frame that does not
 * parse is dropped and logged, never trusted), and tells its subscribers
 * when they should refetch from REST (after a `resume_gap`).
 *
 * Before the first socket of a page it reads the newest event id
 * (`snapshotReady()` resolves then) and the first socket resumes after it:
 * REST snapshots taken after that point cannot miss an event published
 * while the ticket was fetched and the socket opened.
 */
export class EventsConnection {
  private socket: WebSocket | undefined;
  private running = false;
  private attempt = 0;
  private lastId: number | undefined;
  private readonly seen = new Set<number>();
  private readonly handlers = new Map<EventKind | "*", Set<Handler>>();
  private readonly resyncHandlers = new Set<() => void>();
  private readonly stateHandlers = new Set<(state: ConnectionState) => void>();
  private stateValue: ConnectionState = "offline";
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private silenceTimer: ReturnType<typeof setTimeout> | undefined;
  /** Numbers connect attempts; the one in flight (fetching a ticket) is `pending`, and only it may open a socket. */
  private attemptSerial = 0;
  private pending: number | undefined;
  private snapshotPointRead = false;
  /** Set when the snapshot point could not be read: the first socket then refetches everything instead. */
  private resyncOnOpen = false;
  private markSnapshotReady!: () => void;
  private readonly snapshotReadyPromise = new Promise<void>((resolve) => (this.markSnapshotReady = resolve));
  private readonly opts: Required<Omit<EventsConnectionOptions, "WebSocket">> & { WebSocket: typeof WebSocket };

  constructor(
    private readonly client: ApiClient,
    options: EventsConnectionOptions = {},
  ) {
    this.opts = {
      baseUrl: options.baseUrl ?? "",
      random: options.random ?? Math.random,
      WebSocket: options.WebSocket ?? globalThis.WebSocket,
      baseDelayMs: options.baseDelayMs ?? 500,
      maxDelayMs: options.maxDelayMs ?? 15_000,
      pingEveryMs: options.pingEveryMs ?? 25_000,
      pongTimeoutMs: options.pongTimeoutMs ?? 10_000,
    };
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** The newest event id seen, as the server spells it. */
  get lastEventId(): string | undefined {
    return this.lastId === undefined ? undefined : String(this.lastId);
  }

  /**
   * Resolves once the first socket's resume point is known (or could not be
   * read). A REST read that awaits it first is covered by the stream from
   * that point on.
   */
  snapshotReady(): Promise<void> {
    return this.snapshotReadyPromise;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (typeof window !== "undefined") {
      window.addEventListener("online", this.onOnline);
      window.addEventListener("offline", this.onOffline);
      window.addEventListener("pagehide", this.onPageHide);
      window.addEventListener("pageshow", this.onPageShow);
      document.addEventListener("visibilitychange", this.onVisibility);
    }
    void this.connect();
  }

  stop(): void {
    this.running = false;
    if (typeof window !== "undefined") {
      window.removeEventListener("online", this.onOnline);
      window.removeEventListener("offline", this.onOffline);
      window.removeEventListener("pagehide", this.onPageHide);
      window.removeEventListener("pageshow", this.onPageShow);
      document.removeEventListener("visibilitychange", this.onVisibility);
    }
    this.cancelAttempt();
    this.dropSocket();
    this.setState("offline");
    // Nothing will read the snapshot point any more; readers waiting for it carry on (and meet the ended session).
    this.markSnapshotReady();
  }

  /** Typed subscription to one kind of event; returns the unsubscribe function. */
  on<K extends EventKind>(kind: K, handler: (frame: ServerFrameOf<K>) => void): () => void {
    return this.addHandler(kind, handler as Handler);
  }

  onAny(handler: (frame: ServerFrame) => void): () => void {
    return this.addHandler("*", handler);
  }

  /** Called when events may have been missed (a `resume_gap`): refetch what the view shows. */
  onResync(handler: () => void): () => void {
    this.resyncHandlers.add(handler);
    return () => this.resyncHandlers.delete(handler);
  }

  onStateChange(handler: (state: ConnectionState) => void): () => void {
    this.stateHandlers.add(handler);
    return () => this.stateHandlers.delete(handler);
  }

  private addHandler(kind: EventKind | "*", handler: Handler): () => void {
    let set = this.handlers.get(kind);
    if (!set) this.handlers.set(kind, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  private setState(next: ConnectionState): void {
    if (next === this.stateValue) return;
    this.stateValue = next;
    for (const h of this.stateHandlers) h(next);
  }

  private isBrowserOffline(): boolean {
    return typeof navigator !== "undefined" && navigator.onLine === false;
  }

  /**
   * One attempt at a time: `online`, `visibilitychange` and the retry timer
   * can all ask for a connection while a ticket is still being fetched, and
   * each extra attempt would open a second socket that receives every event
   * twice and is never closed.
   */
  private async connect(): Promise<void> {
    if (!this.running || this.socket || this.pending !== undefined) return;
    if (this.isBrowserOffline()) {
      this.setState("offline");
      return;
    }
    const attempt = (this.attemptSerial += 1);
    this.pending = attempt;
    try {
      if (!this.snapshotPointRead) await this.readSnapshotPoint();
      if (this.pending !== attempt) return;
      const { ticket } = await this.client.post<TicketResponse>("/api/realtime/ticket");
      if (this.pending !== attempt || !this.running) return;
      this.open(ticket);
    } catch (e) {
      if (this.pending !== attempt) return;
      this.pending = undefined;
      // A 401 here means the session ended; the auth store stops this connection.
      if (statusOf(e) === 401) return this.stop();
      this.scheduleReconnect();
    } finally {
      if (this.pending === attempt) this.pending = undefined;
    }
  }

  private async readSnapshotPoint(): Promise<void> {
    try {
      const { latestId } = await this.client.get<EventsListResponse>(SNAPSHOT_POINT_PATH);
      this.advanceTo(Number(latestId));
    } catch (e) {
      if (statusOf(e) === 401) throw e;
      this.resyncOnOpen = true;
    } finally {
      this.snapshotPointRead = true;
      this.markSnapshotReady();
    }
  }

  private open(ticket: string): void {
    const origin = this.opts.baseUrl || window.location.origin;
    const url = `${origin.replace(/^http/, "ws")}/api/realtime?ticket=${encodeURIComponent(ticket)}`;
    const ws = new this.opts.WebSocket(url);
    this.socket = ws;
    ws.addEventListener("open", () => {
      if (this.socket !== ws) return;
      this.attempt = 0;
      this.setState("connected");
      if (this.lastId !== undefined) ws.send(JSON.stringify({ type: "resume", after: String(this.lastId) }));
      this.startHeartbeat(ws);
      if (this.resyncOnOpen) {
        this.resyncOnOpen = false;
        this.resyncNow();
      }
    });
    ws.addEventListener("message", (e) => {
      if (this.socket !== ws) return;
      this.noteLife(ws);
      this.receive(typeof e.data === "string" ? e.data : "");
    });
    ws.addEventListener("close", () => {
      if (this.socket !== ws) return;
      this.dropSocket();
      this.scheduleReconnect();
    });
  }

  /** Forgets the attempt in flight: its ticket, when it arrives, opens nothing. */
  private cancelAttempt(): void {
    clearTimeout(this.retryTimer);
    this.pending = undefined;
  }

  private scheduleReconnect(): void {
    if (!this.running) return;
    if (this.isBrowserOffline()) {
      this.setState("offline");
      return;
    }
    this.setState("reconnecting");
    clearTimeout(this.retryTimer);
    const delay = backoffDelay(this.attempt, this.opts.baseDelayMs, this.opts.maxDelayMs, this.opts.random);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  private dropSocket(): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.silenceTimer);
    const ws = this.socket;
    this.socket = undefined;
    if (ws && ws.readyState <= 1) ws.close(1000, "client closed");
  }

  private startHeartbeat(ws: WebSocket): void {
    this.noteLife(ws);
    this.pingTimer = setInterval(() => ws.readyState === 1 && ws.send(PING_TEXT), this.opts.pingEveryMs);
  }

  /** Any frame proves the socket alive; silence past one ping and its grace means a dead connection to replace. */
  private noteLife(ws: WebSocket): void {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => {
      if (this.socket !== ws) return;
      this.dropSocket();
      this.scheduleReconnect();
    }, this.opts.pingEveryMs + this.opts.pongTimeoutMs);
  }

  private receive(text: string): void {
    let parsed;
    try {
      parsed = wireFrame.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      console.warn("taskpilot: dropped a realtime frame that does not match the contract", text.slice(0, 200));
      return;
    }
    const frame = parsed.data;
    if ("type" in frame) return;
    if ("latestId" in frame) {
      this.advanceTo(Number(frame.latestId));
      this.resyncNow();
      return;
    }
    const id = Number(frame.id);
    if (this.seen.has(id)) return;
    this.seen.add(id);
    if (this.seen.size > SEEN_WINDOW) this.seen.delete(this.seen.values().next().value as number);
    this.advanceTo(id);
    for (const h of this.handlers.get(frame.kind) ?? []) h(frame);
    for (const h of this.handlers.get("*") ?? []) h(frame);
  }

  private advanceTo(id: number): void {
    if (this.lastId === undefined || id > this.lastId) this.lastId = id;
  }

  private resyncNow(): void {
    for (const h of this.resyncHandlers) h();
  }

  private readonly onOnline = () => {
    this.attempt = 0;
    if (!this.socket) {
      clearTimeout(this.retryTimer);
      void this.connect();
    }
  };

  /** The browser knows the network is gone: stop pretending, and reconnect as soon as it returns. */
  private readonly onOffline = () => {
    this.cancelAttempt();
    this.dropSocket();
    this.setState("offline");
  };

  /**
   * Leaving the page closes the socket instead of leaving that to the
   * browser (some keep a page with an open WebSocket out of the
   * back-forward cache, others cut it); coming back from the cache is then a
   * plain reconnect that resumes after the last id and replays what happened
   * meanwhile.
   */
  private readonly onPageHide = () => {
    this.cancelAttempt();
    this.dropSocket();
    this.setState("reconnecting");
  };

  private readonly onPageShow = (e: PageTransitionEvent) => {
    if (!e.persisted) return;
    this.attempt = 0;
    void this.connect();
  };

  private readonly onVisibility = () => {
    if (document.visibilityState === "hidden") return;
    if (!this.socket && this.running && this.stateValue !== "connected") {
      clearTimeout(this.retryTimer);
      void this.connect();
    }
  };
}
