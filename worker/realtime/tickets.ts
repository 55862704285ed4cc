/**
 * WebSocket tickets: browsers cannot set an Authorization header on a
 * WebSocket, and an access token in a URL ends up in logs and history. A
 * ticket is random, single use, lives 60 s, and only its hash is stored, so
 * a leaked database row cannot be turned into a connection.
 */
export const TICKET_TTL_SECONDS = 60;

export function newTicket(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function hashTicket(ticket: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(ticket));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
