import { z } from "zod";

/**
 * The one definition of what travels on the WebSocket (docs/architecture.md,
 * "The event path"). The worker validates every published event against it and
 * the web app parses every received frame with it, so the two ends cannot
 * drift apart.
 */

export const eventScope = z.enum(["spec", "session", "kb"]);

export const specEventName = z.enum([
  "spec.execution_started",
  "spec.phase_started",
  "spec.phase_completed",
  "spec.phase_failed",
  "spec.phase_retry",
  "spec.execution_completed",
  "spec.pr_created",
  "spec.merged",
]);

const jsonObject = z.record(z.string(), z.unknown());

export const statusEvent = z.object({
  kind: z.literal("status"),
  jobId: z.string().min(1),
  scope: eventScope,
  status: z.string().min(1),
  message: z.string(),
});

export const stepEvent = z.object({
  kind: z.literal("step"),
  jobId: z.string().min(1),
  scope: eventScope,
  agent: z.string(),
  message: z.string(),
  order: z.number().int().nonnegative(),
});

export const chatEvent = z.object({
  kind: z.literal("chat"),
  jobId: z.string().min(1),
  scope: eventScope,
  role: z.string().min(1),
  sender: z.string(),
  content: z.string(),
  metadata: jsonObject.default({}),
});

export const appEvent = z.object({
  kind: z.literal("app"),
  jobId: z.string().min(1),
  spec: jsonObject,
  prdMarkdown: z.string(),
});

export const errorEvent = z.object({
  kind: z.literal("error"),
  jobId: z.string().min(1).optional(),
  code: z.string().min(1),
  message: z.string(),
});

export const integrationEvent = z.object({
  kind: z.literal("integration"),
  provider: z.string().min(1),
  status: z.string().min(1),
  event: z.string().min(1),
  detail: jsonObject.default({}),
});

export const specEvent = z.object({
  kind: z.literal("spec"),
  jobId: z.string().min(1),
  event: specEventName,
  phase: z.string().min(1).optional(),
  payload: jsonObject.default({}),
});

/** What a publisher hands to `publish()`: an event without id and timestamp. */
export const eventInput = z.discriminatedUnion("kind", [
  statusEvent,
  stepEvent,
  chatEvent,
  appEvent,
  errorEvent,
  integrationEvent,
  specEvent,
]);
export type EventInput = z.input<typeof eventInput>;
export type EventKind = EventInput["kind"];

/** Per-user increasing integer, as a decimal string without leading zeros. */
export const eventId = z.string().regex(/^(0|[1-9][0-9]{0,15})$/, "an event id is a decimal integer");

const frameMeta = { id: eventId, timestamp: z.iso.datetime() };

/** A numbered, timestamped event as the server sends it (and as `GET /api/events` lists it). */
export const serverFrame = z.discriminatedUnion("kind", [
  statusEvent.extend(frameMeta),
  stepEvent.extend(frameMeta),
  chatEvent.extend(frameMeta),
  appEvent.extend(frameMeta),
  errorEvent.extend(frameMeta),
  integrationEvent.extend(frameMeta),
  specEvent.extend(frameMeta),
]);
export type ServerFrame = z.output<typeof serverFrame>;
export type ServerFrameOf<K extends EventKind> = Extract<ServerFrame, { kind: K }>;

/**
 * Sent instead of a replay when the requested id is older than the hub's log
 * (or unknown to it). It is not an event, so it has no id; `latestId` is the
 * newest event id, from which the client continues after refetching over REST.
 */
export const resumeGapNotice = z.object({
  kind: z.literal("error"),
  code: z.literal("resume_gap"),
  message: z.string(),
  latestId: eventId,
  timestamp: z.iso.datetime(),
});
export type ResumeGapNotice = z.output<typeof resumeGapNotice>;

export const pongFrame = z.object({ type: z.literal("pong") });

/** Anything a client may receive on the socket. */
export const wireFrame = z.union([resumeGapNotice, serverFrame, pongFrame]);
export type WireFrame = z.output<typeof wireFrame>;

export const pingFrame = z.object({ type: z.literal("ping") });
export const resumeFrame = z.object({ type: z.literal("resume"), after: eventId });
export const clientFrame = z.discriminatedUnion("type", [pingFrame, resumeFrame]);
export type ClientFrame = z.output<typeof clientFrame>;

/** The exact ping text the hub answers without waking (the web client sends exactly this). */
export const PING_TEXT = JSON.stringify({ type: "ping" });
export const PONG_TEXT = JSON.stringify({ type: "pong" });

export const ticketResponse = z.object({ ticket: z.string(), expiresIn: z.number().int() });
export type TicketResponse = z.output<typeof ticketResponse>;

/**
 * `latestId` is the newest event id the server knew while answering (0 when
 * the user has none). A client that takes a REST snapshot after reading it
 * and resumes the socket after it cannot miss an event published in between.
 */
export const eventsListResponse = z.object({ events: z.array(serverFrame), latestId: eventId });
export type EventsListResponse = z.output<typeof eventsListResponse>;
