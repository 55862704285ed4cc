import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { eventId, type EventsListResponse, type TicketResponse } from "../contract/events";
import { requireUser } from "../auth/middleware";
import { REALTIME_TICKET_PER_USER, limitPerUser } from "../auth/rate-limit";
import { database } from "../db/client";
import { consumeTicket, deleteSpentTickets, insertTicket, listEvents } from "../db/events";
import { AppError } from "../errors";
import type { AppBindings } from "../http/types";
import { jsonBody, queryParams } from "../http/validate";
import { registerCronTask } from "../ops/cron";
import { HUB_USER_HEADER } from "./hub";
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

/** `GET /api/realtime?ticket=…` (the socket) and `POST /api/realtime/ticket`. */
export const realtime = new Hono<AppBindings>()
  .get("/", requireUpgrade, queryParams(z.object({ ticket: z.string().min(1).max(512) })), async (c) => {
    const { ticket } = c.req.valid("query");
    const userId = await consumeTicket(database(c.env), await hashTicket(ticket), new Date());
    if (!userId) throw new AppError(401, "invalid_ticket", "The ticket is unknown, expired or already used; ask for a new one.");
    const headers = new Headers({ upgrade: "websocket", [HUB_USER_HEADER]: userId });
    return userHub(c.env, userId).fetch("https://user-hub/connect", { headers });
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

/** `GET /api/events?after=&limit=`: the user's history from D1, oldest first. */
export const eventsHistory = new Hono<AppBindings>().get(
  "/",
  requireUser,
  queryParams(z.object({ after: eventId.default("0"), limit: z.coerce.number().int().min(1).max(500).default(100) })),
  async (c) => {
    const { after, limit } = c.req.valid("query");
    const events = await listEvents(database(c.env), c.get("userId"), Number(after), limit);
    return c.json({ events } satisfies EventsListResponse);
  },
);

registerCronTask("purge_spent_realtime_tickets", (env, now) => deleteSpentTickets(database(env), now));
