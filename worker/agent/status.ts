import type { SessionStatus } from "../contract/agent";
import { AppError } from "../errors";

/**
 * The session status machine, exactly: `active → paused → active`,
 * `active → completed | failed`, any → `archived`. Everything else —
 * including staying where you are, reviving a completed session or leaving
 * the archive — is refused, so a client cannot resurrect a closed
 * conversation by PATCHing it.
 */
const ALLOWED: Record<SessionStatus, readonly SessionStatus[]> = {
  active: ["paused", "completed", "failed", "archived"],
  paused: ["active", "archived"],
  completed: ["archived"],
  failed: ["archived"],
  archived: [],
};

export function canMove(from: SessionStatus, to: SessionStatus): boolean {
  return ALLOWED[from].includes(to);
}

/** The status after the move, or 409 `invalid_transition`. */
export function nextSessionStatus(from: SessionStatus, to: SessionStatus): SessionStatus {
  if (!canMove(from, to)) throw new AppError(409, "invalid_transition", `A session cannot go from ${from} to ${to}.`, { from, to });
  return to;
}
