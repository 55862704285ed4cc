import type { CookieSession, LoginBody, PublicUser, RegisterBody } from "../../../worker/contract/auth";

/** A failed API call, built from the worker's problem+json body (or from a network failure). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Field path → message, for showing next to form fields. */
    readonly fieldErrors: Record<string, string> = {},
    readonly requestId?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

interface ProblemBody {
  title?: string;
  detail?: string;
  code?: string;
  requestId?: string;
  errors?: { path: string; message: string }[];
}

export interface ApiClientOptions {
  /** Origin of the worker; empty means the page's own origin. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Called once whenever the session ends (refresh failed, or sign-out). */
  onSessionEnded?: () => void;
}

export interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
  /** Auth endpoints carry no bearer token and never trigger a refresh. */
  anonymous?: boolean;
}

/**
 * Tells register and login that this is the web app: the server then keeps
 * the refresh token in its HttpOnly cookie and out of the JSON body, where
 * script injected into the page could read it. (A refresh from the cookie is
 * answered that way regardless.)
 */
export const WEB_CLIENT_HEADERS = { "x-taskpilot-client": "web" } as const;

export type ApiClient = ReturnType<typeof createApiClient>;

const REFRESH_PATH = "/api/auth/refresh";

export function createApiClient(options: ApiClientOptions = {}) {
  const baseUrl = options.baseUrl ?? "";
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  // The access token lives only in this closure: never in storage, so an XSS
  // payload cannot lift it from localStorage; the refresh token is an
  // HttpOnly cookie the page cannot read at all.
  let accessToken: string | null = null;
  let user: PublicUser | null = null;
  let refreshInFlight: Promise<CookieSession | null> | null = null;
  const listeners = new Set<(user: PublicUser | null) => void>();

  function setSession(session: CookieSession | null) {
    accessToken = session?.accessToken ?? null;
    user = session?.user ?? null;
    for (const listener of listeners) listener(user);
  }

  function endSession() {
    const hadSession = accessToken !== null || user !== null;
    setSession(null);
    if (hadSession) options.onSessionEnded?.();
  }

  async function send(method: string, path: string, opts: RequestOptions, token: string | null): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json", ...(opts.anonymous ? WEB_CLIENT_HEADERS : {}) };
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    if (token) headers.authorization = `Bearer ${token}`;
    try {
      return await doFetch(`${baseUrl}${path}`, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        credentials: "same-origin",
        signal: opts.signal,
      });
    } catch (e) {
      if (e instanceof DOMException && e.name === "AbortError") throw e;
      throw new ApiError(0, "network_error", "Could not reach TaskPilot. Check your connection and try again.");
    }
  }

  /**
   * Single flight: every caller that hits a 401 while a refresh is running
   * waits for that same refresh, so ten parallel 401s cost one rotation (and
   * do not trip the server's refresh-token reuse detection).
   */
  function refreshSession(): Promise<CookieSession | null> {
    refreshInFlight ??= (async () => {
      try {
        const res = await send("POST", REFRESH_PATH, { body: {}, anonymous: true }, null);
        if (!res.ok) {
          endSession();
          return null;
        }
        const session = (await res.json()) as CookieSession;
        setSession(session);
        return session;
      } catch {
        endSession();
        return null;
      } finally {
        refreshInFlight = null;
      }
    })();
    return refreshInFlight;
  }

  async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const tokenUsed = opts.anonymous ? null : accessToken;
    let res = await send(method, path, opts, tokenUsed);
    if (res.status === 401 && !opts.anonymous && !(await rejectsPassword(res))) {
      // A request that raced a refresh already finished by someone else just
      // retries with the new token instead of rotating again.
      const fresh = accessToken !== null && accessToken !== tokenUsed ? accessToken : (await refreshSession())?.accessToken;
      if (!fresh) throw new ApiError(401, "session_expired", "Your session has ended. Please sign in again.");
      res = await send(method, path, opts, fresh);
    }
    return parseResponse<T>(res);
  }

  return {
    request,
    get: <T>(path: string, opts?: RequestOptions) => request<T>("GET", path, opts),
    post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>("POST", path, { ...opts, body: body ?? {} }),
    patch: <T>(path: string, body: unknown, opts?: RequestOptions) => request<T>("PATCH", path, { ...opts, body }),
    delete: <T>(path: string, opts?: RequestOptions) => request<T>("DELETE", path, opts),

    get user() {
      return user;
    },
    get isSignedIn() {
      return accessToken !== null;
    },
    onUserChange(listener: (user: PublicUser | null) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async register(body: RegisterBody): Promise<PublicUser> {
      const session = await request<CookieSession>("POST", "/api/auth/register", { body, anonymous: true });
      setSession(session);
      return session.user;
    },
    async login(body: LoginBody): Promise<PublicUser> {
      const session = await request<CookieSession>("POST", "/api/auth/login", { body, anonymous: true });
      setSession(session);
      return session.user;
    },
    /** Restores the session from the refresh cookie; null when there is none. */
    async restore(): Promise<PublicUser | null> {
      return (await refreshSession())?.user ?? null;
    },
    async logout(): Promise<void> {
      try {
        await request<void>("POST", "/api/auth/logout", { body: {}, anonymous: true });
      } finally {
        endSession();
      }
    },
  };
}

/**
 * A 401 about a password the request carried (deleting the account asks for
 * it again), not about the access token: a refresh would not change the
 * answer, and would resend the password for one more guess.
 */
async function rejectsPassword(res: Response): Promise<boolean> {
  if (!(res.headers.get("content-type") ?? "").includes("json")) return false;
  try {
    return ((await res.clone().json()) as ProblemBody).code === "invalid_credentials";
  } catch {
    return false;
  }
}

async function parseResponse<T>(res: Response): Promise<T> {
  if (res.ok) {
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }
  throw await toApiError(res);
}

async function toApiError(res: Response): Promise<ApiError> {
  let problem: ProblemBody = {};
  const type = res.headers.get("content-type") ?? "";
  if (type.includes("json")) {
    try {
      problem = (await res.json()) as ProblemBody;
    } catch {
      problem = {};
    }
  }
  const fields: Record<string, string> = {};
  for (const e of problem.errors ?? []) fields[e.path] ??= e.message;
  const message = problem.detail || problem.title || `The server answered ${res.status}.`;
  return new ApiError(res.status, problem.code ?? `http_${res.status}`, message, fields, problem.requestId);
}

/** A user-facing sentence for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}

export const api = createApiClient();
