import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { getConfig } from "../config";
import { KB_MAX_FILE_BYTES } from "../contract/kb";
import { AppError } from "../errors";
import { log } from "./log";
import type { AppBindings } from "./types";

export const MAX_BODY_BYTES = 1024 * 1024;

/** Request id on every response (an incoming X-Request-Id is kept when it is sane). */
export const withRequestId = requestId({ limitLength: 64 });

/** Validated config on the context; an unsafe configuration refuses every request. */
export const withConfig: MiddlewareHandler<AppBindings> = async (c, next) => {
  const cfg = getConfig(c.env);
  if (cfg.fatal) {
    throw new AppError(503, "config_invalid", `Server configuration: ${cfg.fatal.variable} ${cfg.fatal.message}.`, {
      variable: cfg.fatal.variable,
    });
  }
  c.set("config", cfg);
  await next();
};

/** One structured line per request: no headers, no bodies, so no credentials. */
export const accessLog: MiddlewareHandler<AppBindings> = async (c, next) => {
  const started = Date.now();
  await next();
  const url = new URL(c.req.url);
  log(c.res.status >= 500 ? "error" : "info", "request", {
    requestId: c.get("requestId"),
    method: c.req.method,
    path: url.pathname,
    status: c.res.status,
    ms: Date.now() - started,
  });
};

export const securityHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    frameAncestors: ["'none'"],
  },
  xFrameOptions: "DENY",
  referrerPolicy: "strict-origin-when-cross-origin",
  xContentTypeOptions: "nosniff",
  crossOriginResourcePolicy: "same-origin",
  // A route that sets its own policy keeps it: the sandbox consent page needs inline styles and a form-action.
  overwrite: false,
});

/** CORS only for PUBLIC_URL; every other origin gets no CORS headers. */
export const corsForPublicUrl: MiddlewareHandler<AppBindings> = (c, next) =>
  cors({
    origin: (origin) => (origin === c.get("config").publicUrl ? origin : null),
    credentials: true,
    allowHeaders: ["Authorization", "Content-Type", "X-Request-Id"],
    exposeHeaders: ["X-Request-Id", "Retry-After"],
    maxAge: 600,
  })(c, next);

const standardBodyLimit = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new AppError(413, "payload_too_large", `The body is larger than ${MAX_BODY_BYTES} bytes.`);
  },
});

/** A document upload: the file's own cap plus room for the multipart envelope; the route checks the file itself against KB_MAX_FILE_BYTES. */
const UPLOAD_BODY_BYTES = KB_MAX_FILE_BYTES + 64 * 1024;
const uploadBodyLimit = bodyLimit({
  maxSize: UPLOAD_BODY_BYTES,
  onError: () => {
    throw new AppError(413, "payload_too_large", `A document can be at most ${KB_MAX_FILE_BYTES / (1024 * 1024)} MB.`);
  },
});

/** Every /api body is capped at 1 MiB before anything reads it, except a knowledge-base upload, capped at its file limit. */
export const limitBody: MiddlewareHandler<AppBindings> = (c, next) =>
  (c.req.method === "POST" && c.req.path === "/api/kb/documents" ? uploadBodyLimit : standardBodyLimit)(c, next);
