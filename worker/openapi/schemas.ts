import { z } from "zod";
import { AccountExport, AuthSession, MeResponse, PublicUser } from "../contract/auth";
import { eventsListResponse, serverFrame, ticketResponse } from "../contract/events";
import { Integration, IntegrationEvent, ProviderName, Tool } from "../contract/integrations";
import { SessionDetail, SessionGroups, SessionResponse, TurnResponse } from "../contract/agent";
import { WebhookDeliveryList, WebhookDeliveryResponse } from "../contract/webhooks";
import { AppList, AppResponse, ExecuteAccepted, ExecutionStatus, ProjectList, ProjectResponse, PurgeResult, SpecList, SpecMessageList, SpecMessageReply, SpecResponse } from "../contract/specs";
import { AuditPage, EndEverythingResult } from "../contract/audit";
import { AdminIntegrationResponse, AdminIntegrations, AdminUserDeleted, DeadLetter, DeadLetterList, RequeueResult } from "../contract/admin";
import { McpConsent, McpDecisionResult, McpGrantList } from "../contract/mcp";
import { ImportResponse, PreviewResponse, StartResponse, Template, TemplateList, TemplateResponse } from "../contract/templates";
import { KbDocument, KbDocumentDetail, KbDocumentsResponse, KbReindexResponse, KbSearchResponse } from "../contract/kb";

/**
 * The response shapes the document names under `components.schemas`. Each is
 * the contract's own zod object where one exists; the few wrappers below are
 * built from contract pieces, so a change to a contract schema changes the
 * document with it.
 */

/** RFC 9457 problem details as `worker/errors.ts` renders them, plus the fields some codes add. */
export const Problem = z
  .object({
    type: z.string().describe("`https://taskpilot.dev/problems/{code}`"),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().describe("For people; never carries a token or a secret."),
    code: z.string().describe("Stable, machine-readable; listed per response."),
    requestId: z.string().optional().describe("Also in the `X-Request-Id` header; quote it when reporting a 500."),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe("`invalid_request`: the failing fields, `(body)` for the body as a whole."),
    variable: z.string().optional().describe("`config_missing`, `config_invalid`: the environment variable at fault."),
    integrationStatus: z.string().optional().describe("Integration refresh failures: the integration's status afterwards."),
  })
  .catchall(z.unknown());

const Check = z.object({ ok: z.boolean() }).catchall(z.unknown());

/** `GET /api/health`: the overall status and one entry per check; 503 when a required check fails. */
export const Health = z.object({
  status: z.enum(["ok", "degraded"]),
  environment: z.enum(["development", "production"]),
  checks: z.record(z.string(), Check),
});

export const IntegrationList = z.object({ integrations: z.array(Integration) });
export const IntegrationEventList = z.object({ events: z.array(IntegrationEvent).describe("Newest first.") });
export const ToolList = z.object({ tools: z.array(Tool) });
export const AuthorizationUrl = z.object({
  authorizationUrl: z.string().describe("Send the browser here; the provider redirects back to `…/{provider}/callback`."),
});
export const TestEventResponse = z.object({ event: serverFrame });
export const KbDocumentResponse = z.object({ document: KbDocument });
export const TestPingResponse = z.object({ pong: z.literal(true), hubMs: z.number() });

/** Name → schema: the document's `components.schemas`, referenced by name from the operations. */
export const COMPONENTS = {
  Problem,
  Health,
  PublicUser,
  AuthSession,
  MeResponse,
  AccountExport,
  ProviderName,
  Integration,
  IntegrationList,
  IntegrationEvent,
  IntegrationEventList,
  Tool,
  ToolList,
  AuthorizationUrl,
  ServerFrame: serverFrame,
  EventsListResponse: eventsListResponse,
  TicketResponse: ticketResponse,
  TestEventResponse,
  TestPingResponse,
  SessionResponse,
  SessionDetail,
  SessionGroups,
  TurnResponse,
  KbDocument,
  KbDocumentResponse,
  KbDocumentsResponse,
  KbDocumentDetail,
  KbSearchResponse,
  KbReindexResponse,
  Template,
  TemplateList,
  TemplateResponse,
  PreviewResponse,
  StartResponse,
  ImportResponse,
  WebhookDeliveryList,
  WebhookDeliveryResponse,
  ProjectList,
  ProjectResponse,
  SpecList,
  SpecResponse,
  SpecMessageList,
  SpecMessageReply,
  ExecuteAccepted,
  ExecutionStatus,
  AppList,
  AppResponse,
  PurgeResult,
  McpConsent,
  McpDecisionResult,
  McpGrantList,
  AuditPage,
  EndEverythingResult,
  AdminIntegrations,
  AdminIntegrationResponse,
  AdminUserDeleted,
  DeadLetter,
  DeadLetterList,
  RequeueResult,
} satisfies Record<string, z.ZodType>;

export type ComponentName = keyof typeof COMPONENTS;

export const schemaRef = (name: ComponentName) => ({ $ref: `#/components/schemas/${name}` });

/**
 * JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) for every
 * component, with references between them as `$ref`s. Responses are what the
 * worker sends, so they are converted as zod outputs (defaults applied).
 */
export function componentSchemas(): Record<string, Record<string, unknown>> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(COMPONENTS)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: "draft-2020-12",
    io: "output",
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _dialect, $id: _id, ...rest } = schema as Record<string, unknown>;
      return [id, rest];
    }),
  );
}
