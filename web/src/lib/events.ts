import {
  PING_TEXT,
  wireFrame,
  type EventKind,
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
  /** Window for folding focus, visibility and online signals into one refetch. */
  resyncDebounceMs?: number;
}

type Handler = (frame: ServerFrame) => void;

/** How many recent ids are remembered to drop a frame seen twice (e.g. around a resume). */
const SEEN_WINDOW = 2_000;

/** Full jitter (AWS architecture blog): spreads reconnecting tabs instead of having them stampede together. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  return Math.round(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

/**
 * The browser side of the realtime contract: connects with a fresh ticket,
 * reconnects with exponential backoff and jitter, resumes after the last id
 * it saw, parses every frame with the shared schema (a frame that does not
 * parse is dropped and logged, never trusted), and tells its subscribers
 * when they should refetch from REST: after a `resume_gap`, and when the
 * window comes back (focus, visibility, online).
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
  private resyncTimer: ReturnType<typeof setTimeout> | undefined;
  private hiddenSince: number | undefined;
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
      resyncDebounceMs: options.resyncDebounceMs ?? 400,
    };
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** The newest event id seen, as the server spells it. */
  get lastEventId(): string | undefined {
    return this.lastId === undefined ? undefined : String(this.lastId);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (typeof window !== "undefined") {
      window.addEventListener("online", this.onOnline);
      window.addEventListener("offline", this.onOffline);
      window.addEventListener("focus", this.onFocus);
      document.addEventListener("visibilitychange", this.onVisibility);
    }
    void this.connect();
  }

  stop(): void {
    this.running = false;
    if (typeof window !== "undefined") {
      window.removeEventListener("online", this.onOnline);
      window.removeEventListener("offline", this.onOffline);
      window.removeEventListener("focus", this.onFocus);
      document.removeEventListener("visibilitychange", this.onVisibility);
    }
    clearTimeout(this.retryTimer);
    clearTimeout(this.resyncTimer);
    this.dropSocket();
    this.setState("offline");
  }

  /** Typed subscription to one kind of event; returns the unsubscribe function. */
  on<K extends EventKind>(kind: K, handler: (frame: ServerFrameOf<K>) => void): () => void {
    return this.addHandler(kind, handler as Handler);
  }

  onAny(handler: (frame: ServerFrame) => void): () => void {
    return this.addHandler("*", handler);
  }

  /** Called when server state may have changed unseen: refetch what the view shows. */
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

  private async connect(): Promise<void> {
    if (!this.running) return;
    if (this.isBrowserOffline()) {
      this.setState("offline");
      return;
    }
    let ticket: string;
    try {
      ticket = (await this.client.post<TicketResponse>("/api/realtime/ticket")).ticket;
    } catch (e) {
      // A 401 here means the session ended; the auth store stops this connection.
      if ((e as { status?: number }).status === 401) return this.stop();
      return this.scheduleReconnect();
    }
    if (!this.running) return;
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
      this.remember(Number(frame.latestId));
      this.resyncNow();
      return;
    }
    const id = Number(frame.id);
    if (this.seen.has(id)) return;
    this.remember(id);
    for (const h of this.handlers.get(frame.kind) ?? []) h(frame);
    for (const h of this.handlers.get("*") ?? []) h(frame);
  }

  private remember(id: number): void {
    this.seen.add(id);
    if (this.seen.size > SEEN_WINDOW) this.seen.delete(this.seen.values().next().value as number);
    if (this.lastId === undefined || id > this.lastId) this.lastId = id;
  }

  private resyncNow(): void {
    clearTimeout(this.resyncTimer);
    for (const h of this.resyncHandlers) h();
  }

  /** Focus and visibilitychange usually fire together; one refetch for both. */
  private resyncSoon(): void {
    clearTimeout(this.resyncTimer);
    this.resyncTimer = setTimeout(() => this.resyncNow(), this.opts.resyncDebounceMs);
  }

  private readonly onOnline = () => {
    this.attempt = 0;
    if (!this.socket) {
      clearTimeout(this.retryTimer);
      void this.connect();
    }
    this.resyncSoon();
  };

  /** The browser knows the network is gone: stop pretending, and reconnect as soon as it returns. */
  private readonly onOffline = () => {
    clearTimeout(this.retryTimer);
    this.dropSocket();
    this.setState("offline");
  };

  private readonly onFocus = () => this.resyncSoon();

  private readonly onVisibility = () => {
    if (document.visibilityState === "hidden") {
      this.hiddenSince = Date.now();
      return;
    }
    if (this.hiddenSince !== undefined) this.resyncSoon();
    this.hiddenSince = undefined;
    if (!this.socket && this.running && this.stateValue !== "connected") {
      clearTimeout(this.retryTimer);
      void this.connect();
    }
  };
}
