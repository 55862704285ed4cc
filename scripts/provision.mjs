#!/usr/bin/env node
// `npm run provision [-- --dry-run] [--env production] [--config wrangler.toml]`: creates in the Cloudflare
// account, with wrangler, every resource the environment of wrangler.toml binds that does not exist yet —
// D1 databases, KV namespaces, R2 buckets, queues (with the dead-letter queues the consumers name), Vectorize
// indexes (dimensions and metric of the embedder production uses) and their metadata indexes — then writes
// the D1 and KV ids into that environment's blocks, changing only those lines. What exists is found by name
// with wrangler's list commands, so a second run creates nothing and leaves wrangler.toml byte-identical.
// `--dry-run` lists the account the same way and prints what it would create and write, changing nothing.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, DEFAULT_CONFIG, isPlaceholderId, readEnvironment, resourcesOf, setBlockValue } from "./lib/cloudflare-resources.mjs";
import { PROJECT_ROOT } from "./lib/dev-server.mjs";

const WRANGLER = join(PROJECT_ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/** wrangler calls run at once while creating. */
const CONCURRENCY = 4;

const LOGIN_HINT =
  "Not logged in to Cloudflare. Run `npx wrangler login`, or set CLOUDFLARE_API_TOKEN (a token with Workers, D1, KV, R2, Queues and Vectorize edit rights) and CLOUDFLARE_ACCOUNT_ID, then run this again.";

class WranglerError extends Error {
  constructor(args, output) {
    const auth = /CLOUDFLARE_API_TOKEN|wrangler login|not (logged in|authenticated)|Authentication error|\[code: 10000\]|Invalid (access|API) token/i.test(output);
    super(auth ? LOGIN_HINT : `\`wrangler ${args.join(" ")}\` failed:\n${tail(output)}`);
    this.auth = auth;
  }
}

// eslint-disable-next-line no-control-regex
const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, "");
/** The lines of wrangler's output that say what went wrong (not its banner, not the bug-report prompt). */
function tail(output) {
  const lines = stripAnsi(output)
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l && !/^ ⛅️ wrangler|^─+$|report this error|fallback value|Logs were written|newer version of Wrangler|create an issue at/.test(l));
  return lines.slice(-12).map((l) => `  ${l}`).join("\n");
}

/** wrangler calls still running: when provision exits early (a failed list or create), they are stopped with it, not left behind. */
const running = new Set();
process.on("exit", () => {
  for (const child of running) {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
});
// Ctrl-C or a kill: exit through the handler above (the wrangler calls are in their own process groups).
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(signal === "SIGINT" ? 130 : 143));

function run(args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", WRANGLER_HIDE_BANNER: "true" },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so wrangler's own child process is stopped with it.
      detached: true,
    });
    running.add(child);
    child.on("exit", () => running.delete(child));
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolvePromise(stdout) : reject(new WranglerError(args, `${stdout}\n${stderr}`))));
  });
}

