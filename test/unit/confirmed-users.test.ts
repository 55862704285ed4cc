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
    expect(cache.has("u1")).toBe(false);
    cache.confirm("u1");
    advance(999);
    expect(cache.has("u1")).toBe(true);
    advance(1);
    expect(cache.has("u1")).toBe(false);
    expect(cache.size).toBe(0);
  });

  it("forgets a user at once (account deletion in this isolate)", () => {
    const { cache } = clocked();
    cache.confirm("u1");
    cache.forget("u1");
    expect(cache.has("u1")).toBe(false);
  });

  it("a fresh confirmation restarts the TTL", () => {
    const { cache, advance } = clocked();
    cache.confirm("u1");
    advance(900);
    cache.confirm("u1");
    advance(900);
    expect(cache.has("u1")).toBe(true);
  });

  it("holds at most `capacity` users, dropping the one confirmed longest ago", () => {
    const { cache, advance } = clocked(60_000, 3);
    for (const id of ["a", "b", "c"]) {
      cache.confirm(id);
      advance(1);
    }
    cache.confirm("a");
    cache.confirm("d");
    expect(cache.size).toBe(3);
    expect(["a", "b", "c", "d"].filter((id) => cache.has(id))).toEqual(["a", "c", "d"]);
  });

  it("does not trust a confirmation from the future (a clock that went back)", () => {
    const { cache, advance } = clocked();
    cache.confirm("u1");
    advance(-1);
    expect(cache.has("u1")).toBe(false);
  });
});
