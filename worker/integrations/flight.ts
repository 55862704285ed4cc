import { DurableObject } from "cloudflare:workers";
import { database } from "../db/client";
import { findIntegration, updateIntegration, type IntegrationPatch } from "../db/integrations";
import type { Env } from "../env";
import { flushMetrics } from "../metrics/record";
import { disconnectNow, type DisconnectResult } from "./disconnect";
import { recordIntegrationEvent } from "./events";
import { flightName } from "./flight-stub";
import type { ProviderId } from "./providers";
import {
  answers,
  mergeNeeds,
  refreshIntegrationToken,
  systemDeps,
  type FlightContext,
  type RefreshDeps,
  type RefreshNeeds,
  type RefreshOutcome,
  type RefreshRequest,
} from "./refresh";

const noop = () => undefined;

interface Running {
  startedAt: number;
  outcome: Promise<RefreshOutcome>;
}

interface Queued {
  needs: RefreshNeeds;
  outcome: Promise<RefreshOutcome>;
}

/**
 * One per integration (named `{userId}:{provider}`, see flight-stub.ts):
 * the single flight for its token refresh, and the one place its tokens are
 * written, so refresh, connect and disconnect never interleave their writes.
 *
 * Refresh: at most one runs at a time. A caller joins the running refresh
 * when its outcome can answer them (`answers` in refresh.ts: a forced
 * refresh only by one that started at or after it was asked for, a caller
 * whose token was rejected only by a different token); anyone else waits for
 * the next refresh, which starts when the running one ends and is shared by
 * everyone queued meanwhile, with their needs merged: however many ask at
 * once, a burst costs one upstream refresh, or two when some of it asked
 * for more than the running one can give.
 *
 * Writes (a refresh storing its tokens or its failure, a connect storing a
 * new grant, a disconnect) run one at a time in arrival order (`exclusive`).
 * A disconnect does not wait for a refresh that is still upstream; that
 * refresh's write is a compare-and-swap on the envelopes it read, so when it
 * arrives after the disconnect it finds them gone and stores nothing.
 *
 * Nothing here needs to survive eviction: a refresh in flight dies with the
 * object, its callers' RPCs fail (503 `integration_unavailable`) and the row
 * in D1 is still the truth.
 */
export class IntegrationFlight extends DurableObject<Env> {
  /** Time, randomness and provider deadlines; tests replace them through `runInDurableObject`. */
  deps: RefreshDeps = systemDeps;
  private owner: string | undefined;
  private running: Running | undefined;
  private queued: Queued | undefined;
  /** The last refresh to finish: a forced request that arrives just after it, but asked before it started, is answered by it. */
  private last: { startedAt: number; outcome: RefreshOutcome } | undefined;
  private writes: Promise<unknown> = Promise.resolve();

  async refresh(userId: string, provider: ProviderId, request: RefreshRequest = {}): Promise<RefreshOutcome> {
    this.claim(userId, provider);
    const requestedAt = request.requestedAt ?? this.deps.now();
    const running = this.running;
    if (running) {
      if (!(request.force && running.startedAt < requestedAt)) {
        const outcome = await running.outcome;
        if (answers(request, requestedAt, running.startedAt, outcome, this.deps.now())) return outcome;
      }
    } else if (this.last && request.force && answers(request, requestedAt, this.last.startedAt, this.last.outcome, this.deps.now())) {
      return this.last.outcome;
    }
    return this.enqueue(userId, provider, request);
  }

  /** `POST …/disconnect`, after every write already asked for. */
  async disconnect(userId: string, provider: ProviderId): Promise<DisconnectResult> {
    this.claim(userId, provider);
    return this.exclusive(async () => {
      this.last = undefined;
      return disconnectNow(this.env, userId, provider, this.deps);
    });
  }

  /** The end of an OAuth callback: stores the new grant (sealed by the caller for `integrationId`), after every write already asked for. */
  async storeConnection(userId: string, provider: ProviderId, integrationId: string, patch: IntegrationPatch, now: number): Promise<void> {
    this.claim(userId, provider);
    await this.exclusive(async () => {
      this.last = undefined;
      await updateIntegration(database(this.env), integrationId, patch, now);
    });
  }

  /**
   * The provider says the grant is gone (a revocation webhook): the row
   * becomes `expired` with the reason, after every write already asked for.
   * Once only: a row that is not active or in error is left as it is, so the
   * same revocation delivered twice records one event.
   */
  async expireByProvider(userId: string, provider: ProviderId, reason: { code: string; message: string }): Promise<boolean> {
    this.claim(userId, provider);
    return this.exclusive(async () => {
      const row = await findIntegration(database(this.env), userId, provider);
      if (!row || (row.status !== "active" && row.status !== "error")) return false;
      this.last = undefined;
      const now = this.deps.now();
      await updateIntegration(database(this.env), row.id, { status: "expired", lastErrorCode: reason.code, lastErrorMessage: reason.message, lastErrorAt: new Date(now) }, now);
      await recordIntegrationEvent(this.env, userId, provider, "expired", "expired", { providerError: reason.code, description: reason.message, source: "webhook" });
      return true;
    });
  }

  private enqueue(userId: string, provider: ProviderId, request: RefreshRequest): Promise<RefreshOutcome> {
    let queued = this.queued;
    if (!queued) {
      // Starts when the running refresh ends (or on the next microtask), so callers arriving meanwhile merge into it.
      const ended = this.running ? this.running.outcome.then(noop, noop) : Promise.resolve();
      const next: Queued = { needs: { force: false, rejectedTokens: [], aheadMs: 0 }, outcome: ended.then(() => this.start(next, userId, provider)) };
      this.queued = queued = next;
    }
    mergeNeeds(queued.needs, request);
    return queued.outcome;
  }

  private start(queued: Queued, userId: string, provider: ProviderId): Promise<RefreshOutcome> {
    if (this.queued === queued) this.queued = undefined;
    const startedAt = this.deps.now();
    const flight: FlightContext = { deps: this.deps, exclusive: (write) => this.exclusive(write) };
    const running: Running = { startedAt, outcome: refreshIntegrationToken(this.env, userId, provider, queued.needs, flight) };
    this.running = running;
    running.outcome.then(
      (outcome) => {
        this.last = { startedAt, outcome };
      },
      () => {
        this.last = undefined;
      },
    );
    void running.outcome.then(noop, noop).finally(() => {
      if (this.running === running) this.running = undefined;
      this.ctx.waitUntil(flushMetrics(this.env)); // the refresh's counts (refresh.ts), sent once it ends
    });
    return running.outcome;
  }

  private exclusive<T>(write: () => Promise<T>): Promise<T> {
    const result = this.writes.then(write);
    this.writes = result.then(noop, noop);
    return result;
  }

  /** A flight serves exactly one integration; a second name means a routing bug, never shared tokens. */
  private claim(userId: string, provider: ProviderId): void {
    const name = flightName(userId, provider);
    if (this.owner === undefined) this.owner = name;
    else if (this.owner !== name) throw new Error("this IntegrationFlight belongs to another integration");
  }
}
