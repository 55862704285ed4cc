import type { EncryptionKey } from "../worker/config";
import { base64url } from "../worker/crypto";

/**
 * A `v1` token envelope exactly as the previous release sealed it (AES-256-GCM,
 * the integration id alone as additional data), for tests of reading and
 * re-sealing rows written before envelopes were bound to their column.
 */
export async function sealLegacyV1(key: EncryptionKey, integrationId: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const k = await crypto.subtle.importKey("raw", key.raw, { name: "AES-GCM" }, false, ["encrypt"]);
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: new TextEncoder().encode(integrationId) }, k, new TextEncoder().encode(plaintext));
  return ["v1", key.kid, base64url(iv), base64url(new Uint8Array(sealed))].join(".");
}
