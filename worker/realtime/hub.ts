import { DurableObject } from "cloudflare:workers";
import { clientFrame, PING_TEXT, PONG_TEXT, type EventInput, type ResumeGapNotice, type ServerFrame } from "../contract/events";
import { database, schema } from "../db/client";
import { latestEventSeq } from "../db/events";
import type { Env } from "../env";
import { log } from "../http/log";
import { flushMetrics, metrics } from "../metrics/record";
import { EventLog, type LoggedEvent } from "./event-log";

/** Set by the worker after it has checked the ticket; the hub is reachable only through the worker. */
export const HUB_USER_HEADER = "x-taskpilot-user";
export const MAX_CLIENT_FRAME_BYTES = 64 * 1024;
export const MAX_SOCKETS_PER_USER = 100;
export const CLOSE_TOO_BIG = 1009;
export const CLOSE_POLICY = 1008;
/** Application close code: the user signed out or was deleted; a new ticket is needed. */
export const CLOSE_SIGNED_OUT = 4001;
/**
 * Why a hub refuses a socket. Answered as a 409 with `{ refused }` instead of
 * an exception, so the worker can turn a known state into a problem response
 * rather than a 500 (worker/realtime/routes.ts).
 */
export type HubRefusal = "account_deleted" | "hub_user_mismatch";
export const HUB_REFUSED_STATUS = 409;
const HISTORY_RETRY_MS = 5_000;
const PRUNE_EVERY = 100;

/** Kept with each socket so it survives hibernation and eviction. */
export interface SocketAttachment {
  userId: string;
  /** Order of connection, for closing the oldest socket first. */
  serial: number;
  /** This socket has been sent, or been live for, every event with a greater id. */
  coveredAfter: number;
  closing?: boolean;
}

export interface HubStats {
  userId: string | undefined;
  sockets: number;
  socketUsers: string[];
  lastId: string;
  floor: string;
  malformedFrames: number;
}

/**
 * One per user (named by user id): numbers the user's events, keeps the
 * replay log, and fans frames out to every socket of that user through the
 * WebSocket Hibernation API. Everything it needs after a wake-up or an
 * eviction is in its SQLite storage and in the socket attachments, never
 * only in memory.
 */
/** Where a hub keeps the number of open sockets it last reported (reportSockets). */
const METRICS_SOCKETS_KEY = "metrics:open-sockets";

