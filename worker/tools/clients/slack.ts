import { apiUrl, providerError, providerMessage, readJson, send, type Connection, type Query } from "../http";

/**
 * Slack's Web API over fetch. Slack answers almost everything with HTTP 200
 * and `{ok: false, error}` — a dead token included — so the error code is
 * read from the body: auth errors take the refresh-once path, the rest map
 * to the HTTP status they would have had.
 */

/** Slack's "this token is no good" codes (docs.slack.dev, "Token types" and each method's errors). */
const AUTH_ERRORS = new Set(["not_authed", "invalid_auth", "token_expired", "token_revoked", "account_inactive"]);

const STATUS_OF: Record<string, number> = {
  channel_not_found: 404,
  message_not_found: 404,
  user_not_found: 404,
  missing_scope: 403,
  not_in_channel: 403,
  is_archived: 403,
  restricted_action: 403,
  ratelimited: 429,
  internal_error: 500,
  fatal_error: 500,
  service_unavailable: 503,
  request_timeout: 504,
};

interface SlackBody {
  ok?: boolean;
  error?: string;
  needed?: string;
}

export async function slackCall<T>(conn: Connection, method: string, args: Query, options: { write: boolean }): Promise<T & { ok: true }> {
  const build = options.write
    ? (t: string) =>
        new Request(apiUrl(conn.apiUrl, `/${method}`), {
          method: "POST",
          headers: { authorization: `Bearer ${t}`, "content-type": "application/json; charset=utf-8" },
          body: JSON.stringify(Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined))),
        })
    : (t: string) => new Request(apiUrl(conn.apiUrl, `/${method}`, args), { headers: { authorization: `Bearer ${t}` } });
  const { response, token } = await send(conn, build, {
    idempotent: !options.write,
    isUnauthorized: async (res) => {
      if (res.status !== 200) return false;
      const body = (await res.clone().json().catch(() => ({}))) as SlackBody;
      return body.ok === false && AUTH_ERRORS.has(body.error ?? "");
    },
  });
  const body = (response.status === 200 ? await readJson(conn, response) : await response.json().catch(() => ({}))) as SlackBody;
  if (response.status === 200 && body.ok === true) return body as T & { ok: true };
  const code = typeof body.error === "string" ? body.error : `http_${response.status}`;
  const status = response.status !== 200 ? response.status : AUTH_ERRORS.has(code) ? 401 : (STATUS_OF[code] ?? 400);
  const message = code === "missing_scope" && body.needed ? `missing_scope (needs ${body.needed})` : code;
  throw providerError(conn, status, response.headers, { providerCode: code, message: providerMessage(message, token) }, options.write);
}
