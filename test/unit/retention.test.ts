import { describe, expect, it } from "vitest";
import { REFRESH_FAMILY_TTL_MS } from "../../worker/auth/refresh-token";
import { drain, PURGE_BATCH_ROWS, PURGE_MAX_BATCHES, RETENTION, retentionCutoffs } from "../../worker/ops/retention";
import { KEEP_AT_LEAST, KEEP_FOR_MS } from "../../worker/realtime/event-log";

const DAY = 86_400_000;

describe("retention policy", () => {
  it("computes every cutoff from the clock it is given", () => {
    const now = new Date("2026-03-01T12:00:00.000Z");
    expect(retentionCutoffs(now)).toEqual({
      eventsBefore: new Date("2026-01-30T12:00:00.000Z"),
      integrationEventsBefore: new Date("2025-12-01T12:00:00.000Z"),
      spentRefreshTokensBefore: new Date("2026-01-30T12:00:00.000Z"),
      endedLoginsBefore: new Date("2026-01-30T12:00:00.000Z"),
      expiredBefore: now,
      rateLimitWindowsBefore: new Date("2026-02-28T12:00:00.000Z"),
      webhookDeliveriesBefore: new Date("2026-01-30T12:00:00.000Z"),
      deadLettersBefore: new Date("2026-01-30T12:00:00.000Z"),
    });
  });

  it("keeps at least what the hub promises to replay, and every spent refresh token a live login could still be robbed of", () => {
    expect(RETENTION.eventsMs).toBeGreaterThanOrEqual(KEEP_FOR_MS);
    expect(RETENTION.eventsKeepNewest).toBeGreaterThanOrEqual(KEEP_AT_LEAST);
    // A token spent longer ago than a login lives belongs to an expired login; anything shorter could drop one of a live login.
    expect(RETENTION.spentRefreshTokensMs).toBeGreaterThanOrEqual(REFRESH_FAMILY_TTL_MS);
    expect(RETENTION.integrationEventsMs).toBe(90 * DAY);
  });
});

describe("drain (bounded batches)", () => {
  it("repeats while batches come back full and stops at the first short one", async () => {
    const answers = [PURGE_BATCH_ROWS, PURGE_BATCH_ROWS, 3];
    const asked: number[] = [];
    const result = await drain(async (limit) => {
      asked.push(limit);
      return answers.shift()!;
    });
    expect(result).toEqual({ deleted: 2 * PURGE_BATCH_ROWS + 3, more: false });
    expect(asked).toEqual([PURGE_BATCH_ROWS, PURGE_BATCH_ROWS, PURGE_BATCH_ROWS]);
  });

  it(`stops after ${PURGE_MAX_BATCHES} full batches and reports that more is left`, async () => {
    let calls = 0;
    const result = await drain(async (limit) => {
      calls++;
      return limit;
    });
    expect(calls).toBe(PURGE_MAX_BATCHES);
    expect(result).toEqual({ deleted: PURGE_BATCH_ROWS * PURGE_MAX_BATCHES, more: true });
  });

  it("an empty table costs one statement", async () => {
    let calls = 0;
    expect(await drain(async () => (calls++, 0))).toEqual({ deleted: 0, more: false });
    expect(calls).toBe(1);
  });
});