export class UserHub extends DurableObject<Env> {
  private log: EventLog;
  private historyChecked: Promise<void> | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.log = new EventLog(ctx.storage.sql);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_TEXT, PONG_TEXT));
  }

  /** Round trip used by the health check and the benchmark's floor. */
  async ping(): Promise<"pong"> {
    return "pong";
  }

  /** Numbers, stores and broadcasts one already-validated event; returns the frame as sent. */
  async publish(userId: string, event: EventInput): Promise<ServerFrame> {
    this.claim(userId);
    await this.continueNumberingFromHistory(userId);
    const entry = this.log.append(event.kind, (seq, createdAt) =>
      JSON.stringify({ ...event, id: String(seq), timestamp: new Date(createdAt).toISOString() }),
    );
    this.broadcast(entry.frame);
    if (entry.seq % PRUNE_EVERY === 0) this.log.prune();
    await this.writeHistory([entry]);
    return JSON.parse(entry.frame) as ServerFrame;
  }

  /** Closes every socket of this user (sign-out). */
  async closeAllSockets(reason = "signed_out"): Promise<number> {
    const sockets = this.ctx.getWebSockets();
    for (const ws of sockets) safeClose(ws, CLOSE_SIGNED_OUT, reason);
    this.reportSockets();
    return sockets.length;
  }

  /** Account deletion: closes the sockets and forgets the log and counters. */
  async purge(): Promise<void> {
    await this.closeAllSockets("account_deleted");
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.log = new EventLog(this.ctx.storage.sql);
    // A publish racing the deletion must not write the user's data back into this hub.
    this.log.markDeleted();
    this.historyChecked = undefined;
  }

  async stats(): Promise<HubStats> {
    const sockets = this.ctx.getWebSockets();
    return {
      userId: this.log.userId,
      sockets: sockets.length,
      socketUsers: sockets.map((ws) => (ws.deserializeAttachment() as SocketAttachment).userId),
      lastId: String(this.log.lastSeq),
      floor: String(this.log.floor),
      malformedFrames: this.log.malformedFrames,
    };
  }

  override async fetch(request: Request): Promise<Response> {
    const userId = request.headers.get(HUB_USER_HEADER);
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !userId) {
      return new Response("expected an authenticated WebSocket upgrade", { status: 400 });
    }
    const refused = this.refusal(userId);
    if (refused) {
      log(refused === "account_deleted" ? "info" : "error", "realtime_socket_refused", { userId, hubUserId: this.log.userId, refused });
      return Response.json({ refused } satisfies { refused: HubRefusal }, { status: HUB_REFUSED_STATUS });
    }
    this.claim(userId);
    this.makeRoomForOneMore();
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [userId]);
    const attachment: SocketAttachment = { userId, serial: this.log.nextSocketSerial(), coveredAfter: this.log.lastSeq };
    server.serializeAttachment(attachment);
    metrics(this.env).inc("taskpilot_websocket_connections_opened_total", {});
    this.reportSockets();
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (byteLength(message) > MAX_CLIENT_FRAME_BYTES) {
      safeClose(ws, CLOSE_TOO_BIG, "frame too large");
      return;
    }
    const frame = typeof message === "string" ? parseClientFrame(message) : undefined;
    if (!frame) {
      this.log.countMalformedFrame();
      log("info", "realtime_malformed_frame", { userId: this.log.userId, total: this.log.malformedFrames });
      return;
    }
    if (frame.type === "ping") ws.send(PONG_TEXT);
    else this.resume(ws, Number(frame.after));
  }

  /**
   * The runtime answers the client's close frame itself at our compatibility
   * date; the handler still has to exist (a missing one is an uncaught
   * exception in the runtime), and replying is what completes the handshake
   * on older dates. A second close is a no-op in `safeClose`.
   */
  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    safeClose(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
    this.reportSockets();
  }

  override async webSocketError(_ws: WebSocket, error: unknown): Promise<void> {
    log("warn", "realtime_socket_error", { userId: this.log.userId, error: String(error) });
    this.reportSockets();
  }

  /**
   * The open-sockets gauge of GET /api/metrics, kept as up/down moves: the
   * difference between the sockets open now and what this hub last told the
   * metrics store (kept in its storage, so it survives hibernation). Called
   * after every accept and close, so a socket is counted down once however
   * it ended (closed by the client, by us, or by an error).
   */
  private reportSockets(): void {
    const open = this.ctx.getWebSockets().filter((ws) => ws.readyState === WebSocket.OPEN).length;
    const told = this.ctx.storage.kv.get<number>(METRICS_SOCKETS_KEY) ?? 0;
    if (open !== told) {
      this.ctx.storage.kv.put(METRICS_SOCKETS_KEY, open);
      metrics(this.env).add("taskpilot_websocket_connections", {}, open - told);
    }
    this.ctx.waitUntil(flushMetrics(this.env));
  }

  /** Retries history rows D1 refused earlier. */
  override async alarm(): Promise<void> {
    const pending = this.log.pendingHistory();
    if (pending.length === 0) return;
    await this.writeHistory(pending);
    if (this.log.pendingHistory(1).length > 0 && (await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now() + HISTORY_RETRY_MS);
    }
  }

  /**
   * Sends what this socket has not had yet: events after `after` up to the
   * point from which it was live. Events it already received live are not
   * sent again, so a socket sees each id at most once.
   */
  private resume(ws: WebSocket, after: number): void {
    const attachment = ws.deserializeAttachment() as SocketAttachment;
    const unknownToThisHub = after > this.log.lastSeq;
    if (!unknownToThisHub && after >= attachment.coveredAfter) return;
    if (unknownToThisHub || after < this.log.floor) {
      const notice: ResumeGapNotice = {
        kind: "error",
        code: "resume_gap",
        message: "Events after that id are no longer kept; refetch the current state over REST.",
        latestId: String(this.log.lastSeq),
        timestamp: new Date().toISOString(),
      };
      ws.send(JSON.stringify(notice));
      return;
    }
    for (const frame of this.log.range(after, attachment.coveredAfter)) ws.send(frame);
    ws.serializeAttachment({ ...attachment, coveredAfter: after } satisfies SocketAttachment);
  }

  private broadcast(frame: string): void {
    for (const ws of this.ctx.getWebSockets(this.log.userId)) {
      try {
        ws.send(frame);
      } catch {
        // A socket that is closing cannot take frames; it gets the rest by resuming.
      }
    }
  }

  /** A hub serves exactly one user; a second user id means a routing bug, never shared sockets. */
  private claim(userId: string): void {
    const refused = this.refusal(userId);
    if (refused === "account_deleted") throw new Error("this UserHub's user has been deleted");
    if (refused === "hub_user_mismatch") throw new Error("this UserHub belongs to another user");
    if (this.log.userId === undefined) this.log.bindUser(userId);
  }

  private refusal(userId: string): HubRefusal | undefined {
    if (this.log.deleted) return "account_deleted";
    if (this.log.userId !== undefined && this.log.userId !== userId) return "hub_user_mismatch";
    return undefined;
  }

  /** If this hub's storage starts empty while D1 already has events (storage lost), ids must not restart at 1. */
  private continueNumberingFromHistory(userId: string): Promise<void> {
    if (this.log.lastSeq > 0) return Promise.resolve();
    this.historyChecked ??= latestEventSeq(database(this.env), userId).then(
      (seq) => this.log.startAfter(seq),
      (error: unknown) => {
        // Not cached: the next publish asks D1 again instead of failing forever.
        this.historyChecked = undefined;
        throw error;
      },
    );
    return this.historyChecked;
  }

  private makeRoomForOneMore(): void {
    const open = this.ctx
      .getWebSockets()
      .map((ws) => ({ ws, attachment: ws.deserializeAttachment() as SocketAttachment }))
      .filter((s) => !s.attachment.closing)
      .sort((a, b) => a.attachment.serial - b.attachment.serial);
    for (const { ws, attachment } of open.slice(0, Math.max(0, open.length - MAX_SOCKETS_PER_USER + 1))) {
      ws.serializeAttachment({ ...attachment, closing: true } satisfies SocketAttachment);
      safeClose(ws, CLOSE_POLICY, "too many connections");
    }
  }

  private async writeHistory(entries: LoggedEvent[]): Promise<void> {
    const userId = this.log.userId;
    if (!userId || entries.length === 0) return;
    const rows = entries.map((e) => ({ userId, seq: e.seq, kind: e.kind, frame: e.frame, createdAt: new Date(e.createdAt) }));
    const seqs = entries.map((e) => e.seq);
    try {
      await database(this.env).insert(schema.events).values(rows).onConflictDoNothing();
      this.log.markInHistory(seqs);
    } catch (e) {
      const abandoned = this.log.recordHistoryFailure(seqs);
      log("error", "realtime_history_write_failed", { userId, seqs, abandoned, error: (e as Error).message });
      if (abandoned.length < seqs.length) await this.ctx.storage.setAlarm(Date.now() + HISTORY_RETRY_MS);
    }
  }
}

function parseClientFrame(text: string) {
  try {
    const parsed = clientFrame.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function byteLength(message: string | ArrayBuffer): number {
  if (typeof message !== "string") return message.byteLength;
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short strings need no encoding to be judged.
  return message.length * 3 <= MAX_CLIENT_FRAME_BYTES ? message.length : new TextEncoder().encode(message).byteLength;
}

function safeClose(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Already closed: nothing left to do.
  }
}
