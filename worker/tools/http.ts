import { AppError } from "../errors";
import type { ProviderId } from "../integrations/providers";

/**
 * The one way a tool reaches a provider's API. Every call gets a timeout, a
 * bearer token from the integration, at most one refresh and one retry after
 * a 401, and retries with exponential backoff and full jitter on 429, 5xx
 * and network failures, waiting what the provider asked for (`Retry-After`
 * as seconds or an HTTP date, GitHub's `x-ratelimit-reset`) when it says.
 * Clock, sleep, randomness, timers and fetch come from a `ToolRuntime` so
 * tests drive every branch exactly.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included (a 401 refresh adds one retry outside this count). */
  attempts: number;
  /** Backoff cap before jitter for attempt n: min(maxDelayMs, baseDelayMs · 2^(n-1)). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Each attempt is aborted after this long. */
  timeoutMs: number;
  /** A provider asking for a longer wait than this is answered at once with `provider_rate_limited`: a turn does not hang. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 3,
  baseDelayMs: 250,
  maxDelayMs: 4_000,
  timeoutMs: 15_000,
  maxRetryAfterMs: 20_000,
};

export interface ToolRuntime {
  fetch(request: Request): Promise<Response>;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Uniform in [0, 1). */
  random(): number;
  /** A signal that aborts after `ms`. */
  timeout(ms: number): AbortSignal;
  policy: RetryPolicy;
}

export function defaultRuntime(overrides: Partial<ToolRuntime> = {}): ToolRuntime {
  return {
    fetch: (request) => fetch(request),
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: () => Math.random(),
    timeout: (ms) => AbortSignal.timeout(ms),
    policy: DEFAULT_RETRY_POLICY,
    ...overrides,
  };
}

/** Where a provider's tokens come from: the integration's stored token, and one refresh after the provider refused it. */
export interface Credentials {
  accessToken(): Promise<string>;
  afterUnauthorized(rejectedToken: string): Promise<string>;
}

/** One provider as a tool sees it: its API base (real, overridden or sandbox) and the user's credentials. */
export interface Connection {
  provider: ProviderId;
  apiUrl: string;
  credentials: Credentials;
  runtime: ToolRuntime;
}

export interface SendOptions {
  /**
   * Whether the request may be sent twice. A write (send an email, post a
   * message, open an issue) that failed with a 5xx or a dropped connection
   * may already have happened, so it is retried only where the provider
   * refused it before acting: rate limits and 401.
   */
  idempotent: boolean;
  /** Slack says "bad token" with HTTP 200 and `ok: false`; the client tells us. */
  isUnauthorized?(response: Response): Promise<boolean>;
}

