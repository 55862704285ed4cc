import { randomBase64Url, sha256Hex } from "../crypto";

/** Refresh tokens: 256 random bits, base64url; only their SHA-256 is stored, so a database leak yields no usable token. */
export const REFRESH_TOKEN_BYTES = 32;
/** Absolute lifetime of a login (a refresh family); rotation never extends it. */
export const REFRESH_FAMILY_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export function generateRefreshToken(): string {
  return randomBase64Url(REFRESH_TOKEN_BYTES);
}

export const hashRefreshToken = sha256Hex;
