import type { MiddlewareHandler } from "hono";
import { requireConfig } from "../config";
import { userExists } from "../db/accounts";
import { database } from "../db/client";
import { AppError } from "../errors";
import type { AppBindings } from "../http/types";
import { verifyAccessToken } from "./access-token";

/** Authenticated routes: `Authorization: Bearer <access token>` → `c.get("userId")`, else 401 problem+json. */
export const requireUser: MiddlewareHandler<AppBindings> = async (c, next) => {
  const cfg = c.get("config");
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) {
    throw new AppError(401, "unauthorized", "Sign in first: this route needs an access token.", {
      headers: { "WWW-Authenticate": 'Bearer realm="taskpilot"' },
    });
  }
  const secret = requireConfig(cfg, "JWT_SECRET", cfg.jwtSecret);
  const result = await verifyAccessToken(secret, match[1]!);
  const challenge = { headers: { "WWW-Authenticate": `Bearer realm="taskpilot", error="invalid_token"` } };
  if (!result.ok) {
    const expired = result.reason === "expired";
    throw new AppError(401, expired ? "token_expired" : "invalid_token", expired ? "The access token has expired." : "The access token is not valid.", challenge);
  }
  // A deleted account's token is still correctly signed for up to its lifetime; without this check it would
  // keep reading (empty) data and make writes fail on the users foreign key as 500s instead of a clean 401.
  if (!(await userExists(database(c.env), result.userId))) {
    throw new AppError(401, "invalid_token", "The access token is not valid.", challenge);
  }
  c.set("userId", result.userId);
  await next();
};
