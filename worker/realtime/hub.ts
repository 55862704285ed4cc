import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

/** One per user (named by user id): WebSocket fan-out and the per-user event log. */
export class UserHub extends DurableObject<Env> {
  /** Round trip used by the health check. */
  async ping(): Promise<"pong"> {
    return "pong";
  }
}
