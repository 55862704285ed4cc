import { z } from "zod";

/** Shared by the worker (validation) and the web app (types, form checks). */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
export const EMAIL_MAX = 254;
export const NAME_MAX = 100;
/** A refresh token is 43 base64url characters; the cap only stops oversized input. */
const REFRESH_TOKEN_MAX = 128;

export const Email = z
  .string()
  .trim()
  .toLowerCase()
  .max(EMAIL_MAX, `at most ${EMAIL_MAX} characters`)
  .pipe(z.email("must be an email address"));

export const RegisterBody = z.object({
  email: Email,
  password: z
    .string()
    .min(PASSWORD_MIN, `at least ${PASSWORD_MIN} characters`)
    .max(PASSWORD_MAX, `at most ${PASSWORD_MAX} characters`),
  name: z.string().trim().min(1, "must not be empty").max(NAME_MAX, `at most ${NAME_MAX} characters`).optional(),
});

/** Login does not enforce the minimum so that a policy change never locks anyone out; the cap still applies. */
export const LoginBody = z.object({
  email: Email,
  password: z.string().min(1, "is required").max(PASSWORD_MAX, `at most ${PASSWORD_MAX} characters`),
});

/** The token may instead come from the `tp_refresh` cookie, so the body may be `{}`. */
export const RefreshBody = z.object({
  refreshToken: z.string().min(1).max(REFRESH_TOKEN_MAX).optional(),
});

export const LogoutBody = RefreshBody;

export const PublicUser = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  createdAt: z.string(),
});

export const AuthSession = z.object({
  user: PublicUser,
  accessToken: z.string(),
  refreshToken: z.string(),
  /** Seconds until the access token expires. */
  expiresIn: z.number(),
});

export const MeResponse = z.object({ user: PublicUser });

export type RegisterBody = z.infer<typeof RegisterBody>;
export type LoginBody = z.infer<typeof LoginBody>;
export type RefreshBody = z.infer<typeof RefreshBody>;
export type LogoutBody = z.infer<typeof LogoutBody>;
export type PublicUser = z.infer<typeof PublicUser>;
export type AuthSession = z.infer<typeof AuthSession>;
export type MeResponse = z.infer<typeof MeResponse>;
