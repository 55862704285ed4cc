import { z } from "zod";
import { decodeBase64 } from "./crypto";
import type { Env } from "./env";
import { AppError } from "./errors";
import { setLogLevel } from "./http/log";

/**
 * The one place that reads the environment. Each variable is validated once
 * per isolate; a missing or malformed one is recorded with its name so that
 * the request that needs it answers `config_missing` naming it, and
 * `/api/health` lists it, instead of failing with a generic 500.
 */
export interface ConfigProblem {
  variable: string;
  message: string;
}

export interface EncryptionKey {
  kid: string;
  raw: Uint8Array;
}

/** One OAuth app registration (Google serves both gmail and calendar). */
export type ProviderGroup = "google" | "slack" | "github";

/** Credentials and endpoint overrides of one provider group, as given by the environment. */
export interface ProviderEnv {
  clientId: string | undefined;
  clientSecret: string | undefined;
  authorizeUrl: string | undefined;
  tokenUrl: string | undefined;
  revokeUrl: string | undefined;
  apiUrl: string | undefined;
}

export interface Config {
  appEnv: "development" | "production";
  publicUrl: string;
  sandboxProviders: boolean;
  /** Lifetime of sandbox access tokens (SANDBOX_ACCESS_TOKEN_TTL_SECONDS, 1–86400, default 300): short so refresh runs. */
  sandboxAccessTokenTtlSeconds: number;
  allowJobPurge: boolean;
  /** METRICS_TOKEN: a scraper's bearer token for GET /api/metrics; absent or shorter than 32 characters → only admins may scrape. */
  metricsToken: string | undefined;
  jwtSecret: string | undefined;
  encryptionKeys: EncryptionKey[] | undefined;
  openai: { apiKey?: string; baseUrl?: string; model: string; embeddingModel: string };
  /** KB_EMBEDDER as set (worker/kb/embed/index.ts applies the default order when it is not). */
  kbEmbedder: "local" | "openai" | "workers-ai" | undefined;
  /** Past this many available tools the agent gets the meta tools `tools_search` / `tools_call` instead (AGENT_META_TOOLS_THRESHOLD, 1–1000, default 16). */
  agentMetaToolsThreshold: number;
  /** How long the security audit log is kept (AUDIT_RETENTION_DAYS, 30–3650, default 400). */
  auditRetentionDays: number;
  /** ADMIN_TOKEN: the operator's bearer token for /api/admin/* (`npm run admin`); absent or shorter than 32 characters → disabled. */
  adminToken: string | undefined;
  /** GITHUB_WEBHOOK_SECRET and SLACK_SIGNING_SECRET: without one, that provider's webhook answers 503 config_missing. */
  webhookSecrets: { github?: string; slack?: string };
  providers: Record<ProviderGroup, ProviderEnv>;
  /** Variables that are missing or malformed; the request that needs one fails naming it. */
  problems: ConfigProblem[];
  /** Set when the configuration is unsafe to serve at all (for example sandbox providers in production). */
  fatal: ConfigProblem | undefined;
  env: Env;
}

const flag = z
  .enum(["true", "false", "1", "0", ""])
  .optional()
  .transform((v) => v === "true" || v === "1");

const base64Key = z
  .string()
  .transform((s, ctx) => {
    const bytes = decodeBase64(s);
    if (!bytes) {
      ctx.addIssue({ code: "custom", message: "each key must be base64" });
      return z.NEVER;
    }
    if (bytes.length !== 32) ctx.addIssue({ code: "custom", message: "each key must decode to 32 bytes" });
    return bytes;
  });

export function parseEncryptionKeys(value: string): EncryptionKey[] {
  const entries = value.split(",").map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) throw new Error("expected at least one kid:base64key entry");
  const seen = new Set<string>();
  return entries.map((entry) => {
    const i = entry.indexOf(":");
    if (i <= 0) throw new Error("expected comma-separated kid:base64key entries");
    const kid = entry.slice(0, i);
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(kid)) throw new Error("a key id may hold letters, digits, _ and - (at most 32)");
    if (seen.has(kid)) throw new Error(`key id "${kid}" appears twice`);
    seen.add(kid);
    const parsed = base64Key.safeParse(entry.slice(i + 1));
    if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? "malformed key");
    return { kid, raw: parsed.data };
  });
}

const PROVIDER_GROUPS: ProviderGroup[] = ["google", "slack", "github"];

