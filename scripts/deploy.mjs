#!/usr/bin/env node
// `npm run deploy [-- --dry-run] [--config wrangler.toml] [--outdir dir]`: deploys [env.production].
// It refuses while wrangler.toml's production ids are still the placeholders (run `npm run provision`),
// then builds the web app, applies the D1 migrations the remote database lacks
// (`wrangler d1 migrations apply <binding> --remote --env production`) and runs
// `wrangler deploy --env production`. `--dry-run` builds, shows the migrations that would be applied
// (the remote list when the database can be reached; otherwise it says so and lists every local one),
// and runs `wrangler deploy --dry-run --env production --outdir <dir>`: nothing is uploaded or applied.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, DEFAULT_CONFIG, placeholderBindings, readEnvironment, resourcesOf } from "./lib/cloudflare-resources.mjs";
import { buildWeb, PROJECT_ROOT } from "./lib/dev-server.mjs";

const WRANGLER = join(PROJECT_ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const ENV = "production";

/** Runs wrangler; `capture` keeps its output (and shows it only on request), otherwise it is the operator's terminal. */
function wrangler(args, { capture = false } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", ...(capture ? { WRANGLER_HIDE_BANNER: "true" } : {}) },
      stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit",
    });
    let output = "";
    child.stdout?.on("data", (d) => (output += d));
    child.stderr?.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("exit", (code) => resolvePromise({ code, output }));
  });
}

// eslint-disable-next-line no-control-regex
const plain = (s) => s.replace(/\x1b\[[0-9;]*m/g, "");

async function main() {
  const { values } = parseArgs({
    options: { "dry-run": { type: "boolean", default: false }, config: { type: "string", default: DEFAULT_CONFIG }, outdir: { type: "string" } },
  });
  const dryRun = values["dry-run"];
  const configPath = resolve(values.config);
  const environment = readEnvironment(configPath, ENV);
  const placeholders = placeholderBindings(resourcesOf(environment));
  const target = ["--env", ENV, "--config", configPath];

  if (placeholders.length) {
    const list = placeholders.map((p) => `  ${p}`).join("\n");
    if (!dryRun) {
      console.error(`Refusing to deploy: [env.${ENV}] of ${configPath} still has placeholder ids:\n${list}\nRun \`npm run provision\` first: it creates the resources in your Cloudflare account and writes their ids.`);
      return 1;
    }
    console.log(`Note: a real deploy would refuse: [env.${ENV}] still has placeholder ids (run \`npm run provision\`):\n${list}`);
  }

  console.log("Building the web app (dist/web)…");
  await buildWeb({ quiet: true });

  const databases = (environment.env.d1_databases ?? []).filter((d) => d.migrations_dir);
  if (dryRun) {
    for (const db of databases) {
      const local = readdirSync(resolve(dirname(configPath), db.migrations_dir)).filter((f) => f.endsWith(".sql")).sort();
      let pending;
      let why;
      if (placeholders.length) why = "its database_id is still a placeholder";
      else {
        const res = await wrangler(["d1", "migrations", "list", db.binding, "--remote", ...target], { capture: true });
        const out = plain(res.output);
        if (res.code === 0) pending = /No migrations to apply/i.test(out) ? [] : local.filter((f) => out.includes(f));
        else why = out.split("\n").map((l) => l.trim()).find((l) => /ERROR|✘|error/.test(l))?.replace(/^✘\s*\[ERROR\]\s*/, "") ?? `wrangler exited with ${res.code}`;
      }
      if (pending) {
        console.log(pending.length ? `Migrations the remote ${db.binding} (${db.database_name}) lacks, which would be applied:\n${pending.map((f) => `  ${f}`).join("\n")}` : `The remote ${db.binding} (${db.database_name}) has every migration: none would be applied.`);
      } else {
        console.log(`Could not check which migrations the remote ${db.binding} (${db.database_name}) has (${why}); the ${local.length} in ${db.migrations_dir}/, each applied only if missing:\n${local.map((f) => `  ${f}`).join("\n")}`);
      }
    }
    const outdir = values.outdir ? resolve(values.outdir) : mkdtempSync(join(tmpdir(), "taskpilot-deploy-"));
    console.log(`wrangler deploy --dry-run --env ${ENV} --outdir ${outdir}`);
    const res = await wrangler(["deploy", "--dry-run", "--outdir", outdir, ...target]);
    if (res.code === 0) console.log(`Dry run: nothing was uploaded and no migration was applied. The bundle is in ${outdir}.`);
    return res.code ?? 1;
  }

  for (const db of databases) {
    console.log(`Applying D1 migrations to the remote ${db.binding} (${db.database_name})…`);
    const res = await wrangler(["d1", "migrations", "apply", db.binding, "--remote", ...target]);
    if (res.code !== 0) {
      console.error("Migrations failed, so the worker was not deployed. The worker that is live keeps running.");
      return res.code ?? 1;
    }
  }
  console.log(`Deploying [env.${ENV}]…`);
  const res = await wrangler(["deploy", ...target]);
  return res.code ?? 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof ConfigError ? e.message : e instanceof Error ? e.stack : String(e));
    process.exit(1);
  },
);
