import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { publish, userHub } from "../../worker/realtime/publish";
import { connect, createUser } from "./realtime-helpers";

const statusEvent = (message: string) => ({ kind: "status" as const, jobId: "job-hib", scope: "session" as const, status: "ok", message });

/** workerd evicts an object that has seen no event for 10 s (hibernatable sockets do not count as activity). */
const RUNTIME_IDLE_EVICTION_MS = 10_000;
const idle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("UserHub hibernation", () => {
  it(
    "a hub the runtime hibernated wakes for the next event over the same open socket, keeping its numbering",
    async () => {
      const a = await createUser();
      const socket = await connect(a);
      try {
        await publish(env, a.id, statusEvent("before hibernation"));
        await socket.until(() => socket.events.length === 1, "the first event");
        const before = await runInDurableObject(userHub(env, a.id), (hub) => hub);

        // Nothing touches the hub while the runtime's own idle timer runs; only then is it asked
        // which instance it is. Up to three idle periods, since any check is itself activity.
        let woken = before;
        for (let round = 0; round < 3 && woken === before; round++) {
          await idle(RUNTIME_IDLE_EVICTION_MS + 2_000);
          expect(socket.closed, "hibernation keeps the socket open").toBeUndefined();
          woken = await runInDurableObject(userHub(env, a.id), (hub) => hub);
        }
        expect(woken, "the runtime evicted the idle hub").not.toBe(before);

        // The new instance found the socket (getWebSockets after the wake) and numbers on from storage.
        const next = await publish(env, a.id, statusEvent("after the wake"));
        expect(next.id).toBe("2");
        await socket.until(() => socket.events.length === 2, "the event after the wake, on the same socket");
        expect(socket.events.map((e) => e.id)).toEqual(["1", "2"]);
        expect(await userHub(env, a.id).stats()).toMatchObject({ sockets: 1, socketUsers: [a.id], lastId: "2" });
      } finally {
        socket.close();
      }
    },
    60_000,
  );
});
