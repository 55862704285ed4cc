/**
 * How the runner proves it is alive and how the watch judges it (pure, so the
 * thresholds are tested as a table). The runner heartbeats every 15 s while
 * it works and renews a 90 s lease with each beat; no heartbeat for 90 s
 * means the isolate running it is gone (evicted, crashed, redeployed), and
 * its lease has lapsed, so another attempt may take the phase. A heartbeat
 * without work for 5 minutes is a runner that is stuck, not dead: it is
 * shown as idle and left to its lease.
 */

export const HEARTBEAT_EVERY_MS = 15_000;
export const DEAD_AFTER_MS = 90_000;
export const IDLE_AFTER_MS = 5 * 60_000;
/** A dead phase is retried from its checkpoint this many times, then the spec fails. */
export const MAX_RETRIES = 3;
export const MAX_ATTEMPTS = MAX_RETRIES + 1;

export type Verdict = { state: "active" } | { state: "idle" } | { state: "dead"; retry: boolean };

export function judgeRun(run: { heartbeatAt: Date | null; lastWorkAt: Date | null; attempt: number }, now: number): Verdict {
  const beat = run.heartbeatAt?.getTime() ?? 0;
  if (now - beat > DEAD_AFTER_MS) return { state: "dead", retry: run.attempt < MAX_ATTEMPTS };
  const work = run.lastWorkAt?.getTime() ?? beat;
  if (now - work > IDLE_AFTER_MS) return { state: "idle" };
  return { state: "active" };
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * Calls `beat` every `everyMs` until stopped; a beat that reports the lease
 * lost (false) or fails stops the loop and is remembered, so the runner
 * checks `lost()` before its next write instead of working on without a lease.
 */
export function startHeartbeat(beat: () => Promise<boolean>, everyMs: number, timers: Timers = realTimers) {
  let stopped = false;
  let lost = false;
  let handle: unknown;
  const tick = async () => {
    if (stopped) return;
    try {
      if (!(await beat())) lost = true;
    } catch {
      // A failed write is not proof the lease is gone; the next beat tries again.
    }
    if (!stopped && !lost) handle = timers.setTimeout(() => void tick(), everyMs);
  };
  handle = timers.setTimeout(() => void tick(), everyMs);
  return {
    lost: () => lost,
    stop() {
      stopped = true;
      timers.clearTimeout(handle);
    },
  };
}
