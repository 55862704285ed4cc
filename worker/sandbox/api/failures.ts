import type { Context } from "hono";
import type { SandboxGroup } from "../catalog";

/**
 * How each real provider says "no". TaskPilot's provider clients branch on
 * these exact shapes (Slack's 200 + `ok:false`, Google's nested `error`
 * object, GitHub's `message`), so the sandbox reproduces them.
 */

export type AuthFailure = "missing" | "invalid" | "expired" | "revoked";

const SLACK_AUTH_ERROR: Record<AuthFailure, string> = {
  missing: "not_authed",
  invalid: "invalid_auth",
  expired: "token_expired",
  revoked: "token_revoked",
};

export function unauthorized(c: Context, group: SandboxGroup, why: AuthFailure): Response {
  if (group === "slack") return c.json({ ok: false, error: SLACK_AUTH_ERROR[why] }, 200);
  if (group === "github") {
    return c.json({ message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" }, 401);
  }
  c.header("www-authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`);
  return c.json(
    {
      error: {
        code: 401,
        message:
          "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
        status: "UNAUTHENTICATED",
      },
    },
    401,
  );
}

export function rateLimited(c: Context, group: SandboxGroup, retryAfterSeconds: number): Response {
  c.header("retry-after", String(retryAfterSeconds));
  if (group === "slack") return c.json({ ok: false, error: "ratelimited" }, 429);
  if (group === "github") {
    c.header("x-ratelimit-limit", "5000");
    c.header("x-ratelimit-remaining", "0");
    c.header("x-ratelimit-reset", String(Math.ceil(Date.now() / 1000) + retryAfterSeconds));
    return c.json({ message: "API rate limit exceeded for user.", documentation_url: "https://docs.github.com/rest/rate-limit", status: "429" }, 429);
  }
  return c.json({ error: { code: 429, message: "Quota exceeded for quota metric 'Queries'.", status: "RESOURCE_EXHAUSTED" } }, 429);
}

export function serverError(c: Context, group: SandboxGroup): Response {
  if (group === "slack") return c.json({ ok: false, error: "internal_error" }, 500);
  if (group === "github") return c.json({ message: "Server Error", status: "500" }, 500);
  return c.json({ error: { code: 500, message: "Internal error encountered.", status: "INTERNAL" } }, 500);
}

export function insufficientScope(c: Context, group: SandboxGroup, needed: string[], provided: string[]): Response {
  if (group === "slack") return c.json({ ok: false, error: "missing_scope", needed: needed.join(","), provided: provided.join(",") }, 200);
  if (group === "github") return c.json({ message: "Resource not accessible by integration", status: "403" }, 403);
  return c.json({ error: { code: 403, message: "Request had insufficient authentication scopes.", status: "PERMISSION_DENIED" } }, 403);
}

export function notFound(c: Context, group: SandboxGroup): Response {
  if (group === "slack") return c.json({ ok: false, error: "unknown_method" }, 200);
  if (group === "github") return c.json({ message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" }, 404);
  return c.json({ error: { code: 404, message: "Requested entity was not found.", status: "NOT_FOUND" } }, 404);
}

export function invalidArgument(c: Context, message: string): Response {
  return c.json({ error: { code: 400, message, status: "INVALID_ARGUMENT" } }, 400);
}

export function githubValidation(c: Context, resource: string, field: string, code = "missing_field", message?: string): Response {
  return c.json(
    {
      message: message ?? "Validation Failed",
      errors: [{ resource, field, code, ...(message ? { message } : {}) }],
      documentation_url: "https://docs.github.com/rest",
      status: "422",
    },
    422,
  );
}

/** GitHub's answer to a write the account may not make (a repository it can only read). */
export function githubForbidden(c: Context): Response {
  return c.json({ message: "Resource not accessible by integration", documentation_url: "https://docs.github.com/rest", status: "403" }, 403);
}

/**
 * A 422 whose one error is a sentence, as GitHub words "A pull request
 * already exists for owner:branch." and "No commits between main and branch":
 * the top-level message stays "Validation Failed".
 */
export function githubCustomValidation(c: Context, resource: string, message: string): Response {
  return c.json(
    { message: "Validation Failed", errors: [{ resource, code: "custom", message }], documentation_url: "https://docs.github.com/rest", status: "422" },
    422,
  );
}

/** A refusal GitHub gives as a bare message: 405 "Pull Request is not mergeable", 409 "Head branch was modified…". */
export function githubRefusal(c: Context, status: 405 | 409, message: string): Response {
  return c.json({ message, documentation_url: "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request", status: String(status) }, status);
}