/** `GOOGLE_CLIENT_ID`, `GOOGLE_AUTHORIZE_URL`, … for each group; a malformed endpoint override is a named problem, not a silent default. */
function readProviders(env: Env, problems: ConfigProblem[]): Record<ProviderGroup, ProviderEnv> {
  const url = (name: string) => {
    const v = str(env, name);
    if (v === undefined) return undefined;
    try {
      const u = new URL(v);
      if (u.protocol === "https:" || u.protocol === "http:") return u.toString().replace(/\/$/, "");
    } catch {
      // reported below
    }
    problems.push({ variable: name, message: "must be an absolute http(s) URL" });
    return undefined;
  };
  const entries = PROVIDER_GROUPS.map((group) => {
    const prefix = group.toUpperCase();
    const value: ProviderEnv = {
      clientId: str(env, `${prefix}_CLIENT_ID`),
      clientSecret: str(env, `${prefix}_CLIENT_SECRET`),
      authorizeUrl: url(`${prefix}_AUTHORIZE_URL`),
      tokenUrl: url(`${prefix}_TOKEN_URL`),
      revokeUrl: url(`${prefix}_REVOKE_URL`),
      apiUrl: url(`${prefix}_API_URL`),
    };
    return [group, value] as const;
  });
  return Object.fromEntries(entries) as Record<ProviderGroup, ProviderEnv>;
}

function str(env: Env, name: string): string | undefined {
  const v = env[name];
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
}

export type SandboxMount = { mount: true } | { mount: false; refused?: "production" | "not_local" };

/**
 * Whether the sandbox providers are served. They are a fake Google, Slack and
 * GitHub where anyone signs in as anyone, so on a reachable deployment they
 * would be an open door: they need either a PUBLIC_URL on a loopback address
 * (a developer's machine, a test) or an explicit APP_ENV=development, and
 * APP_ENV=production refuses them outright. An unset PUBLIC_URL is not
 * "loopback": the default must not be what lets a bare deploy serve them.
 */
export function sandboxMount(vars: { flag: boolean; appEnv: string | undefined; publicUrl: string | undefined }): SandboxMount {
  if (!vars.flag) return { mount: false };
  if (vars.appEnv === "production") return { mount: false, refused: "production" };
  if (vars.appEnv === "development" || isLoopbackOrigin(vars.publicUrl)) return { mount: true };
  return { mount: false, refused: "not_local" };
}

/** http(s) on localhost, 127.0.0.0/8 or [::1]: only this machine can reach it. */
export function isLoopbackOrigin(url: string | undefined): boolean {
  if (url === undefined) return false;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return false;
  return u.hostname === "localhost" || u.hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(u.hostname);
}

