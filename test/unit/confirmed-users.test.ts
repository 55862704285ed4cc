import { describe, expect, it } from "vitest";
import { ConfirmedUsers } from "../../worker/auth/confirmed-users";

function clocked(ttlMs = 1_000, capacity = 3) {
  let now = 10_000;
  const cache = new ConfirmedUsers(ttlMs, capacity, () => now);
  return { cache, advance: (ms: number) => (now += ms) };
}

describe("the isolate's confirmations of existing users", () => {
  it("trusts a confirmation for the TTL and not a millisecond longer", () => {
    const { cache, advance } = clocked();
    expect(cache.versionOf("u1") !== undefined).toBe(false);
    cache.confirm("u1", 0);
    advance(999);
    expect(cache.versionOf("u1") !== undefined).toBe(true);
    advance(1);
    expect(cache.versionOf("u1") !== undefined).toBe(false);
    expect(cache.size).toBe(0);
  });

  it("keeps the session version it read, and a newer confirmation replaces it (This wasn't me in this isolate)", () => {
    const { cache } = clocked();
    cache.confirm("u1", 0);
    expect(cache.versionOf("u1")).toBe(0);
    cache.confirm("u1", 1);
    expect(cache.versionOf("u1")).toBe(1);
    expect(cache.size).toBe(1);
  });

  it("forgets a user at once (account deletion in this isolate)", () => {
    const { cache } = clocked();
    cache.confirm("u1", 0);
    cache.forget("u1");
    expect(cache.versionOf("u1") !== undefined).toBe(false);
  });

  it("a fresh confirmation restarts the TTL", () => {
    const { cache, advance } = clocked();
    cache.confirm("u1", 0);
    advance(900);
    cache.confirm("u1", 0);
    advance(900);
    expect(cache.versionOf("u1") !== undefined).toBe(true);
  });

  it("holds at most `capacity` users, dropping the one confirmed longest ago", () => {
    const { cache, advance } = clocked(60_000, 3);
    for (const id of ["a", "b", "c"]) {
      cache.confirm(id, 0);
      advance(1);
    }
    cache.confirm("a", 0);
    cache.confirm("d", 0);
    expect(cache.size).toBe(3);
    expect(["a", "b", "c", "d"].filter((id) => cache.versionOf(id) !== undefined)).toEqual(["a", "c", "d"]);
  });

  it("does not trust a confirmation from the future (a clock that went back)", () => {
    const { cache, advance } = clocked();
    cache.confirm("u1", 0);
    advance(-1);
    expect(cache.versionOf("u1") !== undefined).toBe(false);
  });
});
