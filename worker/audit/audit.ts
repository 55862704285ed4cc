import type { Context } from "hono";
import type { ActorType, AuditAction } from "../contract/audit";
import { appendAudit } from "../db/audit";
import { database } from "../db/client";
import type { Env } from "../env";
import { log } from "../http/log";

/**
 * The one audit path (OWASP ASVS 5.0 V16): every security-relevant action
 * writes one append-only row — time, actor, subject, action, result, where
 * from — through `audit()`. What a row may hold is decided here: detail
 * values are short plain facts, keys that could carry a credential are
 * dropped, and the address of someone acting on another's account is
 * truncated. A failed write is logged, never the reason a sign-in fails.
 */

export interface AuditWho {
  type: ActorType;
  id?: string | null;
}

export interface AuditFrom {
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

export interface AuditInput {
  action: AuditAction;
  actor: AuditWho;
  /** Whose account it concerns; null for what concerns no account (an unknown email, a client registration). */
  subjectUserId: string | null;
  result?: "success" | "failure";
  code?: string;
  from?: AuditFrom;
  detail?: Record<string, string | number | boolean | null | undefined>;
}

/** Keys whose values could be a credential are never written, whatever a caller passes. */
const SECRET_KEY = /token|secret|password|passwd|verifier|authorization|cookie|code_challenge|^code$|api[-_]?key|signature/i;
const MAX_VALUE = 200;

export function cleanDetail(detail: AuditInput["detail"] = {}): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(detail)) {
    if (v === null || v === undefined || SECRET_KEY.test(k)) continue;
    out[k.slice(0, 40)] = typeof v === "string" ? v.slice(0, MAX_VALUE) : v;
  }
  return out;
}

/**
 * IPv4 to its /24 and IPv6 to its /64: enough for the subject to recognise
 * a network, not enough to identify someone who is not the subject.
 */
export function truncateIp(ip: string): string {
  const v = ip.trim();
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(v)) return `${v.split(".").slice(0, 3).join(".")}.0/24`;
  if (v.includes(":")) {
    const head = v.replace(/^\[|\]$/g, "").split("%")[0]!.split("::")[0]!.split(":").slice(0, 4);
    while (head.length < 4) head.push("0");
    return `${head.map((g) => g || "0").join(":")}::/64`;
  }
  return "unknown";
}

export function requestFrom(c: Context): AuditFrom {
  return {
    ip: c.req.header("cf-connecting-ip") ?? null,
    userAgent: c.req.header("user-agent")?.slice(0, 300) ?? null,
    requestId: (c.get("requestId") as string | undefined) ?? null,
  };
}

export async function audit(env: Pick<Env, "DB">, entry: AuditInput, now = Date.now()): Promise<void> {
  const self = entry.actor.type === "user" && entry.actor.id !== undefined && entry.actor.id === entry.subjectUserId;
  const ip = entry.from?.ip ? (self ? entry.from.ip.trim().slice(0, 64) : truncateIp(entry.from.ip)) : null;
  try {
    await appendAudit(database(env), {
      at: new Date(now),
      actorType: entry.actor.type,
      actorId: entry.actor.id ?? null,
      subjectUserId: entry.subjectUserId,
      action: entry.action,
      result: entry.result ?? "success",
      code: entry.code?.slice(0, 64) ?? null,
      ip,
      userAgent: entry.from?.userAgent?.slice(0, 300) ?? null,
      requestId: entry.from?.requestId ?? null,
      detail: JSON.stringify(cleanDetail(entry.detail)),
    });
  } catch (e) {
    log("error", "audit_write_failed", { action: entry.action, subjectUserId: entry.subjectUserId, error: e instanceof Error ? e.message : String(e) });
  }
}
