import { env, runInDurableObject } from "cloudflare:test";
import type { IntegrationFlight } from "../../worker/integrations/flight";
import { integrationFlight } from "../../worker/integrations/flight-stub";
import type { ProviderId } from "../../worker/integrations/providers";
import type { RefreshDeps } from "../../worker/integrations/refresh";
import { oauthServer } from "./integrations-helpers";

/** Resolves once `count` token/revoke/API requests carrying `key` have reached the local OAuth server. */
export async function arrived(key: string, count = 1): Promise<void> {
  const res = await fetch(`${oauthServer()}/__arrived?key=${encodeURIComponent(key)}&count=${count}`);
  if (res.status !== 200) throw new Error(`waiting for ${key} failed: ${res.status}`);
}

/** Lets the held requests carrying `key` go on (and stops holding later ones). */
export async function release(key: string): Promise<void> {
  const res = await fetch(`${oauthServer()}/__release?key=${encodeURIComponent(key)}`, { method: "POST" });
  if (res.status !== 204) throw new Error(`releasing ${key} failed: ${res.status}`);
}

export function flightOf(userId: string, provider: ProviderId) {
  return integrationFlight(env, userId, provider);
}

/** Replaces some of the integration's flight dependencies (clock, sleep, randomness, provider deadlines). */
export async function injectFlight(userId: string, provider: ProviderId, deps: Partial<RefreshDeps>): Promise<void> {
  await runInDurableObject(flightOf(userId, provider), (instance) => {
    const flight = instance as unknown as IntegrationFlight;
    flight.deps = { ...flight.deps, ...deps };
  });
}

/**
 * Returns once every call already made on `stub` has been delivered: calls
 * on one stub arrive in the order they were made, so a call started before
 * this one is inside the flight (waiting on it, or queued) when this returns.
 */
export async function delivered(stub: DurableObjectStub<IntegrationFlight>): Promise<void> {
  await runInDurableObject(stub, () => undefined);
}

/** A sleep that only records what it was asked to wait. */
export function recordingSleep(): { delays: number[]; sleep: (ms: number) => Promise<void> } {
  const delays: number[] = [];
  return { delays, sleep: async (ms) => void delays.push(ms) };
}

/** mulberry32: a small seeded generator, so "random" delays are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
