/**
 * How long this isolate trusts what it read in D1 about a user (that the account exists, and its session version),
 * for read requests only. A deletion or "This wasn't me" in this isolate updates it at once; one in another isolate
 * is seen by every write at once (they check D1) and by reads at most this long after. A deleted account's reads find
 * nothing by then, its rows gone with it.
 */
export const USER_CONFIRMATION_TTL_MS = 30_000;
const CAPACITY = 10_000;

/**
 * Users recently read from D1, with their session version, so that a read does not pay a D1 round trip only to learn
 * that its correctly signed access token's user is still there and its logins were not ended. Bounded: the oldest
 * confirmation goes first.
 */
export class ConfirmedUsers {
  private readonly confirmed = new Map<string, { at: number; version: number }>();

  constructor(
    readonly ttlMs: number,
    readonly capacity: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The session version confirmed within the TTL, or `undefined` (never confirmed, expired, forgotten). */
  versionOf(userId: string): number | undefined {
    const entry = this.confirmed.get(userId);
    if (entry === undefined) return undefined;
    const age = this.now() - entry.at;
    if (age >= 0 && age < this.ttlMs) return entry.version;
    this.confirmed.delete(userId);
    return undefined;
  }

  confirm(userId: string, version: number): void {
    // Re-inserting moves the user to the young end of the Map's order.
    this.confirmed.delete(userId);
    this.confirmed.set(userId, { at: this.now(), version });
    while (this.confirmed.size > this.capacity) {
      this.confirmed.delete(this.confirmed.keys().next().value!);
    }
  }

  forget(userId: string): void {
    this.confirmed.delete(userId);
  }

  get size(): number {
    return this.confirmed.size;
  }
}

/** This isolate's confirmations. */
export const confirmedUsers = new ConfirmedUsers(USER_CONFIRMATION_TTL_MS, CAPACITY);
