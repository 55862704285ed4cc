import { apiUrl, providerError, providerMessage, readJson, send, type Connection, type Query } from "../http";

/**
 * Google's REST APIs (Gmail, Calendar) over fetch. Google answers errors as
 * `{error: {code, message, status}}`; `status` (`NOT_FOUND`,
 * `PERMISSION_DENIED`, …) is the code we keep.
 */

export interface GoogleRequest {
  method?: "GET" | "POST";
  path: string;
  query?: Query;
  json?: unknown;
}

export async function googleRequest<T>(conn: Connection, req: GoogleRequest): Promise<T> {
  const method = req.method ?? "GET";
  const write = method !== "GET";
  const url = apiUrl(conn.apiUrl, req.path, req.query);
  const body = req.json === undefined ? undefined : JSON.stringify(req.json);
  const { response, token } = await send(
    conn,
    (t) =>
      new Request(url, {
        method,
        headers: { authorization: `Bearer ${t}`, accept: "application/json", ...(body ? { "content-type": "application/json" } : {}) },
        body,
      }),
    { idempotent: !write },
  );
  if (response.ok) return (await readJson(conn, response)) as T;
  const error = await response
    .json()
    .then((b) => (b as { error?: { status?: unknown; code?: unknown; message?: unknown } }).error)
    .catch(() => undefined);
  const providerCode = typeof error?.status === "string" ? error.status : `HTTP_${response.status}`;
  const message = typeof error?.message === "string" ? providerMessage(error.message, token) : "";
  throw providerError(conn, response.status, response.headers, { providerCode, message }, write);
}
