import { Octokit } from "@octokit/rest";
import { AppError } from "../../errors";
import { providerError, providerMessage, send, type Connection } from "../http";

/**
 * GitHub through `@octokit/rest`, pointed at the resolved API base, with our
 * fetch injected: Octokit builds the requests and parses the answers, while
 * timeout, retries and the refresh-once on 401 stay the one policy of
 * ../http.ts (Octokit itself does not retry). The bearer token is set per
 * attempt there, so Octokit never holds one.
 */

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

interface OctokitFailure {
  name?: unknown;
  status?: unknown;
  cause?: unknown;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

export interface GitHub {
  octokit: Octokit;
  /** Runs one Octokit call; GitHub's refusals become `AppError`s with its message and field code kept. */
  call<T>(write: boolean, run: (octokit: Octokit) => Promise<T>): Promise<T>;
}

export function githubClient(conn: Connection): GitHub {
  let lastToken = "";
  const octokit = new Octokit({
    baseUrl: conn.apiUrl.replace(/\/$/, ""),
    userAgent: "TaskPilot",
    log: quiet,
    request: {
      fetch: async (url: string, init: RequestInit) => {
        const method = (init.method ?? "GET").toUpperCase();
        const sent = await send(
          conn,
          (token) => {
            const headers = new Headers(init.headers);
            headers.set("authorization", `Bearer ${token}`);
            return new Request(url, { method, headers, body: init.body, redirect: init.redirect });
          },
          { idempotent: method === "GET" || method === "HEAD" },
        );
        lastToken = sent.token;
        return sent.response;
      },
    },
  });
  return {
    octokit,
    async call(write, run) {
      try {
        return await run(octokit);
      } catch (e) {
        const failure = e as OctokitFailure;
        // Octokit wraps whatever its fetch threw (our timeout or credential error) as a 500 RequestError with the original as cause.
        if (failure.cause instanceof AppError) throw failure.cause;
        if (e instanceof AppError || failure.name !== "HttpError" || typeof failure.status !== "number") throw e;
        const headers = new Headers();
        for (const [k, v] of Object.entries(failure.response?.headers ?? {})) if (v !== undefined) headers.set(k, String(v));
        throw providerError(conn, failure.status, headers, githubFailure(failure.response?.data, lastToken), write);
      }
    },
  };
}

/** GitHub's `{message, errors: [{resource, field, code}]}`: the field code is the most specific thing it says. */
function githubFailure(data: unknown, token: string) {
  const body = (data && typeof data === "object" ? data : {}) as { message?: unknown; errors?: Array<{ field?: unknown; code?: unknown; message?: unknown }> };
  const first = Array.isArray(body.errors) ? body.errors[0] : undefined;
  const message = typeof body.message === "string" ? body.message : "";
  const detail = first ? [first.field, first.code, first.message].filter((x) => typeof x === "string").join(" ") : "";
  return {
    providerCode: typeof first?.code === "string" ? first.code : message || "unknown",
    message: providerMessage(detail ? `${message} (${detail})` : message, token),
  };
}
