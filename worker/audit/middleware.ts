import type { MiddlewareHandler } from "hono";
import { AppError } from "../errors";
import type { AppBindings } from "../http/types";
import { audit, requestFrom } from "./audit";

/**
 * Refusals that are security events wherever they come from, recorded in
 * one place after the route ran: a rate limit hit (`auth.rate_limited`, on
 * the signed-in user's account when there is one) and an admin route
 * refused for want of the role (`admin.denied`).
 */
export const auditRefusals: MiddlewareHandler<AppBindings> = async (c, next) => {
  await next();
  const error = c.error;
  if (!(error instanceof AppError)) return;
  const userId = (c.get("userId") as string | undefined) ?? null;
  const route = `${c.req.method} ${new URL(c.req.url).pathname}`.slice(0, 200);
  if (error.code === "rate_limited") {
    await audit(c.env, { action: "auth.rate_limited", actor: userId ? { type: "user", id: userId } : { type: "anonymous" }, subjectUserId: userId, result: "failure", code: "rate_limited", from: requestFrom(c), detail: { route } });
  } else if (error.code === "admin_only") {
    await audit(c.env, { action: "admin.denied", actor: { type: "user", id: userId }, subjectUserId: userId, result: "failure", code: "admin_only", from: requestFrom(c), detail: { route } });
  }
};
