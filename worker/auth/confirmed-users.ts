/**
 * How long this isolate trusts that a user it has seen in D1 still exists,
 * for read requests only. A deletion in this isolate forgets the user at once;
 * one in another isolate is seen by every write at once (they check D1) and
 * by reads at most this long after, reads that by then find nothing of the
 * account, since its rows went with it.
 */
export const USER_CONFIRMATION_TTL_MS = 30_000;
const CAPACITY = 10_000;

/**
 * Users recently confirmed to exist, so that a read does not pay a D1 round
 * trip only to learn that its correctly signed access token's user is still
 * there. Bounded: the oldest confirmation goes first.
 */
export class ConfirmedUsers {
  private readonly confirmedAt = new Map<string, number>();

  constructor(
    readonly ttlMs: number,
    readonly capacity: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  has(userId: string): boolean {
    const at = this.confirmedAt.get(userId);
    if (at === undefined) return false;
    const age = this.now() - at;
    if (age >= 0 && age < this.ttlMs) return true;
    this.confirmedAt.delete(userId);
    return false;
  }

  confirm(userId: string): void {
    // Re-inserting moves the user to the young end of the Map's order.
    this.confirmedAt.delete(userId);
    this.confirmedAt.set(userId, this.now());
    while (this.confirmedAt.size > this.capacity) {
      this.confirmedAt.delete(this.confirmedAt.keys().next().value!);
    }
  }

  forget(userId: string): void {
    this.confirmedAt.delete(userId);
  }

  get size(): number {
    return this.confirmedAt.size;
  }
}

/** This isolate's confirmations. */
export const confirmedUsers = new ConfirmedUsers(USER_CONFIRMATION_TTL_MS, CAPACITY);
