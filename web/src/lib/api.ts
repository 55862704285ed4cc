import { CookieSession, WEB_CLIENT_HEADER, WEB_CLIENT_VALUE, type LoginBody, type PublicUser, type RegisterBody } from "../../../worker/contract/auth";

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
  /**
   * How the tabs of one browser take turns at refreshing: the Web Locks API
   * and a BroadcastChannel where the page has them (the defaults in a
   * browser), fakes in tests, `null` for none.
   */
  locks?: TabLocks | null;
  channel?: TabChannel | null;
  /** The request type uploads go through (fetch reports no upload progress); a fake in tests. */
  XMLHttpRequest?: typeof XMLHttpRequest;
}

/** The part of the Web Locks API (`navigator.locks`) the client uses. */
export interface TabLocks {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/** The part of a `BroadcastChannel` the client uses. */
export interface TabChannel {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
}

/** One lock and one channel per origin: every tab of the app shares the same refresh cookie. */
export const REFRESH_LOCK = "taskpilot:refresh";
export const SESSION_CHANNEL = "taskpilot:session";

function browserLocks(): TabLocks | null {
  if (typeof window === "undefined") return null;
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  return locks ? { request: (name, callback) => locks.request(name, callback) } : null;
}

function browserChannel(): TabChannel | null {
  if (typeof window === "undefined" || typeof BroadcastChannel === "undefined") return null;
  return new BroadcastChannel(SESSION_CHANNEL);
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
const WEB_CLIENT_HEADERS = { [WEB_CLIENT_HEADER]: WEB_CLIENT_VALUE };

export interface UploadOptions {
  signal?: AbortSignal;
  /** Bytes of the request body sent so far, and the body's whole size, as the browser reports them. */
  onProgress?: (sentBytes: number, totalBytes: number) => void;
}

export type ApiClient = ReturnType<typeof createApiClient>;

const REFRESH_PATH = "/api/auth/refresh";

export function createApiClient(options: ApiClientOptions = {}) {
  const baseUrl = options.baseUrl ?? "";
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  // The access token lives only in this closure (and, in memory, in the
  // session broadcast to this origin's other tabs): never in storage, so an
  // XSS payload cannot lift it from localStorage; the refresh token is an
  // HttpOnly cookie the page cannot read at all.
  let current: CookieSession | null = null;
  let refreshInFlight: Promise<CookieSession | null> | null = null;
  /** Counts sessions taken from other tabs, so a tab that waited for the lock can tell it has been served. */
  let adopted = 0;
  const listeners = new Set<(user: PublicUser | null) => void>();
  const locks = options.locks === undefined ? browserLocks() : options.locks;
  const channel = options.channel === undefined ? browserChannel() : options.channel;

  // Another tab's refresh result: taken while this tab waits for its own turn (it then has nothing left to do), or
  // as a fresher token for the same user. It carries no refresh token: that never leaves the HttpOnly cookie.
  channel?.addEventListener("message", (event) => {
    const message = event.data as { type?: unknown; session?: unknown } | null;
    if (message?.type !== "session") return;
    const parsed = CookieSession.safeParse(message.session);
    if (!parsed.success) return;
    if (refreshInFlight === null && parsed.data.user.id !== current?.user.id) return;
    adopted += 1;
    setSession(parsed.data);
  });

  const accessToken = () => current?.accessToken ?? null;

  function setSession(session: CookieSession | null) {
    current = session;
    for (const listener of listeners) listener(session?.user ?? null);
  }

  function endSession() {
    const hadSession = current !== null;
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
   *
   * Across tabs the same holds through the Web Locks API: one tab at a time
   * refreshes, and broadcasts the result; a tab that had to wait takes that
   * result instead of spending the cookie again. Should the broadcast arrive
   * after the lock does, the waiting tab's refresh is still safe: the cookie
   * jar took the rotated cookie before the previous holder let go of the lock,
   * so it rotates the new token rather than replaying the spent one (which
   * the server treats as theft and answers by ending the login).
   */
  function refreshSession(): Promise<CookieSession | null> {
    refreshInFlight ??= (async () => {
      const seen = adopted;
      const turn = async () => (adopted !== seen && current !== null ? current : rotate());
      try {
        return await (locks ? locks.request(REFRESH_LOCK, turn) : turn());
      } finally {
        refreshInFlight = null;
      }
    })();
    return refreshInFlight;
  }

  /**
   * One rotation. A refusal (the cookie is gone, spent or revoked) ends the
   * session; a server error or a network failure does not, since the token
   * was not spent (the server rotates in one transaction) and a later call
   * can retry with it.
   */
  async function rotate(): Promise<CookieSession | null> {
    const res = await send("POST", REFRESH_PATH, { body: {}, anonymous: true }, null);
    if (res.status >= 500 || res.status === 429) throw await toApiError(res);
    if (!res.ok) {
      endSession();
      return null;
    }
    const session = CookieSession.parse(await res.json());
    setSession(session);
    channel?.postMessage({ type: "session", session });
    return session;
  }

  /**
   * A multipart body sent with XMLHttpRequest, whose `upload` reports the
   * bytes sent (fetch cannot). Its answer becomes a `Response`, so auth and
   * error mapping are the same as for every other call.
   */
  function sendForm(path: string, form: FormData, opts: UploadOptions, token: string | null): Promise<Response> {
    const Xhr = options.XMLHttpRequest ?? globalThis.XMLHttpRequest;
    return new Promise<Response>((resolve, reject) => {
      if (opts.signal?.aborted) return reject(new DOMException("The upload was cancelled.", "AbortError"));
      const xhr = new Xhr();
      xhr.open("POST", `${baseUrl}${path}`);
      xhr.setRequestHeader("accept", "application/json");
      if (token) xhr.setRequestHeader("authorization", `Bearer ${token}`);
      xhr.responseType = "text";
      const abort = () => xhr.abort();
      opts.signal?.addEventListener("abort", abort, { once: true });
      const done = () => opts.signal?.removeEventListener("abort", abort);
      xhr.upload.onprogress = (e: ProgressEvent) => {
        if (e.lengthComputable) opts.onProgress?.(e.loaded, e.total);
      };
      xhr.onload = () => {
        done();
        const nullBody = xhr.status === 204 || xhr.status === 205 || xhr.status === 304;
        const type = xhr.getResponseHeader("content-type");
        resolve(new Response(nullBody ? null : xhr.responseText, { status: xhr.status, headers: type ? { "content-type": type } : {} }));
      };
      xhr.onabort = () => {
        done();
        reject(new DOMException("The upload was cancelled.", "AbortError"));
      };
      xhr.onerror = xhr.ontimeout = () => {
        done();
        reject(new ApiError(0, "network_error", "Could not reach TaskPilot. Check your connection and try again."));
      };
      xhr.send(form);
    });
  }

  async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    if (opts.anonymous) return parseResponse<T>(await send(method, path, opts, null));
    return parseResponse<T>(await withAuth((token) => send(method, path, opts, token)));
  }

  /** Sends with the current access token; on a 401, once more with a newer one (another tab's, or one refresh of our own). */
  async function withAuth(sendWith: (token: string | null) => Promise<Response>): Promise<Response> {
    let token = accessToken();
    let res = await sendWith(token);
    // At most: the newer token someone else already got (this tab's other requests, or another tab's broadcast),
    // then one refresh of our own. A token taken over from elsewhere may itself be past its time.
    for (let attempt = 0, refreshed = false; attempt < 2 && res.status === 401 && !refreshed; attempt++) {
      if (await rejectsPassword(res)) break;
      const now = accessToken();
      let next: string | undefined;
      if (now !== null && now !== token) next = now;
      else {
        refreshed = true;
        next = (await refreshSession())?.accessToken;
      }
      if (!next) throw new ApiError(401, "session_expired", "Your session has ended. Please sign in again.");
      token = next;
      res = await sendWith(token);
    }
    return res;
  }

  return {
    request,
    get: <T>(path: string, opts?: RequestOptions) => request<T>("GET", path, opts),
    post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>("POST", path, { ...opts, body: body ?? {} }),
    patch: <T>(path: string, body: unknown, opts?: RequestOptions) => request<T>("PATCH", path, { ...opts, body }),
    delete: <T>(path: string, opts?: RequestOptions) => request<T>("DELETE", path, opts),
    /** POSTs a multipart form, reporting the bytes sent as they go (a retry after a refresh starts again from 0). */
    upload: async <T>(path: string, form: FormData, opts: UploadOptions = {}): Promise<T> =>
      parseResponse<T>(await withAuth((token) => sendForm(path, form, opts, token))),

    get user() {
      return current?.user ?? null;
    },
    get isSignedIn() {
      return current !== null;
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
    /** Restores the session from the refresh cookie; null when there is none, or the server cannot be reached now. */
    async restore(): Promise<PublicUser | null> {
      try {
        return (await refreshSession())?.user ?? null;
      } catch {
        return null;
      }
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
