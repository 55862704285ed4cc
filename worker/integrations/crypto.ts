import type { EncryptionKey } from "../config";
import { base64url, decodeBase64 } from "../crypto";

/**
 * Provider tokens at rest: AES-256-GCM, a fresh random 12-byte IV per
 * encryption (GCM loses confidentiality and integrity if an IV repeats under
 * one key), the integration's id as additional authenticated data (a
 * ciphertext copied into another user's row does not decrypt there), and the
 * key id in the envelope so keys can rotate: the first key encrypts, every
 * listed key decrypts.
 *
 * Envelope: `v1.{kid}.{base64url iv}.{base64url ciphertext+tag}`.
 */

const VERSION = "v1";
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

export async function encryptToken(keys: EncryptionKey[], integrationId: string, plaintext: string): Promise<string> {
  const key = keys[0];
  if (!key) throw new Error("no encryption key configured");
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(integrationId) },
    await importKey(key),
    new TextEncoder().encode(plaintext),
  );
  return [VERSION, key.kid, base64url(iv), base64url(new Uint8Array(sealed))].join(".");
}

/** The key id an envelope was sealed with (for rotation), or undefined when it is not an envelope. */
export function envelopeKeyId(envelope: string): string | undefined {
  const parts = envelope.split(".");
  return parts.length === 4 && parts[0] === VERSION ? parts[1] : undefined;
}

export async function decryptToken(keys: EncryptionKey[], integrationId: string, envelope: string): Promise<string> {
  const parts = envelope.split(".");
  if (parts.length !== 4 || parts[0] !== VERSION) throw new TokenDecryptError("malformed");
  const [, kid, ivText, sealedText] = parts as [string, string, string, string];
  const key = keys.find((k) => k.kid === kid);
  if (!key) throw new TokenDecryptError("unknown_key");
  const iv = fromBase64Url(ivText);
  if (iv.length !== IV_BYTES) throw new TokenDecryptError("malformed");
  const sealed = fromBase64Url(sealedText);
  try {
    const opened = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(integrationId) },
      await importKey(key),
      sealed,
    );
    return new TextDecoder().decode(opened);
  } catch {
    throw new TokenDecryptError("authentication_failed");
  }
}
