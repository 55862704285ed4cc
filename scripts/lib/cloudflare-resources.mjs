// What `npm run provision` and `npm run deploy` share: the Cloudflare resources an environment of
// wrangler.toml binds (read with wrangler's own config reader, so a binding added to the file is
// provisioned without touching this list), whether its ids are still placeholders, and the targeted
// edit that writes an id back without re-serialising the file (comments and layout stay as they are).
import { join } from "node:path";
import { experimental_readRawConfig } from "wrangler";
import { PROJECT_ROOT } from "./dev-server.mjs";

export const DEFAULT_CONFIG = join(PROJECT_ROOT, "wrangler.toml");

/**
 * Dimensions of each embedder worker/kb/embed/ can select (test/unit/provision-plan.test.ts checks them
 * against the embedders themselves). OpenAI models are asked for at most 1,536, so every OpenAI model is 1,536.
 */
export const EMBEDDER_DIMENSIONS = { openai: 1536, "workers-ai": 768, local: 256 };
/** Without KB_EMBEDDER the worker picks OpenAI when OPENAI_API_KEY is set, the configuration production is documented with. */
export const DEFAULT_PRODUCTION_EMBEDDER = "openai";
/** Embedders return L2-normalised vectors, ranked by cosine (worker/kb/search.ts). */
export const VECTORIZE_METRIC = "cosine";
/**
 * Metadata properties to index. The worker writes one metadata field, `documentId`
 * (worker/kb/vectors/vectorize.ts); Vectorize indexes only vectors written after a metadata index
 * exists, so it is created with the index, before the first upsert, for filters by document.
 */
export const VECTORIZE_METADATA_INDEXES = [{ propertyName: "documentId", type: "string" }];

/** The placeholder ids wrangler.toml ships with (and an empty or missing id). */
export function isPlaceholderId(id) {
  if (typeof id !== "string" || id.trim() === "") return true;
  return /^0{8}-0{4}-4000-8000-0{12}$/.test(id) || /^0+$/.test(id);
}

export class ConfigError extends Error {}

/** The raw (un-normalised) table of one environment, or the top level when `envName` is empty. */
export function readEnvironment(configPath, envName) {
  let raw;
  try {
    raw = experimental_readRawConfig({ config: configPath }).rawConfig;
  } catch (e) {
    throw new ConfigError(`Could not read ${configPath}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!envName) return { workerName: raw.name, env: raw };
  const env = raw.env?.[envName];
  if (!env) throw new ConfigError(`${configPath} has no [env.${envName}] environment.`);
  return { workerName: env.name ?? raw.name, env };
}

const kebab = (s) => s.toLowerCase().replace(/_/g, "-");

/**
 * Every resource the environment binds that must exist in the account before a deploy. KV namespaces
 * have no name in wrangler.toml, so theirs is `{worker name}-{binding}` (OAUTH_KV → taskpilot-oauth-kv).
 */
export function resourcesOf({ workerName, env }) {
  const embedder = env.vars?.KB_EMBEDDER || DEFAULT_PRODUCTION_EMBEDDER;
  const dimensions = EMBEDDER_DIMENSIONS[embedder];
  if (!dimensions) throw new ConfigError(`KB_EMBEDDER = "${embedder}" is not one of ${Object.keys(EMBEDDER_DIMENSIONS).join(", ")}.`);
  const queues = new Set();
  for (const p of env.queues?.producers ?? []) queues.add(p.queue);
  for (const c of env.queues?.consumers ?? []) {
    queues.add(c.queue);
    if (c.dead_letter_queue) queues.add(c.dead_letter_queue);
  }
  return {
    d1: (env.d1_databases ?? []).map((d) => ({ binding: d.binding, name: d.database_name, id: d.database_id })),
    kv: (env.kv_namespaces ?? []).map((k) => ({ binding: k.binding, title: `${workerName}-${kebab(k.binding)}`, id: k.id })),
    r2: (env.r2_buckets ?? []).map((b) => ({ binding: b.binding, name: b.bucket_name })),
    queues: [...queues].filter(Boolean).sort(),
    vectorize: (env.vectorize ?? []).map((v) => ({
      binding: v.binding,
      name: v.index_name,
      dimensions,
      metric: VECTORIZE_METRIC,
      embedder,
      metadataIndexes: VECTORIZE_METADATA_INDEXES,
    })),
  };
}

/** Bindings whose id in the environment is still a placeholder: a deploy with them would fail or bind nothing. */
export function placeholderBindings(resources) {
  return [
    ...resources.d1.filter((d) => isPlaceholderId(d.id)).map((d) => `d1_databases ${d.binding} (database_id = "${d.id ?? ""}")`),
    ...resources.kv.filter((k) => isPlaceholderId(k.id)).map((k) => `kv_namespaces ${k.binding} (id = "${k.id ?? ""}")`),
  ];
}

const HEADER = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/;

/**
 * Sets `key = "value"` in the `[[{prefix}.{table}]]` block whose `bindingKey` is `binding`, changing that
 * one line only (or adding it after the binding line when the block has none). Everything else in the
 * text stays byte for byte.
 */
export function setBlockValue(text, { envName, table, binding, key, value, bindingKey = "binding" }) {
  const header = envName ? `env.${envName}.${table}` : table;
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text.split(eol);
  const bindingLine = new RegExp(`^\\s*${bindingKey}\\s*=\\s*["']${binding.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}["']\\s*(#.*)?$`);
  const keyLine = new RegExp(`^(\\s*${key}\\s*=\\s*)(["'])([^"']*)\\2(.*)$`);
  for (let i = 0; i < lines.length; i++) {
    const m = HEADER.exec(lines[i]);
    if (!m || m[1] !== header) continue;
    let end = i + 1;
    while (end < lines.length && !HEADER.test(lines[end])) end++;
    const block = lines.slice(i + 1, end);
    const b = block.findIndex((l) => bindingLine.test(l));
    if (b === -1) continue;
    const k = block.findIndex((l) => keyLine.test(l));
    if (k !== -1) {
      lines[i + 1 + k] = lines[i + 1 + k].replace(keyLine, (_all, lead, q, _old, rest) => `${lead}${q}${value}${q}${rest}`);
    } else {
      const indent = /^\s*/.exec(block[b])[0];
      lines.splice(i + 2 + b, 0, `${indent}${key} = "${value}"`);
    }
    return lines.join(eol);
  }
  throw new ConfigError(`No [[${header}]] block with ${bindingKey} = "${binding}" to write ${key} into.`);
}
