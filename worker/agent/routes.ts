import { Hono } from "hono";
import { requireUser } from "../auth/middleware";
import { CreateSessionBody, ListSessionsQuery, PatchSessionBody, RestoreBody, SendMessageBody, type Session } from "../contract/agent";
import { findUserSession, listUserSessions, toSession } from "../db/agent";
import { database } from "../db/client";
import type { Env } from "../env";
import { AppError } from "../errors";
import type { AppBindings } from "../http/types";
import { jsonBody, queryParams } from "../http/validate";
import type { AgentSession, Outcome } from "./session";
import { agentSession } from "./stub";

export { agentSession };


function unwrap<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new AppError(outcome.status, outcome.code, outcome.detail);
  return outcome.value;
}

/**
 * The D1 mirror answers "is this the caller's session" before the object is
 * woken: another user's session and a made-up id are the same 404, so the
 * answer never says a session exists.
 */
async function ownSession(env: Env, userId: string, id: string): Promise<DurableObjectStub<AgentSession>> {
  if (id.length > 100 || !(await findUserSession(database(env), userId, id))) throw new AppError(404, "session_not_found", "No such session.");
  return agentSession(env, id);
}

export const sessions = new Hono<AppBindings>()
  .use("*", requireUser)
  .post("/", jsonBody(CreateSessionBody), async (c) => {
    const id = crypto.randomUUID();
    const session = unwrap(await agentSession(c.env, id).create(c.get("userId"), id, c.req.valid("json").title));
    return c.json({ session }, 201);
  })
  .get("/", queryParams(ListSessionsQuery), async (c) => {
    const rows = await listUserSessions(database(c.env), c.get("userId"));
    const by = c.req.valid("query").groupBy;
    const groups = new Map<string, Session[]>();
    for (const row of rows) {
      const session = toSession(row);
      // Days are UTC dates of the last activity; the web app labels them ("Today", "Yesterday").
      const key = by === "day" ? session.updatedAt.slice(0, 10) : (session.templateId ?? "none");
      const list = groups.get(key) ?? [];
      list.push(session);
      groups.set(key, list);
    }
    return c.json({ groups: [...groups].map(([key, list]) => ({ key, sessions: list })) });
  })
  .get("/:id", async (c) => {
    const stub = await ownSession(c.env, c.get("userId"), c.req.param("id"));
    return c.json(unwrap(await stub.detail(c.get("userId"))));
  })
  .patch("/:id", jsonBody(PatchSessionBody), async (c) => {
    const stub = await ownSession(c.env, c.get("userId"), c.req.param("id"));
    return c.json({ session: unwrap(await stub.patch(c.get("userId"), c.req.valid("json"))) });
  })
  .post("/:id/messages", jsonBody(SendMessageBody), async (c) => {
    const stub = await ownSession(c.env, c.get("userId"), c.req.param("id"));
    return c.json(unwrap(await stub.send(c.get("userId"), c.req.valid("json").content)));
  })
  .post("/:id/restore", jsonBody(RestoreBody), async (c) => {
    const stub = await ownSession(c.env, c.get("userId"), c.req.param("id"));
    return c.json({ session: unwrap(await stub.restore(c.get("userId"), c.req.valid("json").checkpointId)) });
  });
