import { z } from "zod";
import { Message, Session } from "./agent";
import { serverFrame } from "./events";
import { Integration, IntegrationEvent } from "./integrations";
import { KbDocument } from "./kb";
import { Template } from "./templates";
import { Project, Spec, SpecMessage } from "./specs";
import { AuditEntry } from "./audit";
import { McpGrant } from "./mcp";

/** Shared by the worker (validation) and the web app (types, form checks). */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
export const EMAIL_MAX = 254;
export const NAME_MAX = 100;
/** A refresh token is 43 base64url characters; the cap only stops oversized input. */
const REFRESH_TOKEN_MAX = 128;

export const Email = z
  .string()
  .trim()
  .toLowerCase()
  .max(EMAIL_MAX, `at most ${EMAIL_MAX} characters`)
  .pipe(z.email("must be an email address"));

export const RegisterBody = z.object({
  email: Email,
  password: z
    .string()
    .min(PASSWORD_MIN, `at least ${PASSWORD_MIN} characters`)
    .max(PASSWORD_MAX, `at most ${PASSWORD_MAX} characters`),
  name: z.string().trim().min(1, "must not be empty").max(NAME_MAX, `at most ${NAME_MAX} characters`).optional(),
});

/** Login does not enforce the minimum so that a policy change never locks anyone out; the cap still applies. */
export const LoginBody = z.object({
  email: Email,
  password: z.string().min(1, "is required").max(PASSWORD_MAX, `at most ${PASSWORD_MAX} characters`),
});

/** The token may instead come from the `tp_refresh` cookie, so the body may be `{}`. */
export const RefreshBody = z.object({
  refreshToken: z.string().min(1).max(REFRESH_TOKEN_MAX).optional(),
});

export const LogoutBody = RefreshBody;

export const PublicUser = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  /** `admin` unlocks the operations views (webhook deliveries); granted with `npm run admin:grant`. */
  role: z.enum(["user", "admin"]).default("user"),
  createdAt: z.string(),
});

export const AuthSession = z.object({
  user: PublicUser,
  accessToken: z.string(),
  refreshToken: z.string(),
  /** Seconds until the access token expires. */
  expiresIn: z.number(),
});

/**
 * The header the web app sends on register, login, refresh and logout. It
 * asks for the cookie flow: the refresh token goes only into the HttpOnly
 * `tp_refresh` cookie, never into a JSON body that page script could read.
 */
export const WEB_CLIENT_HEADER = "X-TaskPilot-Client";
export const WEB_CLIENT_VALUE = "web";

/**
 * What register, login and refresh answer the web app (a register or login
 * sent with `X-TaskPilot-Client: web`, or a refresh whose token came from the
 * `tp_refresh` cookie): the same without `refreshToken`, which stays in the
 * HttpOnly cookie where page script cannot read it.
 */
export const CookieSession = AuthSession.omit({ refreshToken: true });

export const MeResponse = z.object({ user: PublicUser });

/** `DELETE /api/me`: the password again, so that a stolen access token alone cannot delete the account. */
export const DeleteAccountBody = z.object({
  password: z.string().min(1, "is required").max(PASSWORD_MAX, `at most ${PASSWORD_MAX} characters`),
});

/** One login (refresh family) as the export shows it: when, until when, how it ended; never a token or its hash. */
export const ExportedLogin = z.object({
  id: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
  revokedReason: z.string().nullable(),
});

/** An integration as the export shows it: the public shape plus row times; the token envelopes never leave the row. */
export const ExportedIntegration = Integration.omit({ tools: true }).extend({
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** `GET /api/me/export`: everything the account holds, served as a JSON attachment. */
export const AccountExport = z.object({
  format: z.literal("taskpilot-account-export/1"),
  exportedAt: z.string(),
  user: PublicUser.extend({ updatedAt: z.string() }),
  logins: z.array(ExportedLogin),
  integrations: z.array(ExportedIntegration),
  /** Oldest first. */
  integrationEvents: z.array(IntegrationEvent),
  /** The realtime history (every published frame still in D1), oldest first. */
  events: z.array(serverFrame),
  /** Agent sessions, newest activity first, each with its messages in order (tool outputs themselves are not kept in D1). */
  sessions: z.array(Session.extend({ messages: z.array(Message) })).default([]),
  /** Knowledge-base documents, newest first, each with its extracted text (the originals stay downloadable from the app). */
  documents: z.array(KbDocument.extend({ text: z.string() })).default([]),
  /** The templates the user wrote or imported, newest first. */
  templates: z.array(Template).default([]),
  /** Projects, and every spec with its refinement chat. */
  projects: z.array(Project).default([]),
  specs: z.array(Spec.extend({ messages: z.array(SpecMessage) })).default([]),
  /** The account's security log, newest first. */
  audit: z.array(AuditEntry).default([]),
  /** The MCP clients given access to the account's tools, with their last use (no token: only hashes are stored). */
  mcpGrants: z.array(McpGrant).default([]),
});

export type RegisterBody = z.infer<typeof RegisterBody>;
export type LoginBody = z.infer<typeof LoginBody>;
export type RefreshBody = z.infer<typeof RefreshBody>;
export type LogoutBody = z.infer<typeof LogoutBody>;
export type PublicUser = z.infer<typeof PublicUser>;
export type AuthSession = z.infer<typeof AuthSession>;
export type CookieSession = z.infer<typeof CookieSession>;
export type MeResponse = z.infer<typeof MeResponse>;
export type DeleteAccountBody = z.infer<typeof DeleteAccountBody>;
export type ExportedLogin = z.infer<typeof ExportedLogin>;
export type ExportedIntegration = z.infer<typeof ExportedIntegration>;
export type AccountExport = z.output<typeof AccountExport>;
