import { describe, expect, it } from "vitest";
import { retryWhileBusy } from "../../scripts/lib/d1-cli.mjs";

// The command-line scripts (admin:audit, admin:grant, keys:rotate, db:export, db:import) open the same local
// SQLite file a running `npm start` holds; a write of the server's at that moment fails wrangler's open with
// SQLITE_BUSY. The whole batch then never ran, so trying again is safe; anything else is not retried.

const BUSY = "wrangler d1 execute exited with 1\nworkerd/util/sqlite.c++:842: failed: SQLite failed; database is locked: SQLITE_BUSY";

function failing(messages: string[], result = "[]") {
  let calls = 0;
  return {
    run: async () => {
      const message = messages[calls++];
      if (message !== undefined) throw new Error(message);
      return result;
    },
    calls: () => calls,
  };
}

describe("retryWhileBusy", () => {
  it("tries again while the local database is locked, backing off, and resolves with the first success", async () => {
    const waits: number[] = [];
    const retries: number[] = [];
    const cmd = failing([BUSY, BUSY, "database is locked"], '[{"results":[]}]');
    const out = await retryWhileBusy(cmd.run, { sleep: async (ms: number) => void waits.push(ms), onRetry: (n: number) => retries.push(n) });
    expect(out).toBe('[{"results":[]}]');
    expect(cmd.calls()).toBe(4);
    expect(waits).toEqual([200, 400, 800]);
    expect(retries).toEqual([1, 2, 3]);
  });

  it("throws any other failure at once", async () => {
    const waits: number[] = [];
    const cmd = failing(["wrangler d1 execute exited with 1\nno such table: users"]);
    await expect(retryWhileBusy(cmd.run, { sleep: async (ms: number) => void waits.push(ms) })).rejects.toThrow("no such table: users");
    expect(cmd.calls()).toBe(1);
    expect(waits).toEqual([]);
  });

  it("gives up with the last error after the allowed tries", async () => {
    const waits: number[] = [];
    const cmd = failing(Array(10).fill(BUSY));
    await expect(retryWhileBusy(cmd.run, { attempts: 3, sleep: async (ms: number) => void waits.push(ms) })).rejects.toThrow("SQLITE_BUSY");
    expect(cmd.calls()).toBe(3);
    expect(waits).toEqual([200, 400]);
  });
});
