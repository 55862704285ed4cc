/**
 * Password hashing with PBKDF2-SHA256 through WebCrypto. 100 000 iterations is
 * the most the Workers runtime accepts; the count and salt are stored per user
 * so a later change of parameters can rehash on login.
 */
export const PBKDF2_ITERATIONS = 100_000;
const SALT_BYTES = 16;
const HASH_BITS = 256;

export interface PasswordHash {
  hash: string;
  salt: string;
  iterations: number;
}

export function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

export function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
}

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, HASH_BITS);
  return new Uint8Array(bits);
}

export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<PasswordHash> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, salt, iterations);
  return { hash: toBase64(hash), salt: toBase64(salt), iterations };
}

/**
 * Compares every byte whatever the first difference, so the time taken does
 * not tell an attacker how much of a guess was right.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const actual = await derive(password, fromBase64(stored.salt), stored.iterations);
  return constantTimeEqual(actual, fromBase64(stored.hash));
}

/**
 * A hash no password matches (random salt, all-zero output). Checking a login
 * for an unknown email against it costs the same PBKDF2 run as a real check,
 * so response time does not reveal which emails have accounts.
 */
export function dummyPasswordHash(): PasswordHash {
  return {
    hash: toBase64(new Uint8Array(HASH_BITS / 8)),
    salt: toBase64(crypto.getRandomValues(new Uint8Array(SALT_BYTES))),
    iterations: PBKDF2_ITERATIONS,
  };
}
