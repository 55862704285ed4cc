import type { Context, MiddlewareHandler } from "hono";
import { AppError } from "../errors";

/**
 * The sandbox providers' clock. A test moves it forward for one request
 * with `X-Sandbox-Clock-Advance: <seconds>`, to see a token, a code or a
 * consent request expire without waiting for it. Only handlers under
 * /sandbox read it, and /sandbox is mounted only with
 * SANDBOX_PROVIDERS=true (which config refuses in production): no header can
 * move a clock TaskPilot itself trusts.
 */
export const CLOCK_ADVANCE_HEADER = "x-sandbox-clock-advance";
/** Forward only, and at most a year: far enough for every lifetime the sandbox has. */
export const MAX_CLOCK_ADVANCE_SECONDS = 366 * 86_400;

export function sandboxNow(c: Context): Date {
  const raw = c.req.header(CLOCK_ADVANCE_HEADER);
  if (raw === undefined) return new Date();
  // Rejected rather than ignored: a typo must not quietly turn into a test of the unadvanced clock.
  const seconds = /^\d{1,8}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!(seconds <= MAX_CLOCK_ADVANCE_SECONDS)) {
    throw new AppError(400, "invalid_sandbox_clock", `${CLOCK_ADVANCE_HEADER} must be whole seconds from 0 to ${MAX_CLOCK_ADVANCE_SECONDS}.`);
  }
  return new Date(Date.now() + seconds * 1000);
}

/** Checks the header on every sandbox request up front, so a bad value fails even where no handler reads the clock. */
export const checkSandboxClock: MiddlewareHandler = async (c, next) => {
  sandboxNow(c);
  await next();
};
