/**
 * The hub's replay log in its own SQLite storage. Synchronous on purpose:
 * numbering and storing an event happen without an await in between, so two
 * concurrent publishes can never get the same id, and the log and the
 * counters always change together.
 */

/** At least this many recent events stay replayable, whatever their age. */
export const KEEP_AT_LEAST = 1_000;
/** Events younger than this stay replayable, however many there are… */
export const KEEP_FOR_MS = 24 * 60 * 60 * 1000;
/** …up to this many, so one noisy user cannot grow a hub without bound. */
export const KEEP_AT_MOST = 50_000;
/** A history row D1 refused this many times is given up on (it stays in the replay log while young). */
export const MAX_HISTORY_ATTEMPTS = 10;

export interface LoggedEvent {
  seq: number;
  kind: string;
  frame: string;
  createdAt: number;
}

type Row = Record<string, SqlStorageValue>;

export class EventLog {
  userId: string | undefined;
  lastSeq = 0;
  /** Every seq above this is still in the log; a resume from below it is a gap. */
  floor = 0;
  malformedFrames = 0;
  socketSerial = 0;
  /** Set once the user's account is deleted: the hub refuses new events and sockets for good. */
  deleted = false;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS hub_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS event_log (
      seq INTEGER PRIMARY KEY,
      kind TEXT NOT NULL,
      frame TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      in_history INTEGER NOT NULL DEFAULT 0,
      history_attempts INTEGER NOT NULL DEFAULT 0
    )`);
    for (const row of sql.exec<{ key: string; value: string }>(`SELECT key, value FROM hub_meta`)) {
      if (row.key === "user_id") this.userId = row.value;
      else if (row.key === "last_seq") this.lastSeq = Number(row.value);
      else if (row.key === "floor") this.floor = Number(row.value);
      else if (row.key === "malformed_frames") this.malformedFrames = Number(row.value);
      else if (row.key === "socket_serial") this.socketSerial = Number(row.value);
      else if (row.key === "deleted") this.deleted = row.value === "1";
    }
  }

  private setMeta(key: string, value: string | number): void {
    this.sql.exec(`INSERT OR REPLACE INTO hub_meta (key, value) VALUES (?, ?)`, key, String(value));
  }

  markDeleted(): void {
    this.deleted = true;
    this.setMeta("deleted", 1);
  }

  bindUser(userId: string): void {
    this.userId = userId;
    this.setMeta("user_id", userId);
  }

  /** Numbering continues after `seq` (used when this log starts empty but history already has events). */
  startAfter(seq: number): void {
    if (seq <= this.lastSeq) return;
    this.lastSeq = seq;
    this.floor = seq;
    this.setMeta("last_seq", seq);
    this.setMeta("floor", seq);
  }

  append(kind: string, build: (seq: number, createdAt: number) => string): LoggedEvent {
    const seq = this.lastSeq + 1;
    const createdAt = Date.now();
    const frame = build(seq, createdAt);
    this.sql.exec(`INSERT INTO event_log (seq, kind, frame, created_at) VALUES (?, ?, ?, ?)`, seq, kind, frame, createdAt);
    this.setMeta("last_seq", seq);
    this.lastSeq = seq;
    return { seq, kind, frame, createdAt };
  }

  /** Frames with after < seq ≤ through, oldest first. */
  range(after: number, through: number): string[] {
    return this.sql
      .exec<{ frame: string }>(`SELECT frame FROM event_log WHERE seq > ? AND seq <= ? ORDER BY seq`, after, through)
      .toArray()
      .map((r) => r.frame);
  }

  markInHistory(seqs: number[]): void {
    for (const seq of seqs) this.sql.exec(`UPDATE event_log SET in_history = 1 WHERE seq = ?`, seq);
  }

  /** Counts a failed history write; returns the seqs that have now failed too often and are given up. */
  recordHistoryFailure(seqs: number[]): number[] {
    const abandoned: number[] = [];
    for (const seq of seqs) {
      const row = this.sql
        .exec<{ attempts: number }>(
          `UPDATE event_log SET history_attempts = history_attempts + 1 WHERE seq = ? RETURNING history_attempts AS attempts`,
          seq,
        )
        .toArray()[0];
      if (row && row.attempts >= MAX_HISTORY_ATTEMPTS) {
        this.sql.exec(`UPDATE event_log SET in_history = 2 WHERE seq = ?`, seq);
        abandoned.push(seq);
      }
    }
    return abandoned;
  }

  pendingHistory(limit = 50): LoggedEvent[] {
    return this.sql
      .exec<Row>(`SELECT seq, kind, frame, created_at FROM event_log WHERE in_history = 0 ORDER BY seq LIMIT ?`, limit)
      .toArray()
      .map((r) => ({ seq: Number(r.seq), kind: String(r.kind), frame: String(r.frame), createdAt: Number(r.created_at) }));
  }

  /** Drops what the retention rules allow (never a row still waiting for its history write) and raises the floor. */
  prune(now = Date.now()): void {
    const byAge = this.sql
      .exec<{ seq: number | null }>(
        `SELECT max(seq) AS seq FROM event_log WHERE seq <= ? AND created_at < ?`,
        this.lastSeq - KEEP_AT_LEAST,
        now - KEEP_FOR_MS,
      )
      .one().seq;
    const cut = Math.max(this.floor, byAge ?? 0, this.lastSeq - KEEP_AT_MOST);
    if (cut <= this.floor) return;
    this.sql.exec(`DELETE FROM event_log WHERE seq <= ? AND in_history != 0`, cut);
    this.floor = cut;
    this.setMeta("floor", cut);
  }

  countMalformedFrame(): void {
    this.malformedFrames += 1;
    this.setMeta("malformed_frames", this.malformedFrames);
  }

  nextSocketSerial(): number {
    this.socketSerial += 1;
    this.setMeta("socket_serial", this.socketSerial);
    return this.socketSerial;
  }

}
