import type { z } from "zod";
import { CreateKbDocumentBody } from "../contract/kb";
import type { ComponentName } from "./schemas";

/**
 * What the code cannot say about each route: its summary, who may call it,
 * what it answers and which problem codes it can return. Request bodies and
 * query parameters are not here: they come from the zod schemas the route
 * validates with (worker/http/validate.ts). Keys are `METHOD /path` in the
 * document's form (`{provider}`, not `:provider`); test/worker/openapi.test.ts
 * fails when a route has no entry here or an entry names no route.
 *
 * Added to every operation by worker/openapi/index.ts, so not repeated here:
 * 401 `unauthorized` / `invalid_token` / `token_expired` on bearer routes;
 * 400 `invalid_request` where a body or query is validated; 413
 * `payload_too_large` where a body is read; 503 `config_invalid`; 500
 * `internal_error`.
 */

export type Tag = "accounts" | "realtime" | "integrations" | "tools" | "sessions" | "knowledge" | "templates" | "specs" | "mcp" | "admin" | "operations" | "development";

export interface Success {
  description: string;
  /** A component of worker/openapi/schemas.ts, sent as JSON. */
  schema?: ComponentName;
  headers?: Record<string, string>;
}

export interface Operation {
  summary: string;
  description?: string;
  tag: Tag;
  /** `bearer`: `Authorization: Bearer <access token>`; `public`: no access token (some check another credential). */
  auth: "bearer" | "public";
  responses: Partial<Record<101 | 200 | 201 | 202 | 204 | 302 | 503, Success>>;
  /** The query schema turns bad values into absent ones, so the query itself is never a 400. */
  lenientQuery?: true;
  /** A route that reads its own body (an upload): a multipart `file` (and `title`), or JSON of this schema. */
  upload?: { json: z.ZodType };
  /** Problem codes by status, beyond the ones added to every operation. */
  problems?: Partial<Record<400 | 401 | 403 | 404 | 409 | 413 | 426 | 429 | 502 | 503, string[]>>;
}

const KNOWN_PROVIDER = { 404: ["unknown_provider"] };

