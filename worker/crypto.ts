/**
 * The encodings and the digest every secret of the worker goes through:
 * refresh tokens, socket tickets, OAuth states, sealed provider tokens and
 * the sandbox's own tokens. One implementation, tested against published
 * vectors (test/unit/refresh-token.test.ts).
 */

const encoder = new TextEncoder();

/** RFC 4648 §5 base64url without padding. */
export function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** RFC 4648 §4 base64 with padding (stored hashes and salts, GitHub blob contents). */
export function base64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Decodes base64 or base64url, padded or not, ignoring whitespace; `undefined` when it is neither. */
export function decodeBase64(text: string): Uint8Array | undefined {
  try {
    const bin = atob(text.replace(/\s+/g, "").replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/**
 * Compares every byte whatever the first difference, so the time taken does
 * not tell an attacker how much of a guess was right.
 */
export function constantTimeEqual(a: Uint8Array | string, b: Uint8Array | string): boolean {
  const x = typeof a === "string" ? encoder.encode(a) : a;
  const y = typeof b === "string" ? encoder.encode(b) : b;
  let diff = x.length ^ y.length;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

export function hex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `length` bytes from the platform CSPRNG as base64url: unguessable bearer values. */
export function randomBase64Url(length: number): string {
  return base64url(crypto.getRandomValues(new Uint8Array(length)));
}

/** Lower-case hex SHA-256 of the UTF-8 text. Bearer values are stored only as this, so reading a table yields nothing replayable. */
export async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** A presented bearer secret against the configured one, both hashed first, so the comparison takes the same time whatever the lengths. */
export async function sameSecret(presented: string, expected: string): Promise<boolean> {
  return constantTimeEqual(await sha256Hex(presented), await sha256Hex(expected));
}
