/**
 * Structured JSON logs. Values under keys that look like credentials are
 * replaced before anything is written, so a careless call cannot leak them.
 */
const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|ticket|key|code_verifier|verifier/i;

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) ? "[redacted]" : redact(v, depth + 1);
  }
  return out;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
let threshold: LogLevel = "info";

/** Set from LOG_LEVEL once per isolate (tests run at "warn"). */
export function setLogLevel(level: string | undefined): void {
  if (level && level in RANK) threshold = level as LogLevel;
}

export function log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
  if (RANK[level] < RANK[threshold]) return;
  const line = JSON.stringify({ level, message, time: new Date().toISOString(), ...(redact(fields) as object) });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
