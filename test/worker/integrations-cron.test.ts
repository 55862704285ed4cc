import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { refreshDueIntegrations } from "../../worker/integrations/cron";
import type { ProviderId } from "../../worker/integrations/providers";
import { injectFlight, recordingSleep } from "./flight-helpers";
import { newUser, scriptOAuth, seedIntegration, upstreamCount } from "./integrations-helpers";

const minutes = (n: number) => new Date(Date.now() + n * 60_000);

/** A row whose refresh failed on an earlier pass and keeps failing (its provider answers 503). */
async function failingRow(expiresAt: Date, failedAt: Date | null): Promise<{ refreshToken: string }> {
  const { userId } = await newUser();
  const provider: ProviderId = "slack";
  const refreshToken = `rt-failing-${crypto.randomUUID()}`;
  const id = await seedIntegration(userId, provider, { accessToken: "at", refreshToken, expiresAt });
  if (failedAt) {
    await env.DB.prepare("update integrations set last_error_code = 'provider_unavailable', last_error_at = ? where id = ?").bind(failedAt.getTime(), id).run();
  }
  await scriptOAuth(refreshToken, { status: 503, body: "down", contentType: "text/plain" });
  await injectFlight(userId, provider, { sleep: recordingSleep().sleep });
  return { refreshToken };
}

async function dueRow(expiresAt: Date): Promise<{ refreshToken: string }> {
  const { userId } = await newUser();
  const refreshToken = `rt-due-${crypto.randomUUID()}`;
  await seedIntegration(userId, "gmail", { accessToken: "at", refreshToken, expiresAt });
  return { refreshToken };
}

beforeEach(async () => {
  await env.DB.prepare("delete from integrations").run();
});

describe("the cron pre-refresh batch", () => {
  it("rows that keep failing cannot starve a due row, even when they expire sooner and fill the batch", async () => {
    const failedLastPass = minutes(-5);
    const failing = [];
    for (let i = 0; i < 3; i += 1) failing.push(await failingRow(minutes(-10 - i), failedLastPass));
    const due = await dueRow(minutes(2));

    const pass = await refreshDueIntegrations(env, new Date(), 3);

    expect(pass.due).toBe(3);
    expect(await upstreamCount(due.refreshToken)).toBe(1);
    // The rest of the batch went to the failing rows that failed longest ago.
    const attempted = await Promise.all(failing.map((f) => upstreamCount(f.refreshToken)));
    expect(attempted.filter((n) => n > 0)).toHaveLength(2);
  });

  it("among rows that have not failed, the soonest expiry goes first", async () => {
    const later = [];
    for (let i = 0; i < 3; i += 1) later.push(await dueRow(minutes(8)));
    const soonest = await dueRow(minutes(1));

    await refreshDueIntegrations(env, new Date(), 1);

    expect(await upstreamCount(soonest.refreshToken)).toBe(1);
    expect(await Promise.all(later.map((r) => upstreamCount(r.refreshToken)))).toEqual([0, 0, 0]);
  });

  it("failing rows take turns: every one of them is retried within a few passes", async () => {
    const failing = [];
    for (let i = 0; i < 4; i += 1) failing.push(await failingRow(minutes(-10), null));

    for (let pass = 0; pass < 2; pass += 1) await refreshDueIntegrations(env, new Date(), 2);

    expect(await Promise.all(failing.map((f) => upstreamCount(f.refreshToken)))).toEqual([3, 3, 3, 3]);
  });
});
