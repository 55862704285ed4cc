import type { Env } from "../env";
import type { AgentSession } from "./session";

/** The session's Durable Object: one per session, named by its id. */
export function agentSession(env: Pick<Env, "AGENT_SESSION">, sessionId: string): DurableObjectStub<AgentSession> {
  const ns = env.AGENT_SESSION as unknown as DurableObjectNamespace<AgentSession>;
  return ns.get(ns.idFromName(sessionId));
}
