import { Hono } from "hono";
import { audit, requestFrom } from "../audit/audit";
import { LoginBody, LogoutBody, RefreshBody, RegisterBody } from "../contract/auth";
import {
  findRefreshToken,
  findUserByEmail,
  findUserById,
  insertUser,
  revokeFamily,
  updatePasswordHash,
} from "../db/accounts";
import { database, type Database } from "../db/client";
import { AppError } from "../errors";
import { log } from "../http/log";
import type { AppBindings } from "../http/types";
import { jsonBody } from "../http/validate";
import { closeUserSockets } from "../realtime/publish";
import { PBKDF2_ITERATIONS, dummyPasswordHash, hashPassword, verifyPassword } from "./password";
import {
  LOGIN_PER_EMAIL,
  LOGIN_PER_EMAIL_IP,
  LOGIN_PER_IP,
  REGISTER_PER_EMAIL,
  REGISTER_PER_IP,
  clientIp,
  enforceRateLimits,
} from "./rate-limit";
import { sha256Hex } from "../crypto";
import { hashRefreshToken } from "./refresh-token";
import { CLEAR_REFRESH_COOKIE, clearRefreshCookie, continueSession, isWebClient, presentedRefreshToken, startSession } from "./session";

function refreshRejected(code: string, detail: string): AppError {
  return new AppError(401, code, detail, { headers: { "Set-Cookie": CLEAR_REFRESH_COOKIE } });
}

/** Counters are keyed by the email's hash so the table holds no addresses. */
async function limitLogins(db: Database, ipHeader: string | undefined, email: string) {
  const ip = clientIp(ipHeader);
  const emailHash = await sha256Hex(email);
  await enforceRateLimits(db, [
    [LOGIN_PER_IP, ip],
    [LOGIN_PER_EMAIL_IP, `${emailHash}:${ip}`],
    [LOGIN_PER_EMAIL, emailHash],
  ]);
}

async function limitRegistrations(db: Database, ipHeader: string | undefined, email: string) {
  await enforceRateLimits(db, [
    [REGISTER_PER_IP, clientIp(ipHeader)],
    [REGISTER_PER_EMAIL, await sha256Hex(email)],
  ]);
}

const reused = () => refreshRejected("refresh_token_reused", "This refresh token was already used; the login has been ended. Sign in again.");

export const auth = new Hono<AppBindings>()
  .post("/register", jsonBody(RegisterBody), async (c) => {
    const body = c.req.valid("json");
    const db = database(c.env);
    await limitRegistrations(db, c.req.header("cf-connecting-ip"), body.email);
    const taken = () => new AppError(409, "email_taken", "An account with this email already exists.");
    if (await findUserByEmail(db, body.email)) throw taken();
    const password = await hashPassword(body.password);
    const user = await insertUser(db, {
      email: body.email,
      name: body.name ?? null,
      passwordHash: password.hash,
      passwordSalt: password.salt,
      passwordIterations: password.iterations,
    });
    if (!user) throw taken();
    log("info", "user_registered", { requestId: c.get("requestId"), userId: user.id });
    await audit(c.env, { action: "auth.register", actor: { type: "user", id: user.id }, subjectUserId: user.id, from: requestFrom(c) });
    return c.json(await startSession(c, db, user, isWebClient(c) ? "cookie" : "body"), 201);
  })

  .post("/login", jsonBody(LoginBody), async (c) => {
    const body = c.req.valid("json");
    const db = database(c.env);
    await limitLogins(db, c.req.header("cf-connecting-ip"), body.email);
    const user = await findUserByEmail(db, body.email);
    const stored = user
      ? { hash: user.passwordHash, salt: user.passwordSalt, iterations: user.passwordIterations }
      : dummyPasswordHash();
    // Always run PBKDF2 and answer with one code, so neither the response nor its timing says whether the email exists.
    const valid = await verifyPassword(body.password, stored);
    if (!user || !valid) {
      // The owner of an existing account sees the attempt; the row says neither which part was wrong nor what was typed.
      await audit(c.env, { action: "auth.login_failed", actor: { type: "anonymous" }, subjectUserId: user?.id ?? null, result: "failure", code: "invalid_credentials", from: requestFrom(c) });
      throw new AppError(401, "invalid_credentials", "The email or password is not right.");
    }
    // The plain password is only at hand now, so this is when a hash made with older parameters can be upgraded.
    if (user.passwordIterations !== PBKDF2_ITERATIONS) await updatePasswordHash(db, user.id, await hashPassword(body.password));
    const session = await startSession(c, db, user, isWebClient(c) ? "cookie" : "body");
    await audit(c.env, { action: "auth.login_succeeded", actor: { type: "user", id: user.id }, subjectUserId: user.id, from: requestFrom(c) });
    return c.json(session);
  })

  .post("/refresh", jsonBody(RefreshBody), async (c) => {
    const { token, delivery } = presentedRefreshToken(c, c.req.valid("json").refreshToken);
    if (!token) throw refreshRejected("refresh_token_missing", "Send the refresh token in the body or the tp_refresh cookie.");
    const db = database(c.env);
    const stored = await findRefreshToken(db, await hashRefreshToken(token));
    if (!stored) throw refreshRejected("invalid_refresh_token", "The refresh token is not valid.");
    if (stored.familyRevokedAt) throw refreshRejected("refresh_token_revoked", "This login has ended; sign in again.");
    if (stored.familyExpiresAt.getTime() <= Date.now()) {
      throw refreshRejected("refresh_token_expired", "This login has expired; sign in again.");
    }
    // A used token coming back means it was copied: the thief or the owner holds a newer one, and we cannot tell
    // which, so the whole login ends (RFC 9700 §4.14.2). Losing the race of a concurrent rotation counts the same.
    const endForReuse = async () => {
      await revokeFamily(db, stored.familyId, "reuse");
      log("warn", "refresh_token_reused", { requestId: c.get("requestId"), userId: stored.userId, familyId: stored.familyId });
      // Who presented it is unknown (the owner or a thief), so the address is kept as a network only.
      await audit(c.env, { action: "auth.refresh_reuse_detected", actor: { type: "anonymous" }, subjectUserId: stored.userId, result: "failure", code: "refresh_token_reused", from: requestFrom(c), detail: { loginId: stored.familyId } });
      return reused();
    };
    if (stored.usedAt) throw await endForReuse();
    const user = await findUserById(db, stored.userId);
    if (!user) throw refreshRejected("invalid_refresh_token", "The refresh token is not valid.");
    const session = await continueSession(c, db, user, stored, delivery);
    if (!session) throw await endForReuse();
    return c.json(session);
  })

  .post("/logout", jsonBody(LogoutBody), async (c) => {
    const { token } = presentedRefreshToken(c, c.req.valid("json").refreshToken);
    const db = database(c.env);
    const stored = token ? await findRefreshToken(db, await hashRefreshToken(token)) : undefined;
    if (stored) {
      await revokeFamily(db, stored.familyId, "logout");
      await audit(c.env, { action: "auth.logout", actor: { type: "user", id: stored.userId }, subjectUserId: stored.userId, from: requestFrom(c), detail: { loginId: stored.familyId } });
      try {
        await closeUserSockets(c.env, stored.userId);
      } catch (e) {
        // The login has ended, which is what the caller asked for. A socket left open carries only the user's own events,
        // which the unexpired access token could fetch anyway; a 500 would tell the client the sign-out failed.
        log("error", "logout_socket_close_failed", { requestId: c.get("requestId"), userId: stored.userId, error: (e as Error).message });
      }
    }
    clearRefreshCookie(c);
    return c.body(null, 204);
  });
