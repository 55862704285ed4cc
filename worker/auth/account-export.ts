import type { AccountExport, ExportedIntegration, ExportedLogin } from "../contract/auth";
import type { ServerFrame } from "../contract/events";
import { findUserById } from "../db/accounts";
import { listUserIntegrationEvents, listUserLogins, type RefreshFamilyRow } from "../db/account-data";
import { listUserMessages, listUserSessions, toMessage, toSession } from "../db/agent";
import { database, type Database } from "../db/client";
import { listEvents } from "../db/events";
import { listKbDocuments, readKbText, toKbDocument } from "../db/kb";
import { listTemplates, toTemplate } from "../db/templates";
import { listAudit } from "../db/audit";
import { listProjects, listSpecMessages, listSpecs, toProject, toSpec } from "../db/specs";
import { listIntegrationRows, type IntegrationRow } from "../db/integrations";
import { isProviderId, type ProviderId } from "../integrations/providers";
import { toIntegration, toIntegrationEvent } from "../integrations/view";
import type { Env } from "../env";
import { listMcpGrants } from "../mcp/consent";
import { publicUser } from "./session";

const EVENTS_PAGE = 500;

/**
 * Everything the account holds, built only from the public shapes
 * (`publicUser`, `toIntegration`, `toIntegrationEvent`), which never carry a
 * password hash, a token, a token hash or a sealed envelope. `undefined`
 * when the user no longer exists.
 */
export async function buildAccountExport(env: Env, userId: string, now = new Date()): Promise<AccountExport | undefined> {
  const db = database(env);
  const user = await findUserById(db, userId);
  if (!user) return undefined;
  const [logins, integrationRows, integrationEventRows, events, sessionRows, messageRows, documentRows, templateRows, projectRows, specRows, mcpGrants] = await Promise.all([
    listUserLogins(db, userId),
    listIntegrationRows(db, userId),
    listUserIntegrationEvents(db, userId),
    allEvents(db, userId),
    listUserSessions(db, userId, Number.MAX_SAFE_INTEGER),
    listUserMessages(db, userId),
    listKbDocuments(db, userId),
    listTemplates(db, userId, "mine"),
    listProjects(db, userId),
    listSpecs(db, userId),
    listMcpGrants(env, userId),
  ]);
  const audit = [];
  for (let before: number | undefined, page; ; before = Number(page.nextBefore)) {
    page = await listAudit(db, { subjectUserId: userId, before, limit: 500 });
    audit.push(...page.entries);
    if (!page.nextBefore) break;
  }
  const specs = [];
  for (const row of specRows) specs.push({ ...toSpec(row), messages: await listSpecMessages(db, row.id) });
  // One document's text at a time: a large knowledge base never sits in one D1 result.
  const documents = [];
  for (const row of documentRows) documents.push({ ...toKbDocument(row), text: await readKbText(db, row.id) });
  return {
    format: "taskpilot-account-export/1",
    exportedAt: now.toISOString(),
    user: { ...publicUser(user), updatedAt: user.updatedAt.toISOString() },
    logins: logins.map(toExportedLogin),
    integrations: integrationRows.flatMap((r) => (isProviderId(r.provider) ? [toExportedIntegration(r.provider, r)] : [])),
    integrationEvents: integrationEventRows.filter((r) => isProviderId(r.provider)).map(toIntegrationEvent),
    events,
    sessions: sessionRows.map((row) => ({ ...toSession(row), messages: messageRows.filter((m) => m.sessionId === row.id).map(toMessage) })),
    documents,
    templates: templateRows.map(toTemplate),
    projects: projectRows.map(toProject),
    specs,
    audit,
    mcpGrants,
  };
}

function toExportedLogin(row: RefreshFamilyRow): ExportedLogin {
  return {
    id: row.id,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
    revokedReason: row.revokedReason,
  };
}

function toExportedIntegration(provider: ProviderId, row: IntegrationRow): ExportedIntegration {
  const { tools: _tools, ...integration } = toIntegration(provider, row);
  return { ...integration, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}

/** Paged, so a long history never rides in one D1 result. */
async function allEvents(db: Database, userId: string): Promise<ServerFrame[]> {
  const frames: ServerFrame[] = [];
  let after = 0;
  for (;;) {
    const page = await listEvents(db, userId, after, EVENTS_PAGE);
    frames.push(...page);
    // listEvents skips rows that no longer parse without shortening a page, so a short page is the end.
    if (page.length < EVENTS_PAGE) return frames;
    after = Number(page[page.length - 1]!.id);
  }
}
