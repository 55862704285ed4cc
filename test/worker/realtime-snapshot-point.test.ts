import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { EventsListResponse } from "../../worker/contract/events";
import { publish } from "../../worker/realtime/publish";
import { authed, connect, createUser, ORIGIN, type TestUser } from "./realtime-helpers";

const statusEvent = (message: string) => ({ kind: "status" as const, jobId: "job-p", scope: "session" as const, status: "ok", message });
const resume = (after: string) => JSON.stringify({ type: "resume", after });

async function history(user: TestUser, query = ""): Promise<EventsListResponse> {
  const res = await SELF.fetch(`${ORIGIN}/api/events${query}`, authed(user));
  expect(res.status).toBe(200);
  return (await res.json()) as EventsListResponse;
}

describe("GET /api/events: the snapshot point (latestId)", () => {
  it("says the newest event id, alone with limit=0, and next to any page of history", async () => {
    const a = await createUser();
    expect(await history(a, "?limit=0")).toEqual({ events: [], latestId: "0" });
    const sent = [];
    for (let i = 1; i <= 3; i++) sent.push(await publish(env, a.id, statusEvent(`p${i}`)));

    expect(await history(a, "?limit=0")).toEqual({ events: [], latestId: "3" });
    expect(await history(a)).toEqual({ events: sent, latestId: "3" });
    // A page that stops early still says where the stream is, not where the page ended.
    expect(await history(a, "?after=0&limit=1")).toEqual({ events: sent.slice(0, 1), latestId: "3" });

    // Another user's events move nobody else's point.
    const b = await createUser();
    await publish(env, b.id, statusEvent("b1"));
    expect((await history(a, "?limit=0")).latestId).toBe("3");
  });

  it("refuses a negative limit like any other bad query", async () => {
    const a = await createUser();
    const res = await SELF.fetch(`${ORIGIN}/api/events?limit=-1`, authed(a));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("invalid_request");
  });

  it("closes the window between a REST snapshot and the socket: an event published in between is replayed after the point", async () => {
    const a = await createUser();
    await publish(env, a.id, statusEvent("before the page loaded"));
    // The page reads the point, then its snapshot; the change below lands after both, before the socket opens.
    const { latestId } = await history(a, "?limit=0");
    const between = await publish(env, a.id, statusEvent("published while the ticket was fetched"));

    const resumed = await connect(a);
    resumed.send(resume(latestId));
    await resumed.until(() => resumed.events.length === 1, "the replayed event");
    expect(resumed.events).toEqual([between]);

    // Without the point a fresh socket only sees what comes next: the event in between is lost to it.
    const plain = await connect(a);
    const next = await publish(env, a.id, statusEvent("live"));
    await plain.until(() => plain.events.length === 1, "the live event");
    expect(plain.events).toEqual([next]);
    resumed.close();
    plain.close();
  });
});
