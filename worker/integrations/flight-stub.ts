import type { Env } from "../env";
import { AppError } from "../errors";
import { log } from "../http/log";
import type { IntegrationFlight } from "./flight";
import { providerSpec, type ProviderId } from "./providers";

export function flightName(userId: string, provider: ProviderId): string {
  return `${userId}:${provider}`;
}

/** The integration's flight: one Durable Object per user and provider, named by both. */
export function integrationFlight(env: Pick<Env, "INTEGRATION_FLIGHT">, userId: string, provider: ProviderId): DurableObjectStub<IntegrationFlight> {
  const ns = env.INTEGRATION_FLIGHT as unknown as DurableObjectNamespace<IntegrationFlight>;
  return ns.get(ns.idFromName(flightName(userId, provider)));
}

/**
 * Calls the integration's flight. A failure of the call itself (the object
 * is being reset or moved, is overloaded, or threw) is a 503
 * `integration_unavailable` that the client may retry, never a 500.
 */
export async function callFlight<T>(
  env: Pick<Env, "INTEGRATION_FLIGHT">,
  userId: string,
  provider: ProviderId,
  call: (flight: DurableObjectStub<IntegrationFlight>) => Promise<T>,
): Promise<T> {
  try {
    return await call(integrationFlight(env, userId, provider));
  } catch (e) {
    log("error", "integration_flight_failed", { userId, provider, error: e instanceof Error ? e.message : String(e) });
    throw new AppError(503, "integration_unavailable", `${providerSpec(provider).name} cannot be reached right now; try again in a moment.`, {
      headers: { "Retry-After": "1" },
    });
  }
}
