import { validator } from "hono/validator";
import type { z } from "zod";
import { AppError, type FieldError } from "../errors";

const JSON_MEDIA = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join(".") || "(body)", message: i.message }));
}

export function invalidRequest(errors: FieldError[], detail = "The request has invalid fields."): AppError {
  return new AppError(400, "invalid_request", detail, { errors });
}

export interface Validated {
  target: "json" | "query";
  schema: z.ZodType;
}

/**
 * The schema each validator checks with, keyed by the middleware itself: the
 * OpenAPI document (worker/openapi) reads request bodies and query parameters
 * from here, so it describes the very zod object the route enforces.
 */
const validators = new WeakMap<object, Validated>();

export function validatedBy(handler: unknown): Validated | undefined {
  return typeof handler === "function" ? validators.get(handler) : undefined;
}

/** Validates a JSON body: wrong content type, malformed JSON and schema failures are all 400 `invalid_request`. */
export function jsonBody<S extends z.ZodType>(schema: S) {
  const middleware = validator("json", async (value, c) => {
    if (!JSON_MEDIA.test(c.req.header("content-type") ?? "")) {
      throw invalidRequest(
        [{ path: "(body)", message: "expected Content-Type: application/json" }],
        "Send the body as JSON with Content-Type: application/json.",
      );
    }
    const parsed = await schema.safeParseAsync(value);
    if (!parsed.success) throw invalidRequest(fieldErrors(parsed.error));
    return parsed.data as z.output<S>;
  });
  validators.set(middleware, { target: "json", schema });
  return middleware;
}

/** Validates the query string. */
export function queryParams<S extends z.ZodType>(schema: S) {
  const middleware = validator("query", async (value) => {
    const parsed = await schema.safeParseAsync(value);
    if (!parsed.success) throw invalidRequest(fieldErrors(parsed.error), "The query string has invalid parameters.");
    return parsed.data as z.output<S>;
  });
  validators.set(middleware, { target: "query", schema });
  return middleware;
}
