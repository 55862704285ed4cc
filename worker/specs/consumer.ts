import { database } from "../db/client";
import { findSpecById, readSpecLog } from "../db/specs";
import type { Env } from "../env";
import { AppError } from "../errors";
import { log } from "../http/log";
import { registerConsumer } from "../ops/queues";
import type { PrCreateMessage, SpecExecMessage } from "./checkpoint";
import { specEmitter } from "./events";
import { githubFor } from "./github";
import { failSpec } from "./lifecycle";
import { openPullRequest } from "./pull-request";
import { LeaseLost, runPhase, runnerDeps, type RunnerDeps } from "./runner";

/**
 * The spec-exec and pr-create consumers and their dead-letter queues.
 * A failure GitHub or the person must fix (a 4xx: repository gone, no
 * permission, GitHub disconnected) fails the spec at once with its reason;
 * anything else (5xx, rate limit, a network error) is retried by the queue
 * with backoff, and a message that runs out of retries reaches the
 * dead-letter queue, whose consumer fails the spec with the last reason.
 */

export function isPermanent(e: unknown): e is AppError {
  return e instanceof AppError && e.status >= 400 && e.status < 500 && e.status !== 429;
}

const backoff = (attempts: number) => Math.min(300, 5 * 2 ** Math.max(0, attempts - 1));
const reasonOf = (e: unknown) => (e instanceof AppError ? e.detail : "An unexpected error stopped the runner.");

async function lastRetryReason(env: Env, specId: string): Promise<string | undefined> {
  const entries = await readSpecLog(database(env), specId);
  return [...entries].reverse().find((e) => e.event === "spec.phase_retry" || e.kind === "error")?.message;
}

export async function consumeSpecExec(batch: MessageBatch<unknown>, env: Env, deps: RunnerDeps = runnerDeps(env)) {
  const dead = batch.queue.endsWith("-dlq");
  for (const message of batch.messages) {
    const msg = message.body as SpecExecMessage;
    if (!msg || typeof msg.specId !== "string" || typeof msg.userId !== "string" || !["explore", "implement", "verify"].includes(msg.phase)) {
      log("error", "spec_exec_bad_message", { queue: batch.queue });
      message.ack();
      continue;
    }
    if (dead) {
      const reason = (await lastRetryReason(env, msg.specId)) ?? "it kept failing";
      await failSpec(env, msg.specId, msg.userId, msg.phase, "retries_exhausted", `The ${msg.phase} phase failed after every retry: ${reason}`, deps.now());
      message.ack();
      continue;
    }
    try {
      await runPhase(env, msg, deps);
      message.ack();
    } catch (e) {
      if (e instanceof LeaseLost) {
        log("info", "spec_lease_lost", { specId: msg.specId, phase: msg.phase });
        message.ack();
      } else if (isPermanent(e)) {
        await failSpec(env, msg.specId, msg.userId, msg.phase, e.code, e.detail, deps.now());
        message.ack();
      } else {
        log("warn", "spec_phase_failed", { specId: msg.specId, phase: msg.phase, delivery: message.attempts, error: e instanceof Error ? e.message : String(e) });
        await specEmitter(env, msg.userId, msg.specId, deps.now).spec("spec.phase_retry", msg.phase, `${reasonOf(e)} Retrying ${msg.phase}.`, { delivery: message.attempts, reason: e instanceof AppError ? e.code : "error" });
        message.retry({ delaySeconds: backoff(message.attempts) });
      }
    }
  }
}

export async function consumePrCreate(batch: MessageBatch<unknown>, env: Env, now: () => number = Date.now) {
  const dead = batch.queue.endsWith("-dlq");
  for (const message of batch.messages) {
    const msg = message.body as PrCreateMessage;
    const spec = msg && typeof msg.specId === "string" ? await findSpecById(database(env), msg.specId) : undefined;
    if (!spec || spec.pullRequestNumber) {
      message.ack();
      continue;
    }
    if (dead) {
      const reason = (await lastRetryReason(env, spec.id)) ?? "GitHub kept failing";
      await failSpec(env, spec.id, spec.userId, "pr", "retries_exhausted", `Opening the pull request failed after every retry: ${reason}`, now());
      message.ack();
      continue;
    }
    try {
      await openPullRequest(env, spec, await githubFor(env, spec.userId), now);
      message.ack();
    } catch (e) {
      if (isPermanent(e)) {
        await failSpec(env, spec.id, spec.userId, "pr", e.code, e.detail, now());
        message.ack();
      } else {
        await specEmitter(env, spec.userId, spec.id, now).spec("spec.phase_retry", "pr", `${reasonOf(e)} Retrying the pull request.`, { delivery: message.attempts });
        message.retry({ delaySeconds: backoff(message.attempts) });
      }
    }
  }
}

registerConsumer("taskpilot-spec-exec", (batch, env) => consumeSpecExec(batch, env));
registerConsumer("taskpilot-pr-create", (batch, env) => consumePrCreate(batch, env));
