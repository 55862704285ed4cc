import { randomBase64Url, sha256Hex } from "../crypto";

/**
 * WebSocket tickets: browsers cannot set an Authorization header on a
 * WebSocket, and an access token in a URL ends up in logs and history. A
 * ticket is random, single use, lives 60 s, and only its hash is stored, so
 * a leaked database row cannot be turned into a connection.
 */
export const TICKET_TTL_SECONDS = 60;

export function newTicket(): string {
  return randomBase64Url(32);
}

export const hashTicket = sha256Hex;
