import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import { database } from "../../db/client";
import { deleteRecord, getRecord, getSandboxAccount, getToken, putRecord } from "../../db/sandbox";
import type { SandboxGroup } from "../catalog";
import { sandboxNow } from "../clock";
import { sha256Hex } from "../crypto";
import type { SandboxApiBindings } from "../types";
import { rateLimited, serverError, unauthorized } from "./failures";

/**
 * Failures a test can ask for, to drive TaskPilot's retry, Retry-After and
 * refresh-on-401 paths against provider-shaped answers:
 * - per request: header `X-Sandbox-Simulate: rate_limit|server_error` (or `?sandbox_simulate=`),
 *   with `X-Sandbox-Retry-After: <seconds>` (default 2);
 * - per account: `POST /sandbox/{group}/simulate {failure, times, retryAfter}` with the
 *   account's token; the next `times` API calls of that account fail that way.
 */
export const simulation = z.object({
  failure: z.enum(["rate_limit", "server_error", "unauthorized"]),
  times: z.number().int().min(1).max(100).default(1),
  retryAfter: z.number().int().min(0).max(3600).default(2),
});
export type Simulation = z.infer<typeof simulation>;

const simulationKind = (group: SandboxGroup) => `simulation:${group}`;

/** Takes one pending simulated failure of this account, if any. */
async function takeSimulation(env: SandboxApiBindings["Bindings"], group: SandboxGroup, accountId: string) {
  const db = database(env);
  const rec = await getRecord<Simulation>(db, accountId, simulationKind(group), "next");
  if (!rec) return undefined;
  if (rec.data.times <= 1) await deleteRecord(db, accountId, simulationKind(group), "next");
  else await putRecord(db, accountId, simulationKind(group), "next", { ...rec.data, times: rec.data.times - 1 });
  return rec.data;
}

export async function scheduleSimulation(env: SandboxApiBindings["Bindings"], group: SandboxGroup, accountId: string, sim: Simulation) {
  await putRecord(database(env), accountId, simulationKind(group), "next", sim);
}

function presentedToken(authorization: string | undefined, query: string | undefined): string | undefined {
  // Octokit sends `token <t>` for OAuth tokens; everyone else `Bearer <t>`.
  const m = authorization?.match(/^(?:bearer|token)\s+(\S+)$/i);
  return m?.[1] ?? query;
}

/** Resolves the access token to its sandbox account, answering exactly as the provider would when it cannot. */
export function requireSandboxToken(group: SandboxGroup): MiddlewareHandler<SandboxApiBindings> {
  return async (c, next) => {
    const asked = (c.req.header("x-sandbox-simulate") ?? c.req.query("sandbox_simulate"))?.toLowerCase();
    const retryAfter = Number(c.req.header("x-sandbox-retry-after") ?? 2);
    const wait = Number.isInteger(retryAfter) && retryAfter >= 0 && retryAfter <= 3600 ? retryAfter : 2;
    if (asked === "rate_limit") return rateLimited(c, group, wait);
    if (asked === "server_error") return serverError(c, group);

    // Slack also takes the token as a form or query field.
    const token = presentedToken(c.req.header("authorization"), group === "slack" ? c.req.query("token") : undefined);
    if (!token) return unauthorized(c, group, "missing");
    const row = await getToken(database(c.env), await sha256Hex(token));
    if (!row || row.kind !== "access" || row.providerGroup !== group) return unauthorized(c, group, "invalid");
    if (row.revokedAt) return unauthorized(c, group, "revoked");
    if (row.expiresAt && row.expiresAt.getTime() <= sandboxNow(c).getTime()) return unauthorized(c, group, "expired");
    const account = await getSandboxAccount(database(c.env), row.accountId);
    if (!account) return unauthorized(c, group, "invalid");

    const sim = await takeSimulation(c.env, group, account.id);
    if (sim?.failure === "rate_limit") return rateLimited(c, group, sim.retryAfter);
    if (sim?.failure === "server_error") return serverError(c, group);
    if (sim?.failure === "unauthorized") return unauthorized(c, group, "expired");

    c.set("account", account);
    c.set("scopes", row.scope.split(" ").filter(Boolean));
    await next();
  };
}
