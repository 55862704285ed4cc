import type { z } from "zod";
import type { specEventName } from "../contract/events";
import type { Spec } from "../contract/specs";
import { database } from "../db/client";
import { appendSpecLog } from "../db/specs";
import type { Env } from "../env";
import { log } from "../http/log";
import { publish } from "../realtime/publish";

/**
 * What a spec tells its owner's tabs, through the one publish path; every
 * `spec`, `step` and `error` frame is also kept in the spec's build log so a
 * page opened later (or after a reload) shows the same history.
 */

type SpecEventName = z.infer<typeof specEventName>;

export interface SpecEmitter {
  spec(event: SpecEventName, phase: string | null, message: string, payload?: Record<string, unknown>): Promise<void>;
  step(agent: string, message: string, phase?: string | null): Promise<void>;
  status(status: string, message: string): Promise<void>;
  error(code: string, message: string, phase?: string | null): Promise<void>;
  chat(role: "user" | "assistant", sender: string, content: string, metadata?: Record<string, unknown>): Promise<void>;
  app(spec: Spec): Promise<void>;
}

export function specEmitter(env: Env, userId: string, specId: string, now: () => number = Date.now): SpecEmitter {
  const db = database(env);
  let order = 0;
  /** A frame that cannot be delivered must not undo the work it reports: the log keeps it and the page's refetch shows it. */
  const send = async (event: Parameters<typeof publish>[2]) => {
    try {
      await publish(env, userId, event);
    } catch (e) {
      log("warn", "spec_publish_failed", { specId, kind: event.kind, error: e instanceof Error ? e.message : String(e) });
    }
  };
  return {
    async spec(event, phase, message, payload = {}) {
      await appendSpecLog(db, specId, { kind: "spec", event, phase, message }, now());
      await send({ kind: "spec", jobId: specId, event, ...(phase ? { phase } : {}), payload: { message, ...payload } });
    },
    async step(agent, message, phase = null) {
      await appendSpecLog(db, specId, { kind: "step", event: agent, phase, message }, now());
      await send({ kind: "step", jobId: specId, scope: "spec", agent, message, order: order++ });
    },
    async status(status, message) {
      await send({ kind: "status", jobId: specId, scope: "spec", status, message });
    },
    async error(code, message, phase = null) {
      await appendSpecLog(db, specId, { kind: "error", event: code, phase, message }, now());
      await send({ kind: "error", jobId: specId, code, message });
    },
    async chat(role, sender, content, metadata = {}) {
      await send({ kind: "chat", jobId: specId, scope: "spec", role, sender, content, metadata });
    },
    async app(spec) {
      const { prdMarkdown, ...rest } = spec;
      await send({ kind: "app", jobId: specId, spec: { ...rest, tasks: rest.tasks.map(({ id, title, status }) => ({ id, title, status })) }, prdMarkdown: prdMarkdown ?? "" });
    },
  };
}
