import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

/**
 * One per agent session: owns the turn loop, the status machine and the
 * checkpoints. The binding is declared from the start so that later work
 * only adds code; the turn loop arrives with the agent-sessions work.
 */
export class AgentSession extends DurableObject<Env> {
  async ping(): Promise<"pong"> {
    return "pong";
  }
}
