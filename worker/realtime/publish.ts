import { eventInput, type EventInput, type ServerFrame } from "../contract/events";
import type { Env } from "../env";
import type { UserHub } from "./hub";

/** The user's hub: one Durable Object per user, named by the user id. */
export function userHub(env: Pick<Env, "USER_HUB">, userId: string): DurableObjectStub<UserHub> {
  const ns = env.USER_HUB as unknown as DurableObjectNamespace<UserHub>;
  return ns.get(ns.idFromName(userId));
}

/** Frames stay small so every socket gets them fast and one event cannot crowd the replay log or a D1 row. */
export const MAX_EVENT_BYTES = 256 * 1024;

export class InvalidEventError extends Error {
  constructor(readonly issues: { path: string; message: string }[]) {
    super(`invalid event: ${issues.map((i) => `${i.path || "(event)"} ${i.message}`).join("; ")}`);
    this.name = "InvalidEventError";
  }
}

/**
 * The one way any feature tells a user's open tabs and clients that
 * something changed. The event is validated here, in the publisher, so a
 * bad event fails the caller and never reaches the wire; the hub numbers it,
 * keeps it for replay, writes it to D1 and sends it to every socket of
 * that user. Returns the frame as sent.
 */
export async function publish(env: Pick<Env, "USER_HUB">, userId: string, event: EventInput): Promise<ServerFrame> {
  const parsed = eventInput.safeParse(event);
  if (!parsed.success) {
    throw new InvalidEventError(parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })));
  }
  const bytes = new TextEncoder().encode(JSON.stringify(parsed.data)).byteLength;
  if (bytes > MAX_EVENT_BYTES) {
    throw new InvalidEventError([{ path: "", message: `is ${bytes} bytes; events are at most ${MAX_EVENT_BYTES} (send an id and let clients fetch the rest)` }]);
  }
  return userHub(env, userId).publish(userId, parsed.data);
}

/** Sign-out: closes every socket of the user (they need a new ticket to come back). */
export async function closeUserSockets(env: Pick<Env, "USER_HUB">, userId: string): Promise<number> {
  return userHub(env, userId).closeAllSockets("signed_out");
}

/** Account deletion: closes the sockets and drops the hub's log and counters. */
export async function purgeUserHub(env: Pick<Env, "USER_HUB">, userId: string): Promise<void> {
  await userHub(env, userId).purge();
}