/** The JSON document in wrangler's output (after any banner). */
function json(out) {
  const i = out.search(/^[[{]/m);
  if (i === -1) throw new Error(`expected JSON from wrangler, got:\n${tail(out)}`);
  return JSON.parse(out.slice(i));
}

/** What the account already holds, by name (and, for D1 and KV, with ids). */
async function listAccount(resources, cfg) {
  const [d1, kv, r2, vectorize] = await Promise.all([
    resources.d1.length ? run(["d1", "list", "--json", ...cfg]).then(json) : [],
    resources.kv.length ? run(["kv", "namespace", "list", ...cfg]).then(json) : [],
    resources.r2.length ? run(["r2", "bucket", "list", ...cfg]).then((out) => [...stripAnsi(out).matchAll(/^name:\s+(\S+)\s*$/gm)].map((m) => m[1])) : [],
    resources.vectorize.length ? run(["vectorize", "list", "--json", ...cfg]).then(json) : [],
  ]);
  // `queues list` prints a table, a page at a time; read pages until one is empty.
  const queues = new Set();
  for (let page = 1; resources.queues.length; page++) {
    const out = stripAnsi(await run(["queues", "list", "--page", String(page), ...cfg]));
    const names = [...out.matchAll(/^│\s*[0-9a-f]{32}\s*│\s*(\S+)\s*│/gm)].map((m) => m[1]);
    const before = queues.size;
    for (const n of names) queues.add(n);
    if (names.length === 0 || queues.size === before) break;
  }
  const metadata = new Map();
  for (const v of resources.vectorize) {
    if (vectorize.some((x) => x.name === v.name)) {
      metadata.set(v.name, json(await run(["vectorize", "list-metadata-index", v.name, "--json", ...cfg])) ?? []);
    }
  }
  return { d1, kv, r2: new Set(r2), queues, vectorize, metadata };
}

/** The steps that make the account match the config, and the ids that are known already. */
function plan(resources, account) {
  const steps = [];
  const ids = [];
  const problems = [];
  for (const d of resources.d1) {
    const found = account?.d1.find((x) => x.name === d.name);
    if (found) ids.push({ kind: "d1", binding: d.binding, id: found.uuid, current: d.id });
    else steps.push({ kind: "d1", binding: d.binding, name: d.name, current: d.id, describe: `D1 database ${d.name} (binding ${d.binding})`, args: ["d1", "create", d.name] });
  }
  for (const k of resources.kv) {
    const byId = !isPlaceholderId(k.id) && account?.kv.find((x) => x.id === k.id);
    const found = byId || account?.kv.find((x) => x.title === k.title);
    if (found) ids.push({ kind: "kv", binding: k.binding, id: found.id, current: k.id });
    else steps.push({ kind: "kv", binding: k.binding, name: k.title, current: k.id, describe: `KV namespace ${k.title} (binding ${k.binding})`, args: ["kv", "namespace", "create", k.title] });
  }
  for (const b of resources.r2) {
    if (!account?.r2.has(b.name)) steps.push({ kind: "r2", describe: `R2 bucket ${b.name} (binding ${b.binding})`, args: ["r2", "bucket", "create", b.name] });
  }
  for (const q of resources.queues) {
    if (!account?.queues.has(q)) steps.push({ kind: "queue", describe: `queue ${q}`, args: ["queues", "create", q] });
  }
  for (const v of resources.vectorize) {
    const found = account?.vectorize.find((x) => x.name === v.name);
    if (!found) {
      const why = `${v.dimensions} dimensions for the ${v.embedder} embedder, ${v.metric}`;
      steps.push({ kind: "vectorize", describe: `Vectorize index ${v.name} (binding ${v.binding}; ${why})`, args: ["vectorize", "create", v.name, "--dimensions", String(v.dimensions), "--metric", v.metric, "--description", `TaskPilot knowledge base (${v.embedder})`] });
    } else if (found.config?.dimensions !== v.dimensions || found.config?.metric !== v.metric) {
      problems.push(
        `Vectorize index ${v.name} exists with ${found.config?.dimensions} dimensions (${found.config?.metric}), but the ${v.embedder} embedder needs ${v.dimensions} (${v.metric}). ` +
          `An index's dimensions cannot change: delete it (\`npx wrangler vectorize delete ${v.name}\`) and run provision again, or set KB_EMBEDDER in [env.*.vars] to the embedder it was made for.`,
      );
    }
    const existing = account?.metadata.get(v.name) ?? [];
    for (const m of v.metadataIndexes) {
      if (!existing.some((x) => x.propertyName === m.propertyName)) {
        steps.push({ kind: "metadata", describe: `metadata index ${v.name}.${m.propertyName} (${m.type})`, args: ["vectorize", "create-metadata-index", v.name, "--propertyName", m.propertyName, "--type", m.type] });
      }
    }
  }
  return { steps, ids, problems };
}

function writeIds(configPath, envName, ids) {
  const before = readFileSync(configPath, "utf8");
  let text = before;
  for (const { kind, binding, id } of ids) {
    text = setBlockValue(text, kind === "d1" ? { envName, table: "d1_databases", binding, key: "database_id", value: id } : { envName, table: "kv_namespaces", binding, key: "id", value: id });
  }
  if (text !== before) writeFileSync(configPath, text);
  return text !== before;
}

async function main() {
  const { values } = parseArgs({
    options: { "dry-run": { type: "boolean", default: false }, env: { type: "string", default: "production" }, config: { type: "string", default: DEFAULT_CONFIG } },
  });
  const dryRun = values["dry-run"];
  const configPath = resolve(values.config);
  const envName = values.env;
  const resources = resourcesOf(readEnvironment(configPath, envName));
  const cfg = ["--config", configPath];
  const section = envName ? `[env.${envName}]` : "the top level";

  console.log(`${dryRun ? "Dry run: " : ""}provisioning ${section} of ${configPath}`);
  let account;
  try {
    account = await listAccount(resources, cfg);
  } catch (e) {
    if (!dryRun) throw e;
    console.log(`Could not list the account's resources, so everything the config binds is shown as missing:\n  ${e.message.replace(/\n/g, "\n  ")}`);
  }
  const { steps, ids, problems } = plan(resources, account);
  const idWrites = ids.filter((i) => i.id !== i.current);

  if (dryRun) {
    if (steps.length === 0) console.log("Would create nothing: every resource exists.");
    else console.log(`Would create ${steps.length}:\n${steps.map((s) => `  + ${s.describe}\n      npx wrangler ${s.args.join(" ")}`).join("\n")}`);
    const writes = [...idWrites.map((i) => `  ${i.kind === "d1" ? "database_id" : "id"} of ${i.binding} = "${i.id}"`), ...steps.filter((s) => s.kind === "d1" || s.kind === "kv").map((s) => `  ${s.kind === "d1" ? "database_id" : "id"} of ${s.binding} = (the new ${s.kind === "d1" ? "database's" : "namespace's"} id)`)];
    console.log(writes.length ? `Would write into ${section}:\n${writes.join("\n")}` : `Would leave ${configPath} unchanged.`);
    for (const p of problems) console.log(`Problem: ${p}`);
    console.log("Dry run: nothing was created and no file was changed.");
    return problems.length ? 1 : 0;
  }

  if (problems.length) {
    for (const p of problems) console.error(p);
    return 1;
  }
  let created = 0;
  const failures = [];
  async function create(step) {
    console.log(`+ ${step.describe}`);
    await run([...step.args, ...cfg]);
    created++;
    if (step.kind === "d1" || step.kind === "kv") {
      const list = json(await run(step.kind === "d1" ? ["d1", "list", "--json", ...cfg] : ["kv", "namespace", "list", ...cfg]));
      const found = step.kind === "d1" ? list.find((x) => x.name === step.name)?.uuid : list.find((x) => x.title === step.name)?.id;
      if (!found) throw new Error(`${step.describe} was created but is not in the account's list.`);
      ids.push({ kind: step.kind, binding: step.binding, id: found, current: step.current });
    }
  }
  // A few wrangler calls at a time (each is a Node process); metadata indexes after their index. After a
  // failure nothing new starts, and the calls already running finish.
  for (const batch of [steps.filter((s) => s.kind !== "metadata"), steps.filter((s) => s.kind === "metadata")]) {
    const queue = [...batch];
    const worker = async () => {
      for (let step = queue.shift(); step && failures.length === 0; step = queue.shift()) {
        try {
          await create(step);
        } catch (e) {
          failures.push({ step, error: e });
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    if (failures.length) break;
  }
  // Ids of what exists (found or just made) are written even after a failure; nothing is written for what failed.
  const wrote = writeIds(configPath, envName, ids);
  const summary = `Created ${created} resource${created === 1 ? "" : "s"}; ${wrote ? `wrote ${ids.filter((i) => i.id !== i.current).length} id(s) into ${section} of ${configPath}` : `${configPath} unchanged`}.`;
  if (failures.length) {
    const reasons = failures.map((f) => `Could not create ${f.step.describe}: ${f.error.message}`).join("\n");
    console.error(`${summary}\n${reasons}\nRun \`npm run provision\` again once that is fixed; what exists is kept and not created twice.`);
    return 1;
  }
  console.log(created === 0 && !wrote ? "Nothing to do: every resource exists and wrangler.toml has every id." : summary);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof ConfigError || e instanceof WranglerError ? e.message : e instanceof Error ? e.stack : String(e));
    process.exit(1);
  },
);
