/** Small WebCrypto helpers of the sandbox (tokens, code hashes, PKCE, git object ids). */

import { base64url, hex, randomBase64Url, sha256Hex } from "../crypto";

export { constantTimeEqual, sha256Hex } from "../crypto";

const encoder = new TextEncoder();

/** 256 random bits behind a provider-looking prefix (`ya29.`, `xoxb-`, `gho_`). */
export function randomToken(prefix: string): string {
  return prefix + randomBase64Url(32);
}

export function randomId(bytes = 16): string {
  return hex(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function sha1Hex(value: string | Uint8Array): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-1", typeof value === "string" ? encoder.encode(value) : value));
}

/** Hex HMAC-SHA256 of `data` under `secret`: how GitHub signs a webhook body (`X-Hub-Signature-256: sha256=<hex>`). */
export async function hmacSha256Hex(secret: string, data: Uint8Array): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return hex(await crypto.subtle.sign("HMAC", key, data));
}

/** RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))). */
export async function s256Challenge(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(verifier))));
}

/** A stable positive integer for an id (GitHub user ids, Google subjects), below 2^48. */
export async function stableNumber(value: string): Promise<number> {
  const h = await sha256Hex(value);
  return parseInt(h.slice(0, 12), 16);
}
