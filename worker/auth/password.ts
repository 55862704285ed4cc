import { base64, constantTimeEqual, decodeBase64 } from "../crypto";

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

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, HASH_BITS);
  return new Uint8Array(bits);
}

export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<PasswordHash> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, salt, iterations);
  return { hash: base64(hash), salt: base64(salt), iterations };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const salt = decodeBase64(stored.salt);
  const expected = decodeBase64(stored.hash);
  if (!salt || !expected) return false;
  const actual = await derive(password, salt, stored.iterations);
  return constantTimeEqual(actual, expected);
}

/**
 * A hash no password matches (random salt, all-zero output). Checking a login
 * for an unknown email against it costs the same PBKDF2 run as a real check,
 * so response time does not reveal which emails have accounts.
 */
export function dummyPasswordHash(): PasswordHash {
  return {
    hash: base64(new Uint8Array(HASH_BITS / 8)),
    salt: base64(crypto.getRandomValues(new Uint8Array(SALT_BYTES))),
    iterations: PBKDF2_ITERATIONS,
  };
}
