import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { eventId, type EventsListResponse, type TicketResponse } from "../contract/events";
import { requireUser } from "../auth/middleware";
import { REALTIME_TICKET_PER_USER, limitPerUser } from "../auth/rate-limit";
import { database } from "../db/client";
import { consumeTicket, insertTicket, latestEventSeq, listEvents } from "../db/events";
import { AppError } from "../errors";
import type { AppBindings } from "../http/types";
import { jsonBody, queryParams } from "../http/validate";
import { HUB_REFUSED_STATUS, HUB_USER_HEADER, type HubRefusal } from "./hub";
import { publish, userHub } from "./publish";
import { hashTicket, newTicket, TICKET_TTL_SECONDS } from "./tickets";

/** Checked before the ticket is looked at, so a request that cannot upgrade never spends it. */
const requireUpgrade: MiddlewareHandler<AppBindings> = async (c, next) => {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new AppError(426, "upgrade_required", "This endpoint only accepts a WebSocket upgrade.", {
      headers: { Upgrade: "websocket" },
    });
  }
  await next();
};

/** Development and tests only: production never has sandbox providers (config refuses to start with them). */
const sandboxOnly: MiddlewareHandler<AppBindings> = async (c, next) => {
  if (!c.get("config").sandboxProviders) throw new AppError(404, "not_found", `No route for ${c.req.method} ${c.req.path}.`);
  await next();
};

/** A hub that will not take the socket says why; each known reason is a stable problem code, never a 500. */
async function hubRefusalError(res: Response): Promise<AppError> {
  const body = res.status === HUB_REFUSED_STATUS ? ((await res.json().catch(() => ({}))) as { refused?: HubRefusal }) : {};
  switch (body.refused) {
    case "account_deleted":
      // The ticket was issued before the account was deleted; a new one cannot be had.
      return new AppError(401, "account_deleted", "The account this ticket was issued for has been deleted.");
    case "hub_user_mismatch":
      return new AppError(409, "realtime_hub_conflict", "The realtime hub of this account is in an inconsistent state; the problem has been logged.");
    default:
      return new AppError(503, "realtime_unavailable", "The realtime service could not take the connection; try again.");
  }
}

/** `GET /api/realtime?ticket=…` (the socket) and `POST /api/realtime/ticket`. */
export const realtime = new Hono<AppBindings>()
  .get("/", requireUpgrade, queryParams(z.object({ ticket: z.string().min(1).max(512) })), async (c) => {
    const { ticket } = c.req.valid("query");
    const userId = await consumeTicket(database(c.env), await hashTicket(ticket), new Date());
    if (!userId) throw new AppError(401, "invalid_ticket", "The ticket is unknown, expired or already used; ask for a new one.");
    const headers = new Headers({ upgrade: "websocket", [HUB_USER_HEADER]: userId });
    const res = await userHub(c.env, userId).fetch("https://user-hub/connect", { headers });
    if (res.status === 101) return res;
    throw await hubRefusalError(res);
  })
  .post("/ticket", requireUser, limitPerUser(REALTIME_TICKET_PER_USER), async (c) => {
    const ticket = newTicket();
    const expiresAt = new Date(Date.now() + TICKET_TTL_SECONDS * 1000);
    if (!(await insertTicket(database(c.env), c.get("userId"), await hashTicket(ticket), expiresAt))) {
      throw new AppError(401, "invalid_token", "The access token is not valid.");
    }
    return c.json({ ticket, expiresIn: TICKET_TTL_SECONDS } satisfies TicketResponse);
  })
  .post("/test-ping", sandboxOnly, requireUser, async (c) => {
    const started = performance.now();
    await userHub(c.env, c.get("userId")).ping();
    return c.json({ pong: true, hubMs: performance.now() - started });
  })
  .post(
    "/test-event",
    sandboxOnly,
    requireUser,
    jsonBody(
      z.object({
        jobId: z.string().min(1).max(200).default("test"),
        status: z.string().min(1).max(100).default("test"),
        message: z.string().max(10_000).default(""),
      }),
    ),
    async (c) => {
      const body = c.req.valid("json");
      const frame = await publish(c.env, c.get("userId"), { kind: "status", scope: "session", ...body });
      return c.json({ event: frame }, 201);
    },
  );

/**
 * `GET /api/events?after=&limit=`: the user's history from D1, oldest first,
 * and `latestId`. `limit=0` asks for `latestId` alone: the web app reads it
 * before its first REST snapshot and resumes its first socket after it.
 * D1's newest id is read before the page: an event is numbered only after
 * the change it announces was written, so every id up to it describes state
 * a later read already sees; a lower id only costs a replayed event.
 */
export const eventsHistory = new Hono<AppBindings>().get(
  "/",
  requireUser,
  queryParams(z.object({ after: eventId.default("0"), limit: z.coerce.number().int().min(0).max(500).default(100) })),
  async (c) => {
    const { after, limit } = c.req.valid("query");
    const db = database(c.env);
    const latest = await latestEventSeq(db, c.get("userId"));
    const events = limit === 0 ? [] : await listEvents(db, c.get("userId"), Number(after), limit);
    const latestId = String(Math.max(latest, ...events.map((e) => Number(e.id))));
    return c.json({ events, latestId } satisfies EventsListResponse);
  },
);
