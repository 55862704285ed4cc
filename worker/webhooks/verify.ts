import { constantTimeEqual, hex } from "../crypto";

/**
 * Signature checks over the raw request bytes, exactly as each provider
 * signs them: one byte re-encoded (a JSON round trip, a trimmed newline)
 * and the signature no longer matches. Pure: the clock comes in as an
 * argument. Comparisons are constant-time.
 */

export type Verdict = { ok: true } | { ok: false; reason: string };

/** Slack's window: a request whose timestamp is further than this from now, either way, is refused. */
export const SLACK_TOLERANCE_SECONDS = 5 * 60;

const encoder = new TextEncoder();

async function hmacSha256Hex(secret: string, data: Uint8Array): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return hex(await crypto.subtle.sign("HMAC", key, data));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.byteLength));
  return out;
}

/** GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`. The older `X-Hub-Signature` (SHA-1) is not accepted. */
export async function verifyGithubSignature(secret: string, body: Uint8Array, header: string | null | undefined): Promise<Verdict> {
  if (!header) return { ok: false, reason: "X-Hub-Signature-256 is missing (a SHA-1 X-Hub-Signature alone is not accepted)" };
  const m = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!m) return { ok: false, reason: "X-Hub-Signature-256 is not sha256=<64 hex digits>" };
  const expected = await hmacSha256Hex(secret, body);
  return constantTimeEqual(expected, m[1]!.toLowerCase()) ? { ok: true } : { ok: false, reason: "the signature does not match the body" };
}

/**
 * Slack v0: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{timestamp}:{body}">`,
 * with `X-Slack-Request-Timestamp` (seconds) within five minutes of `nowMs`.
 */
export async function verifySlackSignature(
  secret: string,
  body: Uint8Array,
  timestamp: string | null | undefined,
  signature: string | null | undefined,
  nowMs: number,
): Promise<Verdict> {
  if (!timestamp || !/^\d{1,12}$/.test(timestamp.trim())) return { ok: false, reason: "X-Slack-Request-Timestamp is missing or not a number of seconds" };
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  if (skew > SLACK_TOLERANCE_SECONDS) return { ok: false, reason: "X-Slack-Request-Timestamp is more than five minutes from now (a replay, or a clock far off)" };
  if (!signature) return { ok: false, reason: "X-Slack-Signature is missing" };
  const m = /^v0=([0-9a-f]{64})$/i.exec(signature.trim());
  if (!m) return { ok: false, reason: "X-Slack-Signature is not v0=<64 hex digits>" };
  const expected = await hmacSha256Hex(secret, concat(encoder.encode(`v0:${timestamp.trim()}:`), body));
  return constantTimeEqual(expected, m[1]!.toLowerCase()) ? { ok: true } : { ok: false, reason: "the signature does not match the body" };
}