export function readConfig(env: Env): Config {
  const problems: ConfigProblem[] = [];
  let fatal: ConfigProblem | undefined;

  const appEnvSet = str(env, "APP_ENV");
  const appEnvRaw = appEnvSet ?? "development";
  const appEnv = appEnvRaw === "production" ? "production" : "development";
  if (appEnvRaw !== "production" && appEnvRaw !== "development") {
    problems.push({ variable: "APP_ENV", message: "must be development or production" });
  }

  let publicUrl = str(env, "PUBLIC_URL") ?? "http://127.0.0.1:8787";
  try {
    const u = new URL(publicUrl);
    publicUrl = u.origin;
  } catch {
    problems.push({ variable: "PUBLIC_URL", message: "must be an absolute URL such as https://app.example.com" });
    publicUrl = "http://127.0.0.1:8787";
  }

  const parsedFlag = (name: string) => {
    const r = flag.safeParse(str(env, name)?.toLowerCase());
    if (!r.success) problems.push({ variable: name, message: "must be true or false" });
    return r.success ? r.data : false;
  };
  const sandbox = sandboxMount({ flag: parsedFlag("SANDBOX_PROVIDERS"), appEnv: appEnvSet, publicUrl: str(env, "PUBLIC_URL") });
  const sandboxProviders = sandbox.mount;
  if (!sandbox.mount && sandbox.refused === "production") {
    fatal = { variable: "SANDBOX_PROVIDERS", message: "sandbox providers are refused when APP_ENV=production" };
  } else if (!sandbox.mount && sandbox.refused === "not_local") {
    problems.push({ variable: "SANDBOX_PROVIDERS", message: "is refused unless PUBLIC_URL is a loopback origin or APP_ENV=development is set" });
  }
  const allowJobPurge = parsedFlag("ALLOW_JOB_PURGE");
  const ttlRaw = str(env, "SANDBOX_ACCESS_TOKEN_TTL_SECONDS");
  let sandboxAccessTokenTtlSeconds = 300;
  if (ttlRaw !== undefined) {
    const n = Number(ttlRaw);
    if (Number.isInteger(n) && n >= 1 && n <= 86_400) sandboxAccessTokenTtlSeconds = n;
    else problems.push({ variable: "SANDBOX_ACCESS_TOKEN_TTL_SECONDS", message: "must be a whole number of seconds from 1 to 86400" });
  }
  const thresholdRaw = str(env, "AGENT_META_TOOLS_THRESHOLD");
  let agentMetaToolsThreshold = 16;
  if (thresholdRaw !== undefined) {
    const n = Number(thresholdRaw);
    if (Number.isInteger(n) && n >= 1 && n <= 1000) agentMetaToolsThreshold = n;
    else problems.push({ variable: "AGENT_META_TOOLS_THRESHOLD", message: "must be a whole number of tools from 1 to 1000" });
  }

  const auditRaw = str(env, "AUDIT_RETENTION_DAYS");
  let auditRetentionDays = 400;
  if (auditRaw !== undefined) {
    const n = Number(auditRaw);
    if (Number.isInteger(n) && n >= 30 && n <= 3650) auditRetentionDays = n;
    else problems.push({ variable: "AUDIT_RETENTION_DAYS", message: "must be a whole number of days from 30 to 3650" });
  }

  let adminToken = str(env, "ADMIN_TOKEN");
  if (adminToken !== undefined && adminToken.length < 32) {
    problems.push({ variable: "ADMIN_TOKEN", message: "must be at least 32 characters (operator access is off until it is)" });
    adminToken = undefined;
  }

  let jwtSecret = str(env, "JWT_SECRET");
  if (!jwtSecret) problems.push({ variable: "JWT_SECRET", message: "is not set" });
  else if (new TextEncoder().encode(jwtSecret).length < 32) {
    problems.push({ variable: "JWT_SECRET", message: "must be at least 32 bytes" });
    jwtSecret = undefined;
  }

  let encryptionKeys: EncryptionKey[] | undefined;
  const keysRaw = str(env, "TOKEN_ENCRYPTION_KEYS");
  if (!keysRaw) problems.push({ variable: "TOKEN_ENCRYPTION_KEYS", message: "is not set" });
  else {
    try {
      encryptionKeys = parseEncryptionKeys(keysRaw);
    } catch (e) {
      problems.push({ variable: "TOKEN_ENCRYPTION_KEYS", message: (e as Error).message });
    }
  }

  const kbEmbedderRaw = str(env, "KB_EMBEDDER");
  let kbEmbedder: Config["kbEmbedder"];
  if (kbEmbedderRaw === "local" || kbEmbedderRaw === "openai" || kbEmbedderRaw === "workers-ai") kbEmbedder = kbEmbedderRaw;
  else if (kbEmbedderRaw !== undefined) problems.push({ variable: "KB_EMBEDDER", message: "must be local, openai or workers-ai" });

  let metricsToken = str(env, "METRICS_TOKEN");
  if (metricsToken !== undefined && metricsToken.length < 32) {
    problems.push({ variable: "METRICS_TOKEN", message: "must be at least 32 characters (only admins may scrape until it is)" });
    metricsToken = undefined;
  }

  return {
    appEnv,
    publicUrl,
    kbEmbedder,
    sandboxProviders,
    sandboxAccessTokenTtlSeconds,
    allowJobPurge,
    metricsToken,
    jwtSecret,
    encryptionKeys,
    openai: {
      apiKey: str(env, "OPENAI_API_KEY"),
      baseUrl: str(env, "OPENAI_BASE_URL"),
      model: str(env, "OPENAI_MODEL") ?? "gpt-4o-mini",
      embeddingModel: str(env, "OPENAI_EMBEDDING_MODEL") ?? "text-embedding-3-small",
    },
    agentMetaToolsThreshold,
    auditRetentionDays,
    adminToken,
    webhookSecrets: { github: str(env, "GITHUB_WEBHOOK_SECRET"), slack: str(env, "SLACK_SIGNING_SECRET") },
    providers: readProviders(env, problems),
    problems,
    fatal,
    env,
  };
}

const cache = new WeakMap<object, Config>();

/** The validated configuration for this environment object (parsed once per isolate). */
export function getConfig(env: Env): Config {
  let cfg = cache.get(env);
  if (!cfg) {
    setLogLevel(str(env, "LOG_LEVEL"));
    cfg = readConfig(env);
    cache.set(env, cfg);
  }
  return cfg;
}

/** A value a request cannot do without: absent or malformed → 503 `config_missing` naming the variable. */
export function requireConfig<T>(cfg: Config, variable: string, value: T | undefined): T {
  if (value !== undefined) return value;
  const p = cfg.problems.find((x) => x.variable === variable);
  throw new AppError(503, "config_missing", `Server configuration: ${variable} ${p?.message ?? "is not set"}.`, {
    variable,
  });
}