/** The pure half of `Retry-After` (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) and GitHub's reset header, in ms from `now`. */
export function requestedDelayMs(headers: Headers, status: number, now: number): number | undefined {
  const retryAfter = headers.get("retry-after")?.trim();
  if (retryAfter) {
    if (/^\d+$/.test(retryAfter)) return Number(retryAfter) * 1000;
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  // GitHub's primary rate limit: 403 or 429 with no requests left, reset given as epoch seconds.
  const reset = headers.get("x-ratelimit-reset")?.trim();
  if (reset && /^\d+$/.test(reset) && (status === 429 || headers.get("x-ratelimit-remaining") === "0")) {
    return Math.max(0, Number(reset) * 1000 - now);
  }
  return undefined;
}

/** Full jitter (a uniform draw up to the exponential cap) keeps callers that failed together from retrying in lockstep. */
export function backoffMs(policy: RetryPolicy, attempt: number, random: number): number {
  return Math.floor(random * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
}

/**
 * GitHub signals its rate limits with 403 as well as 429: the primary one
 * with `x-ratelimit-remaining: 0`, the secondary one with `Retry-After`
 * (docs.github.com, "Rate limits for the REST API"). Any other 403 is a refusal.
 */
function isRateLimit(status: number, headers: Headers): boolean {
  return status === 429 || (status === 403 && (headers.get("x-ratelimit-remaining") === "0" || headers.has("retry-after")));
}

/** Statuses worth another attempt: rate limits and the provider's own failures. */
export function isRetryableStatus(status: number, headers: Headers): boolean {
  return isRateLimit(status, headers) || status >= 500;
}

export interface Sent {
  response: Response;
  /** The token the final attempt carried (to keep it out of any message built from the answer). */
  token: string;
}

/**
 * Sends `build(token)` under the policy and returns the final response,
 * whatever its status: the provider client reads its error body. Throws
 * `AppError` only for what has no response: timeouts and network failures
 * after the last attempt, and credential failures (`not_connected`,
 * `integration_expired`, … from the integration).
 */
export async function send(conn: Connection, build: (token: string) => Request, options: SendOptions): Promise<Sent> {
  const { runtime } = conn;
  const { policy } = runtime;
  let token = await credential(conn, () => conn.credentials.accessToken());
  let refreshed = false;
  for (let attempt = 1; ; attempt += 1) {
    const signal = runtime.timeout(policy.timeoutMs);
    let response: Response;
    try {
      response = await runtime.fetch(withSignal(build(token), signal));
    } catch (e) {
      const timedOut = signal.aborted;
      if (options.idempotent && attempt < policy.attempts) {
        await runtime.sleep(backoffMs(policy, attempt, runtime.random()));
        continue;
      }
      throw unreachable(conn.provider, timedOut, !options.idempotent, e);
    }

    if (response.status === 401 || (options.isUnauthorized && (await options.isUnauthorized(response)))) {
      if (refreshed) return { response, token };
      await discard(response);
      const rejected = token;
      token = await credential(conn, () => conn.credentials.afterUnauthorized(rejected));
      refreshed = true;
      attempt -= 1;
      continue;
    }

    if (!isRetryableStatus(response.status, response.headers) || attempt >= policy.attempts) return { response, token };
    if (!options.idempotent && !isRateLimit(response.status, response.headers)) return { response, token };
    const asked = requestedDelayMs(response.headers, response.status, runtime.now());
    if (asked !== undefined && asked > policy.maxRetryAfterMs) return { response, token };
    await discard(response);
    await runtime.sleep(asked ?? backoffMs(policy, attempt, runtime.random()));
  }
}

/** The integration's own failures (`not_connected`, `integration_expired`, …) name the provider, so the agent knows what to reconnect. */
async function credential(conn: Connection, get: () => Promise<string>): Promise<string> {
  try {
    return await get();
  } catch (e) {
    if (e instanceof AppError && e.extra.provider === undefined) throw new AppError(e.status, e.code, e.detail, { ...e.extra, provider: conn.provider });
    throw e;
  }
}

function withSignal(request: Request, signal: AbortSignal): Request {
  return new Request(request, { signal });
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

const NAMES: Record<ProviderId, string> = { gmail: "Gmail", calendar: "Google Calendar", slack: "Slack", github: "GitHub" };

export function providerName(provider: ProviderId): string {
  return NAMES[provider];
}

function unreachable(provider: ProviderId, timedOut: boolean, write: boolean, e: unknown): AppError {
  const what = timedOut ? "did not answer in time" : "could not be reached";
  const unknown = write ? " The change may or may not have been made; check before trying again." : "";
  return new AppError(502, timedOut ? "provider_timeout" : "provider_unreachable", `${providerName(provider)} ${what}.${unknown}`, {
    provider,
    ...(write ? { outcomeUnknown: true } : {}),
    ...(timedOut || !(e instanceof Error) ? {} : { cause: e.name }),
  });
}

const MESSAGE_MAX = 300;

/** A provider's message for people: clipped, one line, and never carrying the token the request held. */
export function providerMessage(text: string, token: string): string {
  const scrubbed = token ? text.split(token).join("[token]") : text;
  const line = scrubbed.replace(/\s+/g, " ").trim();
  return line.length > MESSAGE_MAX ? `${line.slice(0, MESSAGE_MAX)}…` : line;
}

export interface ProviderFailure {
  /** The provider's own code: Google's `status` (`NOT_FOUND`), Slack's `error`, GitHub's message or field code. */
  providerCode: string;
  message: string;
}

/**
 * A provider's refusal as an `AppError` with a stable code of ours and the
 * provider's code kept: what the agent shows in words and what an API caller
 * gets as problem+json.
 */
export function providerError(conn: Connection, status: number, headers: Headers, failure: ProviderFailure, write: boolean): AppError {
  const name = providerName(conn.provider);
  const extra = { provider: conn.provider, providerStatus: status, providerCode: failure.providerCode };
  const said = failure.message ? `: ${failure.message}` : ".";
  if (status === 401) {
    return new AppError(409, "provider_unauthorized", `${name} refused the connection even after a token refresh${said} Reconnect ${name}.`, extra);
  }
  if (isRateLimit(status, headers)) {
    const delay = requestedDelayMs(headers, status, conn.runtime.now());
    const seconds = delay === undefined ? undefined : Math.ceil(delay / 1000);
    return new AppError(503, "provider_rate_limited", `${name} is rate limiting requests${seconds === undefined ? "" : `; try again in ${seconds} s`}.`, {
      ...extra,
      ...(seconds === undefined ? {} : { retryAfterSeconds: seconds, headers: { "retry-after": String(seconds) } }),
    });
  }
  if (status >= 500) {
    const unknown = write ? " The change may or may not have been made; check before trying again." : "";
    return new AppError(502, "provider_unavailable", `${name} failed (HTTP ${status})${said}${unknown}`, { ...extra, ...(write ? { outcomeUnknown: true } : {}) });
  }
  if (status === 403) return new AppError(403, "provider_forbidden", `${name} refused${said}`, extra);
  if (status === 404) return new AppError(404, "provider_not_found", `${name} found no such item${said}`, extra);
  if (status === 400 || status === 422) return new AppError(400, "provider_rejected", `${name} rejected the request${said}`, extra);
  return new AppError(502, "provider_error", `${name} answered HTTP ${status}${said}`, extra);
}

/** Reads a JSON body; a provider answering something else is a bad gateway, not our crash. */
export async function readJson(conn: Connection, response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError(502, "provider_bad_response", `${providerName(conn.provider)} answered HTTP ${response.status} with a body that is not JSON.`, {
      provider: conn.provider,
      providerStatus: response.status,
    });
  }
}

export type Query = Record<string, string | number | boolean | undefined | string[]>;

export function apiUrl(base: string, path: string, query: Query = {}): string {
  const url = new URL(base.replace(/\/$/, "") + path);
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(v));
  }
  return url.toString();
}
