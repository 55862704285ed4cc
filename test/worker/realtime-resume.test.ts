import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ResumeGapNotice } from "../../worker/contract/events";
import { KEEP_AT_LEAST, KEEP_FOR_MS } from "../../worker/realtime/event-log";
import { publish, userHub } from "../../worker/realtime/publish";
import { connect, createUser } from "./realtime-helpers";

const statusEvent = (message: string) => ({ kind: "status" as const, jobId: "job-r", scope: "spec" as const, status: "running", message });
const resume = (after: string) => JSON.stringify({ type: "resume", after });

describe("resume", () => {
  it("after id N returns exactly N+1… in order, once each, then live events", async () => {
    const a = await createUser();
    for (let i = 1; i <= 6; i++) await publish(env, a.id, statusEvent(`m${i}`));
    const socket = await connect(a);
    socket.send(resume("2"));
    await socket.until(() => socket.events.length === 4, "the replay");
    expect(socket.events.map((f) => f.id)).toEqual(["3", "4", "5", "6"]);
    expect(socket.events.map((f) => (f.kind === "status" ? f.message : ""))).toEqual(["m3", "m4", "m5", "m6"]);

    // Asking again, or from a later id, sends nothing this socket already has.
    socket.send(resume("2"));
    socket.send(resume("4"));
    await publish(env, a.id, statusEvent("m7"));
    await socket.until(() => socket.events.some((f) => f.id === "7"), "the live event");
    expect(socket.events.map((f) => f.id)).toEqual(["3", "4", "5", "6", "7"]);

    // From further back than before: only the part it has not had.
    socket.send(resume("0"));
    await socket.until(() => socket.events.length === 7, "the older part");
    expect(socket.events.map((f) => f.id)).toEqual(["3", "4", "5", "6", "7", "1", "2"]);
    expect(new Set(socket.events.map((f) => f.id)).size).toBe(7);
    socket.close();
  });

  it("does not repeat events a socket already received live", async () => {
    const a = await createUser();
    await publish(env, a.id, statusEvent("before"));
    const socket = await connect(a);
    await publish(env, a.id, statusEvent("live"));
    await socket.until(() => socket.events.length === 1, "the live event");
    socket.send(resume("0"));
    await socket.until(() => socket.events.length === 2, "the missed event");
    await publish(env, a.id, statusEvent("after"));
    await socket.until(() => socket.events.length === 3, "the next live event");
    expect(socket.events.map((f) => f.id)).toEqual(["2", "1", "3"]);
    socket.close();
  });

  it("says resume_gap when the id is older than the log, or newer than any event", async () => {
    const a = await createUser();
    const total = KEEP_AT_LEAST + 5;
    for (let start = 0; start < total; start += 100) {
      const batch = Math.min(100, total - start);
      await Promise.all(Array.from({ length: batch }, (_, i) => publish(env, a.id, statusEvent(`bulk ${start + i}`))));
    }
    // A day later the retention rule lets everything but the last 1,000 go.
    const floor = await runInDurableObject(userHub(env, a.id), async (hub) => {
      hub["log"].prune(Date.now() + KEEP_FOR_MS + 60_000);
      return (await hub.stats()).floor;
    });
    expect(floor).toBe("5");

    const socket = await connect(a);
    socket.send(resume("2"));
    await socket.until(() => socket.frames.length === 1, "the gap notice");
    const notice = socket.frames[0] as ResumeGapNotice;
    expect(notice).toMatchObject({ kind: "error", code: "resume_gap", latestId: String(total) });

    socket.send(resume(String(total + 50)));
    await socket.until(() => socket.frames.length === 2, "the second gap notice");
    expect(socket.frames[1]).toMatchObject({ code: "resume_gap" });

    socket.send(resume("5"));
    await socket.until(() => socket.events.length === KEEP_AT_LEAST, "the whole kept log");
    expect(socket.events[0]!.id).toBe("6");
    expect(socket.events.at(-1)!.id).toBe(String(total));
    socket.close();
  }, 60_000);
});
