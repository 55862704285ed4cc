import { database } from "../db/client";
import { runningRuns, updateRunIf } from "../db/specs";
import type { Env } from "../env";
import { log } from "../http/log";
import type { SpecExecMessage } from "./checkpoint";
import { specEmitter } from "./events";
import { failSpec } from "./lifecycle";
import { judgeRun, MAX_ATTEMPTS } from "./liveness";

/**
 * The runner watch (cron, every minute): judges every running run by its
 * heartbeat and last work (`judgeRun`). A dead phase is given to a new
 * attempt — compare-and-set on the attempt, so two overlapping passes retry
 * it once — which takes the lapsed lease and continues from the checkpoint;
 * after the last attempt the spec fails with a final `spec.phase_failed`
 * and an `error` frame. A run never ends silently.
 */
export async function watchRuns(env: Env, now: number, send: (msg: SpecExecMessage) => Promise<void> = async (m) => void (await env.SPEC_EXEC.send(m))) {
  const db = database(env);
  const outcome = { retried: 0, failed: 0, idle: 0 };
  for (const run of await runningRuns(db)) {
    const verdict = judgeRun(run, now);
    const phase = run.phase as SpecExecMessage["phase"];
    const emit = specEmitter(env, run.userId, run.specId, () => now);
    if (verdict.state === "dead") {
      const silentFor = Math.round((now - (run.heartbeatAt?.getTime() ?? 0)) / 1000);
      if (!verdict.retry) {
        const reason = `The ${phase} phase stopped (no heartbeat for ${silentFor} s) ${MAX_ATTEMPTS} times; giving up. Execute the spec again after checking the repository.`;
        if (await updateRunIf(db, run.specId, run.attempt, { state: "failed", runnerState: "dead", leaseId: null, leaseUntil: null }, now)) {
          await failSpec(env, run.specId, run.userId, phase, "runner_dead", reason, now);
          outcome.failed++;
        }
        continue;
      }
      const attempt = run.attempt + 1;
      // The new attempt starts with a fresh heartbeat, so it is not judged dead again before the queue hands it out.
      const taken = await updateRunIf(db, run.specId, run.attempt, { attempt, runnerState: "dead", leaseId: null, leaseUntil: null, heartbeatAt: new Date(now) }, now);
      if (!taken) continue;
      await emit.spec("spec.phase_retry", phase, `The runner stopped (no heartbeat for ${silentFor} s); retrying ${phase} from its checkpoint (attempt ${attempt} of ${MAX_ATTEMPTS}).`, {
        attempt,
        maxAttempts: MAX_ATTEMPTS,
        reason: "runner_dead",
      });
      try {
        await send({ specId: run.specId, userId: run.userId, phase, attempt });
        outcome.retried++;
      } catch (e) {
        // Nothing took it: the next pass finds the run silent again and tries once more.
        log("warn", "spec_retry_send_failed", { specId: run.specId, error: e instanceof Error ? e.message : String(e) });
      }
    } else if (verdict.state === "idle" && run.runnerState !== "idle") {
      if (await updateRunIf(db, run.specId, run.attempt, { runnerState: "idle" }, now)) {
        await emit.status("idle", `The runner is alive but has done no work on ${phase} for over 5 minutes.`);
        outcome.idle++;
      }
    } else if (verdict.state === "active" && run.runnerState === "idle") {
      await updateRunIf(db, run.specId, run.attempt, { runnerState: "active" }, now);
    }
  }
  return outcome;
}

