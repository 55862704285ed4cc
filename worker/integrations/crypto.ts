import type { EncryptionKey } from "../config";
import { base64url, decodeBase64 } from "../crypto";

/**
 * Provider tokens at rest: AES-256-GCM, a fresh random 12-byte IV per
 * encryption (GCM loses confidentiality and integrity if an IV repeats under
 * one key), and the key id in the envelope so keys can rotate: the first key
 * encrypts, every listed key decrypts.
 *
 * The additional authenticated data is `{integration id}:{column}`: a
 * ciphertext copied into another user's row does not open there, and an
 * access-token envelope moved into the refresh-token column (or back) does
 * not open either, so whoever can write the table cannot make us send a
 * token to an endpoint it was not issued for.
 *
 * Envelope: `v2.{kid}.{base64url iv}.{base64url ciphertext+tag}`. The older
 * `v1` envelopes (bound to the integration id only) are still read, never
 * written; `npm run keys:rotate` re-seals them as `v2`.
 */

export type TokenColumn = "access_token_enc" | "refresh_token_enc";

const VERSION = "v2";
const LEGACY_VERSION = "v1";
const IV_BYTES = 12;

export class TokenDecryptError extends Error {
  constructor(readonly reason: "malformed" | "unknown_key" | "authentication_failed") {
    super(`token envelope cannot be decrypted: ${reason}`);
    this.name = "TokenDecryptError";
  }
}

const keyCache = new WeakMap<Uint8Array, Promise<CryptoKey>>();

function importKey(key: EncryptionKey): Promise<CryptoKey> {
  let imported = keyCache.get(key.raw);
  if (!imported) {
    imported = crypto.subtle.importKey("raw", key.raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
    keyCache.set(key.raw, imported);
  }
  return imported;
}

function fromBase64Url(text: string): Uint8Array {
  // Only the envelope's own alphabet: anything else means the column was tampered with or truncated.
  const bytes = /^[A-Za-z0-9_-]*$/.test(text) ? decodeBase64(text) : undefined;
  if (!bytes) throw new TokenDecryptError("malformed");
  return bytes;
}

function additionalData(version: string, integrationId: string, column: TokenColumn): Uint8Array {
  return new TextEncoder().encode(version === LEGACY_VERSION ? integrationId : `${integrationId}:${column}`);
}

export async function encryptToken(keys: EncryptionKey[], integrationId: string, column: TokenColumn, plaintext: string): Promise<string> {
  const key = keys[0];
  if (!key) throw new Error("no encryption key configured");
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: additionalData(VERSION, integrationId, column) },
    await importKey(key),
    new TextEncoder().encode(plaintext),
  );
  return [VERSION, key.kid, base64url(iv), base64url(new Uint8Array(sealed))].join(".");
}

function parse(envelope: string): { version: string; kid: string; ivText: string; sealedText: string } | undefined {
  const parts = envelope.split(".");
  if (parts.length !== 4 || (parts[0] !== VERSION && parts[0] !== LEGACY_VERSION)) return undefined;
  const [version, kid, ivText, sealedText] = parts as [string, string, string, string];
  return { version, kid, ivText, sealedText };
}

/** The key id an envelope was sealed with (for rotation), or undefined when it is not an envelope. */
export function envelopeKeyId(envelope: string): string | undefined {
  return parse(envelope)?.kid;
}

/** Whether an envelope is in the current format under key `kid`; anything else is re-sealed by the rotation. */
export function isCurrentEnvelope(envelope: string, kid: string): boolean {
  const parsed = parse(envelope);
  return parsed?.version === VERSION && parsed.kid === kid;
}

export async function decryptToken(keys: EncryptionKey[], integrationId: string, column: TokenColumn, envelope: string): Promise<string> {
  const parsed = parse(envelope);
  if (!parsed) throw new TokenDecryptError("malformed");
  const key = keys.find((k) => k.kid === parsed.kid);
  if (!key) throw new TokenDecryptError("unknown_key");
  const iv = fromBase64Url(parsed.ivText);
  if (iv.length !== IV_BYTES) throw new TokenDecryptError("malformed");
  const sealed = fromBase64Url(parsed.sealedText);
  try {
    const opened = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv, additionalData: additionalData(parsed.version, integrationId, column) },
      await importKey(key),
      sealed,
    );
    return new TextDecoder().decode(opened);
  } catch {
    throw new TokenDecryptError("authentication_failed");
  }
}
