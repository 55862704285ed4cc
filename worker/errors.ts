import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { log } from "./http/log";

export interface FieldError {
  path: string;
  message: string;
}

/**
 * The one error type of the worker. `code` is stable and documented; `detail`
 * is for people and never carries a token or a secret.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string>; [key: string]: unknown } = {},
  ) {
    super(detail);
    this.name = "AppError";
  }
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

export function problem(c: Context, error: AppError): Response {
  const { headers = {}, ...extra } = error.extra;
  const body = {
    type: `https://taskpilot.dev/problems/${error.code}`,
    title: TITLES[error.status] ?? "Error",
    status: error.status,
    detail: error.detail,
    code: error.code,
    requestId: c.get("requestId") as string | undefined,
    ...extra,
  };
  return new Response(JSON.stringify(body), {
    status: error.status,
    headers: { ...headers, "content-type": "application/problem+json; charset=utf-8" },
  });
}

/** Hono's onError: AppError as problem+json; anything else is logged with the request id and becomes a plain 500. */
export function renderError(err: Error, c: Context): Response {
  if (err instanceof AppError) return problem(c, err);
  if (err instanceof HTTPException) {
    const status = err.status;
    const code = status === 413 ? "payload_too_large" : status === 401 ? "unauthorized" : "invalid_request";
    return problem(c, new AppError(status, code, err.message || TITLES[status] || "Error"));
  }
  log("error", "unhandled_error", { requestId: c.get("requestId"), error: err.message, stack: err.stack });
  return problem(c, new AppError(500, "internal_error", "Something went wrong on our side. Try again; if it keeps happening, quote the request id."));
}

export const notFound = (what = "Resource") => new AppError(404, "not_found", `${what} not found.`);
