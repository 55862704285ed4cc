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

/** Validates a JSON body: wrong content type, malformed JSON and schema failures are all 400 `invalid_request`. */
export function jsonBody<S extends z.ZodType>(schema: S) {
  return validator("json", async (value, c) => {
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
}

/** Validates the query string. */
export function queryParams<S extends z.ZodType>(schema: S) {
  return validator("query", async (value) => {
    const parsed = await schema.safeParseAsync(value);
    if (!parsed.success) throw invalidRequest(fieldErrors(parsed.error), "The query string has invalid parameters.");
    return parsed.data as z.output<S>;
  });
}