export const OPERATIONS: Record<string, Operation> = {
  "GET /api/openapi.json": {
    summary: "This document",
    description: "OpenAPI 3.1, generated from the routes and the zod schemas they validate with.",
    tag: "operations",
    auth: "public",
    responses: { 200: { description: "The OpenAPI document." } },
  },
  "GET /api/health": {
    summary: "Health of the worker and its bindings",
    description: "Database, realtime hub, queues and configuration checks; each check says `ok` and, where it helps, why not.",
    tag: "operations",
    auth: "public",
    responses: {
      200: { description: "Every required check passed.", schema: "Health" },
      503: { description: "A required check failed (`status: \"degraded\"`).", schema: "Health" },
    },
  },
  "GET /api/metrics": {
    summary: "Metrics in the Prometheus text format",
    description:
      "`text/plain; version=0.0.4`: OAuth, token refreshes, provider API calls (with a latency histogram), agent turns, steps, tokens and cost, knowledge-base documents and indexing time, webhook deliveries and processing time, queue messages, retries and dead letters, WebSocket connections (every `taskpilot_*` family in worker/metrics/registry.ts). For an admin's access token, or `Authorization: Bearer <METRICS_TOKEN>` for a scraper when that secret is set.",
    tag: "operations",
    auth: "bearer",
    responses: { 200: { description: "The exposition, every registered metric with its HELP and TYPE lines." } },
    problems: { 403: ["admin_only"], 503: ["metrics_unavailable"] },
  },

  "POST /api/auth/register": {
    summary: "Create an account and sign in",
    description:
      "Starts a login: an access token (15 minutes) and a rotating refresh token, also set as the HttpOnly `tp_refresh` cookie on `/api/auth`.",
    tag: "accounts",
    auth: "public",
    responses: { 201: { description: "Signed in.", schema: "AuthSession" } },
    problems: { 409: ["email_taken"], 429: ["rate_limited"], 503: ["config_missing"] },
  },
  "POST /api/auth/login": {
    summary: "Sign in with email and password",
    description: "An unknown email and a wrong password get the same answer in the same time, so neither says whether the account exists.",
    tag: "accounts",
    auth: "public",
    responses: { 200: { description: "Signed in.", schema: "AuthSession" } },
    problems: { 401: ["invalid_credentials"], 429: ["rate_limited"], 503: ["config_missing"] },
  },
  "POST /api/auth/refresh": {
    summary: "Rotate the refresh token",
    description:
      "The refresh token comes from the body or the `tp_refresh` cookie. Each one works once; a used one presented again ends the whole login (RFC 9700 §4.14.2).",
    tag: "accounts",
    auth: "public",
    responses: { 200: { description: "A new access token and refresh token.", schema: "AuthSession" } },
    problems: {
      401: ["refresh_token_missing", "invalid_refresh_token", "refresh_token_revoked", "refresh_token_expired", "refresh_token_reused"],
      503: ["config_missing"],
    },
  },
  "POST /api/auth/logout": {
    summary: "End the login",
    description: "Revokes the refresh token's login (body or cookie), closes the user's sockets and clears the cookie. Always 204.",
    tag: "accounts",
    auth: "public",
    responses: { 204: { description: "Signed out (or there was nothing to end)." } },
  },
  "GET /api/me": {
    summary: "The signed-in user",
    tag: "accounts",
    auth: "bearer",
    responses: { 200: { description: "The account.", schema: "MeResponse" } },
  },
  "GET /api/me/export": {
    summary: "Export everything the account holds",
    description: "Logins, integrations (never a token), integration events and the realtime history, as a JSON attachment.",
    tag: "accounts",
    auth: "bearer",
    responses: {
      200: {
        description: "The export.",
        schema: "AccountExport",
        headers: { "Content-Disposition": "`attachment; filename=\"taskpilot-export-YYYY-MM-DD.json\"`" },
      },
    },
  },
  "DELETE /api/me": {
    summary: "Delete the account",
    description: "Asks for the password again, so a stolen access token alone cannot delete the account. Revokes provider grants and deletes every row of the user.",
    tag: "accounts",
    auth: "bearer",
    responses: { 204: { description: "Deleted." } },
    problems: { 401: ["invalid_credentials"], 429: ["rate_limited"] },
  },

  "GET /api/realtime": {
    summary: "The user's event socket (WebSocket upgrade)",
    description:
      "Authenticated by a single-use ticket from `POST /api/realtime/ticket`, never an access token in the URL. Frames are `ServerFrame`s; send `{\"type\":\"ping\"}` or `{\"type\":\"resume\",\"after\":\"<id>\"}`.",
    tag: "realtime",
    auth: "public",
    responses: { 101: { description: "Switching to the WebSocket protocol." } },
    problems: { 401: ["invalid_ticket", "account_deleted"], 409: ["realtime_hub_conflict"], 426: ["upgrade_required"], 503: ["realtime_unavailable"] },
  },
  "POST /api/realtime/ticket": {
    summary: "A ticket for opening the event socket",
    description: "Single use, valid for 60 seconds; only its hash is stored.",
    tag: "realtime",
    auth: "bearer",
    responses: { 200: { description: "The ticket.", schema: "TicketResponse" } },
    problems: { 429: ["rate_limited"] },
  },
  "GET /api/events": {
    summary: "The user's event history",
    description:
      "Up to `limit` events with an id greater than `after`, oldest first, from the database: how a client fills a `resume_gap`. `latestId` is the newest event id when the server answered; `limit=0` asks for it alone (the snapshot point a first socket resumes after).",
    tag: "realtime",
    auth: "bearer",
    responses: { 200: { description: "The events.", schema: "EventsListResponse" } },
  },
  "POST /api/realtime/test-ping": {
    summary: "Round trip to the caller's hub (development only)",
    description: "Exists only with `SANDBOX_PROVIDERS=true`; 404 otherwise. The benchmark's floor.",
    tag: "development",
    auth: "bearer",
    responses: { 200: { description: "The hub answered.", schema: "TestPingResponse" } },
    problems: { 404: ["not_found"] },
  },
  "POST /api/realtime/test-event": {
    summary: "Publish a status event to the caller (development only)",
    description: "Exists only with `SANDBOX_PROVIDERS=true`; 404 otherwise.",
    tag: "development",
    auth: "bearer",
    responses: { 201: { description: "Published.", schema: "TestEventResponse" } },
    problems: { 404: ["not_found"] },
  },

  "GET /api/integrations": {
    summary: "Every provider, connected or not",
    tag: "integrations",
    auth: "bearer",
    responses: { 200: { description: "One entry per provider.", schema: "IntegrationList" } },
  },
  "GET /api/integrations/{provider}/status": {
    summary: "One integration",
    tag: "integrations",
    auth: "bearer",
    responses: { 200: { description: "The integration.", schema: "Integration" } },
    problems: KNOWN_PROVIDER,
  },
  "POST /api/integrations/{provider}/auth": {
    summary: "Start connecting a provider",
    description:
      "Stores a hashed, single-use, 10-minute `state` and a PKCE verifier for this user and provider, and answers the provider's authorization URL. `returnTo` must be a path on this site.",
    tag: "integrations",
    auth: "bearer",
    responses: { 200: { description: "Where to send the browser.", schema: "AuthorizationUrl" } },
    problems: { ...KNOWN_PROVIDER, 429: ["rate_limited"], 503: ["config_missing"] },
  },
  "GET /api/integrations/{provider}/callback": {
    summary: "The provider's redirect back (browser only)",
    description:
      "Reached by the provider's redirect, so without an access token: the `state` names the user. Always redirects into the app: `?connected={provider}` on success, `?error={code}&provider={provider}` otherwise (for example `invalid_state`, `state_expired`, `browser_mismatch`, `access_denied`, `token_exchange_failed`); nothing is connected unless the state checks out and the browser carries the `tp_oauth_browser` cookie set by `POST …/auth`.",
    tag: "integrations",
    auth: "public",
    lenientQuery: true,
    responses: { 302: { description: "Back into the app.", headers: { Location: "`{returnTo}?connected=…` or `?error=…&provider=…`" } } },
    problems: KNOWN_PROVIDER,
  },
  "POST /api/integrations/{provider}/disconnect": {
    summary: "Disconnect a provider",
    description: "Revokes the grant at the provider when it can (a failed revoke is recorded, never a reason to keep the tokens), then deletes the tokens.",
    tag: "integrations",
    auth: "bearer",
    responses: { 200: { description: "The integration, now `disconnected`.", schema: "Integration" } },
    problems: { ...KNOWN_PROVIDER, 409: ["not_connected"], 503: ["integration_unavailable"] },
  },
  "POST /api/integrations/{provider}/refresh": {
    summary: "Refresh the provider's access token now",
    description: "A forced refresh through the user's single flight. On failure the problem's `detail` carries the provider's own description and `integrationStatus` the integration's status afterwards.",
    tag: "integrations",
    auth: "bearer",
    responses: { 200: { description: "The integration after the refresh.", schema: "Integration" } },
    problems: {
      ...KNOWN_PROVIDER,
      409: ["not_connected", "integration_expired", "token_unreadable", "refresh_unsupported"],
      429: ["rate_limited"],
      502: ["provider_unavailable", "refresh_failed"],
      503: ["config_missing", "integration_unavailable"],
    },
  },
  "GET /api/integrations/{provider}/events": {
    summary: "The integration's transitions (debug history)",
    description: "Started, connected, refreshed, refresh failed, error, expired, disconnected, with the provider's own error code; never a token.",
    tag: "integrations",
    auth: "bearer",
    responses: { 200: { description: "The latest 100, newest first.", schema: "IntegrationEventList" } },
    problems: KNOWN_PROVIDER,
  },

  "GET /api/tools": {
    summary: "The tools of the integrations active now",
    tag: "tools",
    auth: "bearer",
    responses: { 200: { description: "The tools the agent gets.", schema: "ToolList" } },
  },

  "POST /api/sessions": {
    summary: "Start an agent session",
    tag: "sessions",
    auth: "bearer",
    responses: { 201: { description: "The new session, `active`, with its first checkpoint.", schema: "SessionResponse" } },
  },
  "GET /api/sessions": {
    summary: "The user's sessions, grouped",
    description: "Newest activity first, grouped by UTC day of the last activity (`groupBy=day`) or by template (`groupBy=template`, `none` for sessions without one).",
    tag: "sessions",
    auth: "bearer",
    responses: { 200: { description: "The groups.", schema: "SessionGroups" } },
  },
  "GET /api/sessions/{id}": {
    summary: "A session with its messages and checkpoints",
    description: "A turn left running by an interrupted instance is recovered from its last checkpoint before this answers.",
    tag: "sessions",
    auth: "bearer",
    responses: { 200: { description: "The session.", schema: "SessionDetail" } },
    problems: { 404: ["session_not_found"] },
  },
  "PATCH /api/sessions/{id}": {
    summary: "Rename a session or change its status",
    description:
      "Status moves: `active → paused → active`, `active → completed | failed`, any → `archived`. `paused → active` after a reconnect resumes the waiting turn from its checkpoint and answers when it ends.",
    tag: "sessions",
    auth: "bearer",
    responses: { 200: { description: "The session after the change.", schema: "SessionResponse" } },
    problems: { 404: ["session_not_found"], 409: ["invalid_transition", "turn_in_progress"] },
  },
  "POST /api/sessions/{id}/messages": {
    summary: "Send a message and run the agent's turn",
    description:
      "Answers when the turn ends (at most 8 model steps); `step` and `chat` frames with `scope: \"session\"` and `jobId` = the session id arrive meanwhile. A tool that needs a reconnect pauses the session with a `reconnect_required` step.",
    tag: "sessions",
    auth: "bearer",
    responses: { 200: { description: "The message, the reply, the turn's steps and usage.", schema: "TurnResponse" } },
    problems: { 404: ["session_not_found"], 409: ["turn_in_progress", "session_archived", "session_closed", "session_paused"] },
  },
  "POST /api/sessions/{id}/restore": {
    summary: "Restore a checkpoint",
    description: "The session's messages become exactly those of the checkpoint; a turn waiting for a reconnect is dropped.",
    tag: "sessions",
    auth: "bearer",
    responses: { 200: { description: "The session after the restore.", schema: "SessionResponse" } },
    problems: { 404: ["session_not_found", "checkpoint_not_found"], 409: ["turn_in_progress", "session_archived"] },
  },

  "POST /api/kb/documents": {
    summary: "Upload a document to the knowledge base",
    description:
      "Text, Markdown, HTML, JSON or PDF, up to 10 MB: a multipart `file` (with an optional `title`), or JSON `{title, content, mimeType}`. Answers at once with the document `pending`; indexing runs on a queue, and `status` frames with `scope: \"kb\"` and `jobId` = the document id carry its progress (`message` `\"42%\"`). A file that cannot be read ends `failed` with the reason.",
    tag: "knowledge",
    auth: "bearer",
    upload: { json: CreateKbDocumentBody },
    responses: { 202: { description: "The document, `pending`.", schema: "KbDocumentResponse" } },
    problems: { 400: ["unsupported_type", "empty_document"], 429: ["rate_limited"] },
  },
  "GET /api/kb/documents": {
    summary: "The user's documents",
    tag: "knowledge",
    auth: "bearer",
    responses: { 200: { description: "Newest first, with status, chunks, progress and error.", schema: "KbDocumentsResponse" } },
  },
  "GET /api/kb/documents/{id}": {
    summary: "A document with its extracted text and its chunks' places",
    tag: "knowledge",
    auth: "bearer",
    responses: { 200: { description: "The document; `chunks` once it is indexed.", schema: "KbDocumentDetail" } },
    problems: { 404: ["document_not_found"] },
  },
  "DELETE /api/kb/documents/{id}": {
    summary: "Delete a document",
    description: "Removes its original, text, chunks, keyword entries and vectors.",
    tag: "knowledge",
    auth: "bearer",
    responses: { 204: { description: "Deleted." } },
    problems: { 404: ["document_not_found"] },
  },
  "POST /api/kb/search": {
    summary: "Search the knowledge base",
    description:
      "`hybrid` (default) fuses keyword (BM25) and vector (cosine) rankings by reciprocal rank fusion. Only chunks of `indexed` documents are found. Each result is a citation: document, chunk, heading path, offsets in the extracted text and an HTML-escaped `highlight` with `<mark>`s.",
    tag: "knowledge",
    auth: "bearer",
    responses: { 200: { description: "The results, best first.", schema: "KbSearchResponse" } },
    problems: { 409: ["reindex_required"], 502: ["embedding_failed"] },
  },
  "POST /api/kb/reindex": {
    summary: "Reindex the knowledge base with the embedder configured now",
    description: "Every document goes back to `pending` and is indexed again; until each one commits it is not found.",
    tag: "knowledge",
    auth: "bearer",
    responses: { 202: { description: "How many documents were queued, and the embedder.", schema: "KbReindexResponse" } },
    problems: { 429: ["rate_limited"] },
  },

  "GET /api/templates": {
    summary: "Templates the caller can use",
    description: "`mine`: the caller's own; `public`: everyone's public ones and the built-in library; `all` (default): both. Another user's private template is never listed.",
    tag: "templates",
    auth: "bearer",
    responses: { 200: { description: "Newest first, then the built-in library (`ownerId: null`).", schema: "TemplateList" } },
  },
  "POST /api/templates": {
    summary: "Create a template",
    description:
      "The body and steps use `{{name}}` placeholders (`\\{{` for literal braces). Without `variables`, each placeholder becomes a required text variable. A declared variable nothing uses is a warning.",
    tag: "templates",
    auth: "bearer",
    responses: { 201: { description: "The template, version 1, and any warnings.", schema: "TemplateResponse" } },
    problems: { 400: ["malformed_placeholder", "unknown_variable"] },
  },
  "POST /api/templates/import": {
    summary: "Import a template in the older flat shape",
    description: "`{name, prompt, params, integrations: \"gmail,slack\"}`; `{param}` and `{{param}}` placeholders both work. The report lists every change made.",
    tag: "templates",
    auth: "bearer",
    responses: { 201: { description: "The new private template and the conversion report.", schema: "ImportResponse" } },
    problems: { 400: ["unknown_integration", "malformed_placeholder", "unknown_variable"] },
  },
  "GET /api/templates/{id}": {
    summary: "One template",
    tag: "templates",
    auth: "bearer",
    responses: { 200: { description: "The template.", schema: "TemplateResponse" } },
    problems: { 404: ["template_not_found"] },
  },
  "PATCH /api/templates/{id}": {
    summary: "Change a template",
    description: "Only its owner; every change raises `version`, which the prompt cache is keyed by.",
    tag: "templates",
    auth: "bearer",
    responses: { 200: { description: "The template, one version up, and any warnings.", schema: "TemplateResponse" } },
    problems: { 400: ["malformed_placeholder", "unknown_variable"], 403: ["template_read_only"], 404: ["template_not_found"], 409: ["template_changed"] },
  },
  "DELETE /api/templates/{id}": {
    summary: "Delete a template",
    description: "Only its owner. Sessions started from it keep their conversation.",
    tag: "templates",
    auth: "bearer",
    responses: { 204: { description: "Deleted." } },
    problems: { 403: ["template_read_only"], 404: ["template_not_found"] },
  },
  "POST /api/templates/{id}/preview": {
    summary: "Compose a template's prompt for the caller, now",
    description:
      "Fills the variables, maps the template's integrations to the caller's live ones and the tools they offer, and scores the confidence: `low` when a required variable or integration is missing, `medium` when an enum value is ambiguous, `high` otherwise. `cached` is true when the same version, values and live tool set were composed before.",
    tag: "templates",
    auth: "bearer",
    responses: { 200: { description: "The prompt and what is missing.", schema: "PreviewResponse" } },
    problems: { 400: ["invalid_variables"], 404: ["template_not_found"] },
  },
  "POST /api/templates/{id}/start": {
    summary: "Start a chat from a template",
    description:
      "Creates a session linked to the template and seeded with its prompt. At `high` confidence the first turn is already running (`autoExecuted: true`); otherwise the session holds the prompt as a `draft` with what is missing.",
    tag: "templates",
    auth: "bearer",
    responses: { 201: { description: "The new session's id.", schema: "StartResponse" } },
    problems: { 400: ["invalid_variables"], 404: ["template_not_found"], 429: ["rate_limited"] },
  },

  "GET /api/projects": {
    summary: "The caller's projects",
    tag: "specs",
    auth: "bearer",
    responses: { 200: { description: "Most recently changed first.", schema: "ProjectList" } },
  },
  "POST /api/projects": {
    summary: "Create a project linked to a GitHub repository",
    description: "The repository is checked through the caller's GitHub integration: it must exist for them and they must be able to push to it. Without `defaultBranch`, the repository's own default branch. A project without `githubRepo` can collect and plan specs, not execute them.",
    tag: "specs",
    auth: "bearer",
    responses: { 201: { description: "The project.", schema: "ProjectResponse" } },
    problems: { 400: ["github_not_connected", "repo_not_found", "repo_read_only", "branch_not_found"] },
  },
  "GET /api/projects/{id}": {
    summary: "One project",
    tag: "specs",
    auth: "bearer",
    responses: { 200: { description: "The project.", schema: "ProjectResponse" } },
    problems: { 404: ["project_not_found"] },
  },
  "PATCH /api/projects/{id}": {
    summary: "Change a project",
    description: "A new repository or default branch is checked as on create.",
    tag: "specs",
    auth: "bearer",
    responses: { 200: { description: "The project.", schema: "ProjectResponse" } },
    problems: { 400: ["github_not_connected", "repo_not_found", "repo_read_only", "branch_not_found"], 404: ["project_not_found"] },
  },
  "DELETE /api/projects/{id}": {
    summary: "Delete a project and its specs",
    tag: "specs",
    auth: "bearer",
    responses: { 204: { description: "Deleted." } },
    problems: { 404: ["project_not_found"] },
  },
  "GET /api/specs": {
    summary: "The caller's specs (of one project with `projectId`)",
    tag: "specs",
    auth: "bearer",
    responses: { 200: { description: "Newest first, and whether `DELETE /api/specs` is enabled.", schema: "SpecList" } },
  },
  "DELETE /api/specs": {
    summary: "Delete every spec of the caller (development only)",
    description: "Only with `ALLOW_JOB_PURGE=true`; otherwise this route does not exist (404).",
    tag: "specs",
    auth: "bearer",
    responses: { 200: { description: "How many were deleted.", schema: "PurgeResult" } },
    problems: { 404: ["not_found"] },
  },
  "POST /api/specs": {
    summary: "Write a spec",
    description: "Starts `collecting`: refine it in its chat, edit its prompt, then plan it. Without a title, the prompt's first line.",
    tag: "specs",
    auth: "bearer",
    responses: { 201: { description: "The spec.", schema: "SpecResponse" } },
    problems: { 400: ["project_not_found"] },
  },
  "GET /api/specs/{id}": {
    summary: "One spec",
    tag: "specs",
    auth: "bearer",
    responses: { 200: { description: "The spec.", schema: "SpecResponse" } },
    problems: { 404: ["spec_not_found"] },
  },
  "PATCH /api/specs/{id}": {
    summary: "Edit the prompt while collecting",
    tag: "specs",
    auth: "bearer",
    responses: { 200: { description: "The spec.", schema: "SpecResponse" } },
    problems: { 404: ["spec_not_found"], 409: ["spec_not_collecting"] },
  },
  "GET /api/specs/{id}/messages": {
    summary: "The spec's refinement chat",
    tag: "specs",
    auth: "bearer",
    responses: { 200: { description: "Oldest first.", schema: "SpecMessageList" } },
    problems: { 404: ["spec_not_found"] },
  },
  "POST /api/specs/{id}/messages": {
    summary: "Refine the spec: a message and the agent's answer",
    description: "Both are stored and published as `chat` frames with `scope: \"spec\"`. A failed answer stores nothing.",
    tag: "specs",
    auth: "bearer",
    responses: { 200: { description: "The message and the reply.", schema: "SpecMessageReply" } },
    problems: { 404: ["spec_not_found"], 409: ["spec_not_collecting"], 429: ["rate_limited"], 502: ["model_failed"] },
  },
  "DELETE /api/specs/{id}/messages/{messageId}": {
    summary: "Delete a chat message (admin)",
    tag: "specs",
    auth: "bearer",
    responses: { 204: { description: "Deleted." } },
    problems: { 403: ["admin_only"], 404: ["spec_not_found", "message_not_found"] },
  },
  "POST /api/specs/{id}/plan": {
    summary: "Plan the spec: the PRD and its tasks",
    description: "From the prompt and the chat; the spec becomes `ready` and an `app` frame is published. Planning again while `ready` replaces the plan.",
    tag: "specs",
    auth: "bearer",
    responses: { 200: { description: "The spec with `prdMarkdown` and `tasks`.", schema: "SpecResponse" } },
    problems: { 404: ["spec_not_found"], 409: ["spec_not_plannable"], 502: ["model_failed", "model_bad_answer"] },
  },
  "POST /api/specs/{id}/execute": {
    summary: "Execute the spec on its branch",
    description: "Creates `spec/{id[:8]}-{slug}` from the default branch and queues the phases (explore, implement, verify), then the pull request; progress arrives as `spec`, `step`, `status` and `error` frames.",
    tag: "specs",
    auth: "bearer",
    responses: { 202: { description: "Executing.", schema: "ExecuteAccepted" } },
    problems: { 400: ["github_not_connected", "project_repo_missing", "default_branch_missing"], 404: ["spec_not_found"], 409: ["spec_not_ready"] },
  },
  "GET /api/specs/{id}/execution-status": {
    summary: "The runner: state, heartbeat, last work, attempts, the build log",
    tag: "specs",
    auth: "bearer",
    responses: { 200: { description: "The execution's status.", schema: "ExecutionStatus" } },
    problems: { 404: ["spec_not_found"] },
  },
  "POST /api/specs/{id}/create-branch": {
    summary: "Create the spec's branch by hand (idempotent)",
    tag: "specs",
    auth: "bearer",
    responses: { 200: { description: "The spec with `branchName`.", schema: "SpecResponse" } },
    problems: { 400: ["github_not_connected", "project_repo_missing", "default_branch_missing"], 404: ["spec_not_found"], 409: ["spec_not_ready"] },
  },
  "POST /api/specs/{id}/create-pr": {
    summary: "Open the spec's pull request by hand (idempotent)",
    description: "An open pull request for the branch is reused.",
    tag: "specs",
    auth: "bearer",
    responses: { 200: { description: "The spec with `pullRequestUrl` and `pullRequestNumber`.", schema: "SpecResponse" } },
    problems: { 400: ["github_not_connected", "project_repo_missing"], 404: ["spec_not_found"], 409: ["branch_missing", "no_changes"] },
  },
  "GET /api/apps": {
    summary: "Apps: specs whose PRD is ready",
    tag: "specs",
    auth: "bearer",
    responses: { 200: { description: "Most recently changed first.", schema: "AppList" } },
  },
  "GET /api/apps/{id}": {
    summary: "One app with its spec and project",
    tag: "specs",
    auth: "bearer",
    responses: { 200: { description: "The app.", schema: "AppResponse" } },
    problems: { 404: ["app_not_found"] },
  },

  "GET /api/mcp/consent/{handle}": {
    summary: "What an MCP client asks for (the consent page)",
    description: "The request `/authorize` kept under this handle for ten minutes: the client's name and site, the host the person is sent back to, the scope, and which integrations' tools it would get now.",
    tag: "mcp",
    auth: "bearer",
    responses: { 200: { description: "The request.", schema: "McpConsent" } },
    problems: { 404: ["consent_not_found"] },
  },
  "POST /api/mcp/consent/{handle}": {
    summary: "Approve or deny an MCP client",
    description: "Approve stores a grant for the signed-in person (earlier grants of the same client are replaced); deny sends `access_denied` back. Either spends the handle. Answers where to send the browser.",
    tag: "mcp",
    auth: "bearer",
    responses: { 200: { description: "The client's redirect URI with the code (or the error), `state` and `iss`.", schema: "McpDecisionResult" } },
    problems: { 404: ["consent_not_found"], 503: ["mcp_unavailable"] },
  },
  "GET /api/mcp/grants": {
    summary: "MCP clients given access, with their last use",
    tag: "mcp",
    auth: "bearer",
    responses: { 200: { description: "The MCP URL and the grants.", schema: "McpGrantList" } },
  },
  "DELETE /api/mcp/grants/{id}": {
    summary: "Revoke an MCP client's access",
    description: "Its access and refresh tokens stop working at once.",
    tag: "mcp",
    auth: "bearer",
    responses: { 204: { description: "Revoked." } },
    problems: { 404: ["grant_not_found"] },
  },

  "GET /api/me/audit": {
    summary: "Your security log, newest first",
    description: "Sign-ins (and failed attempts on your account, from a network), sign-outs, a reused refresh token, rate limits, exports, integrations connected, disconnected or revoked by the provider, refresh failures, MCP clients approved or revoked, admin reads of your log. Page with `before` = the previous page's `nextBefore`.",
    tag: "accounts",
    auth: "bearer",
    responses: { 200: { description: "A page of entries.", schema: "AuditPage" } },
  },
  "POST /api/me/end-everything": {
    summary: "This wasn't me: end every login and grant",
    description: "Revokes every refresh token of the account, closes its sockets, disconnects (and revokes at the provider) every integration and revokes every MCP client. Access tokens already issued run out within 15 minutes.",
    tag: "accounts",
    auth: "bearer",
    responses: { 200: { description: "How many logins, integrations and MCP grants were ended.", schema: "EndEverythingResult" } },
  },
  "GET /api/admin/audit": {
    summary: "The security log of any account, or all of it (admin)",
    description: "Filter by `user` (an email, or an id — a deleted account is found by its id), `action` and `since`; newest first, paged with `before`. The read is itself recorded on that account.",
    tag: "admin",
    auth: "bearer",
    responses: { 200: { description: "A page of entries.", schema: "AuditPage" } },
    problems: { 403: ["admin_only"], 404: ["user_not_found"] },
  },

  "GET /api/admin/webhooks/deliveries": {
    summary: "Recent webhook deliveries (admin)",
    description: "Newest first: provider, event type, status (`received`, `processed`, `failed`), attempts, duplicates, replays, the last error and what processing did.",
    tag: "admin",
    auth: "bearer",
    responses: { 200: { description: "The deliveries.", schema: "WebhookDeliveryList" } },
    problems: { 403: ["admin_only"] },
  },
  "POST /api/admin/webhooks/deliveries/{id}/replay": {
    summary: "Replay a stored webhook delivery (admin)",
    description: "By our id or the provider's delivery id: the delivery goes back to `received` and is enqueued marked as a replay, so it is processed again even if it was processed before; its handlers are idempotent.",
    tag: "admin",
    auth: "bearer",
    responses: { 202: { description: "The delivery, queued again.", schema: "WebhookDeliveryResponse" } },
    problems: { 403: ["admin_only"], 404: ["delivery_not_found"] },
  },
  "GET /api/admin/users/{user}/integrations": {
    summary: "An account's integrations with their recent failures (admin)",
    description: "`user` is an email or a user id. Each provider's status, account, scopes, expiry and last error, and its newest failures (refresh failed, error, expired). Also allowed with the operator's `ADMIN_TOKEN` as the bearer (`npm run admin -- integrations <email>`). The read is recorded on that account.",
    tag: "admin",
    auth: "bearer",
    responses: { 200: { description: "The account and one entry per provider.", schema: "AdminIntegrations" } },
    problems: { 403: ["admin_only"], 404: ["user_not_found"] },
  },
  "POST /api/admin/users/{user}/integrations/{provider}/refresh": {
    summary: "Refresh an account's integration now (admin)",
    description: "A forced refresh through the integration's single flight, as the person's own Refresh; the provider's failure comes back with its code.",
    tag: "admin",
    auth: "bearer",
    responses: { 200: { description: "The integration after the refresh.", schema: "AdminIntegrationResponse" } },
    problems: { 403: ["admin_only"], 404: ["user_not_found", "unknown_provider", "integration_not_found"], 409: ["integration_expired", "token_unreadable", "not_connected"], 502: ["provider_unavailable", "refresh_failed"] },
  },
  "POST /api/admin/users/{user}/integrations/{provider}/revoke": {
    summary: "Disconnect an account's integration and revoke it at the provider (admin)",
    description: "As the person's own Disconnect: the grant is revoked at the provider when it can be (a failed revoke is recorded in the integration's history), and the tokens are forgotten.",
    tag: "admin",
    auth: "bearer",
    responses: { 200: { description: "The integration, now disconnected.", schema: "AdminIntegrationResponse" } },
    problems: { 403: ["admin_only"], 404: ["user_not_found", "unknown_provider", "integration_not_found"], 409: ["not_connected"] },
  },
  "GET /api/admin/users/{user}/export": {
    summary: "Export an account's data (admin)",
    description: "The same document as the person's own `GET /api/me/export`, recorded on the account as an administrator's export.",
    tag: "admin",
    auth: "bearer",
    responses: { 200: { description: "Everything the account holds.", schema: "AccountExport" } },
    problems: { 403: ["admin_only"], 404: ["user_not_found"] },
  },
  "DELETE /api/admin/users/{user}": {
    summary: "Delete an account (admin)",
    description: "As the person's own deletion: integrations revoked, data erased, sockets closed, MCP grants revoked; the audit tombstone names the administrator or operator.",
    tag: "admin",
    auth: "bearer",
    responses: { 200: { description: "The account that was deleted.", schema: "AdminUserDeleted" } },
    problems: { 403: ["admin_only"], 404: ["user_not_found"] },
  },
  "GET /api/admin/queues/{queue}/dead-letters": {
    summary: "Messages a queue's dead-letter queue received (admin)",
    description: "`queue` is a queue of wrangler.toml (`taskpilot-kb-index`, `taskpilot-spec-exec`, `taskpilot-pr-create`, `taskpilot-webhooks`; the `-dlq` name is accepted too). Oldest first; with `all=true` the requeued ones too.",
    tag: "admin",
    auth: "bearer",
    responses: { 200: { description: "The dead letters.", schema: "DeadLetterList" } },
    problems: { 403: ["admin_only"], 404: ["unknown_queue"] },
  },
  "POST /api/admin/queues/{queue}/dead-letters/requeue": {
    summary: "Send every pending dead letter back onto its queue (admin)",
    description: "Each body goes back onto the original queue once (at most 500 per call); the rows are marked requeued.",
    tag: "admin",
    auth: "bearer",
    responses: { 200: { description: "What was sent.", schema: "RequeueResult" } },
    problems: { 403: ["admin_only"], 404: ["unknown_queue"], 502: ["requeue_failed"] },
  },
  "POST /api/admin/queues/{queue}/dead-letters/{id}/requeue": {
    summary: "Send one dead letter back onto its queue (admin)",
    description: "A message already requeued is not sent again: it is listed under `alreadyRequeued` with the time it was.",
    tag: "admin",
    auth: "bearer",
    responses: { 200: { description: "What was sent.", schema: "RequeueResult" } },
    problems: { 403: ["admin_only"], 404: ["unknown_queue", "dead_letter_not_found"], 502: ["requeue_failed"] },
  },
};
