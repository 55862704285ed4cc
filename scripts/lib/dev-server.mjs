// The one way TaskPilot is served locally: `npm start`, the browser tests and
// the benchmarks all go through these functions, so what the tests exercise is
// what a developer runs.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const WRANGLER = join(PROJECT_ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/** Nothing local should reach out to Cloudflare: no cf-object fetch, no telemetry. */
export const OFFLINE_ENV = {
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
};

/** Every file of `a` and `b`, by relative path, with the same bytes. */
function sameTree(a, b) {
  if (!existsSync(b)) return false;
  const files = (dir) => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
  const left = files(a);
  const right = files(b);
  return left.length === right.length && left.every((f, i) => f === right[i] && readFileSync(join(a, f)).equals(readFileSync(join(b, f))));
}

/** Builds web/ into dist/web, the assets directory wrangler serves. */
export async function buildWeb({ quiet = false } = {}) {
  const { build } = await import("vite");
  // Built beside dist/web, and moved into place only when it differs: a running `wrangler dev` serves dist/web, and
  // a build that empties or replaces that directory under it leaves it answering 404 until something else changes
  // (a deploy dry run, or the browser tests' setup, rebuilding what is already there).
  const web = join(PROJECT_ROOT, "dist", "web");
  // Outside the project: wrangler dev reloads on changes inside it.
  const next = mkdtempSync(join(tmpdir(), "taskpilot-web-"));
  try {
    await build({ configFile: join(PROJECT_ROOT, "vite.config.ts"), logLevel: quiet ? "warn" : "info", build: { outDir: next, emptyOutDir: true } });
    if (sameTree(next, web)) return;
    const staged = `${web}.next`;
    rmSync(staged, { recursive: true, force: true });
    cpSync(next, staged, { recursive: true });
    const old = existsSync(web) ? `${web}.old` : undefined;
    if (old) {
      rmSync(old, { recursive: true, force: true });
      renameSync(web, old);
    }
    renameSync(staged, web);
    if (old) rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(next, { recursive: true, force: true });
  }
}

/** Fresh secrets: a 32-byte JWT key and one 32-byte AES-256-GCM key with id k1. */
export function generateSecrets() {
  return {
    JWT_SECRET: randomBytes(48).toString("base64url"),
    TOKEN_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
    // Local webhook secrets: deliveries signed with them (a test, a replayed capture) are accepted locally.
    GITHUB_WEBHOOK_SECRET: randomBytes(32).toString("base64url"),
    SLACK_SIGNING_SECRET: randomBytes(32).toString("hex"),
    // The operator's bearer for /api/admin/* (`npm run admin` reads it from here).
    ADMIN_TOKEN: newAdminToken(),
  };
}

/** A fresh operator token (43 characters, the worker wants at least 32). */
export function newAdminToken() {
  return randomBytes(32).toString("base64url");
}

/** The variables of a `.dev.vars` file as `wrangler dev` reads them (KEY=value lines, optional quotes); {} when it does not exist. */
export function readDevVars(file = join(PROJECT_ROOT, ".dev.vars")) {
  if (!existsSync(file)) return {};
  const vars = {};
  for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) vars[match[1]] = match[2].replace(/^(["'])(.*)\1$/, "$2");
  }
  return vars;
}

/** Appends one variable to an existing `.dev.vars` (one made before that variable existed); the rest of the file is kept as it is. */
export function addDevVar(name, value, file = join(PROJECT_ROOT, ".dev.vars")) {
  const text = readFileSync(file, "utf8");
  appendFileSync(file, `${text.endsWith("\n") || text === "" ? "" : "\n"}${name}=${value}\n`);
}

/**
 * Writes `.dev.vars` with fresh secrets unless it exists; an existing file is
 * never touched, so a second start keeps the same keys (and the sessions and
 * encrypted tokens made with them).
 */
export function ensureDevVars(file = join(PROJECT_ROOT, ".dev.vars")) {
  if (existsSync(file)) return { file, created: false };
  const lines = Object.entries(generateSecrets()).map(([k, v]) => `${k}=${v}`);
  const header = "# Local secrets made by `npm start`. Never commit this file; delete it to rotate them.";
  writeFileSync(file, `${header}\n${lines.join("\n")}\n`, { mode: 0o600 });
  return { file, created: true };
}

function runWrangler(args, { quiet }) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...OFFLINE_ENV, CI: "true" },
      stdio: quiet ? ["ignore", "pipe", "pipe"] : ["ignore", "inherit", "inherit"],
    });
    let output = "";
    child.stdout?.on("data", (d) => (output += d));
    child.stderr?.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolvePromise(output) : reject(new Error(`wrangler ${args.join(" ")} exited with ${code}\n${output}`)),
    );
  });
}

/** Applies drizzle/ migrations to the local D1; already-applied ones are skipped, so it is safe to repeat. */
export async function applyMigrations({ persistTo, quiet = false } = {}) {
  const args = ["d1", "migrations", "apply", "DB", "--local"];
  if (persistTo) args.push("--persist-to", persistTo);
  await runWrangler(args, { quiet });
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function findFreePort() {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePromise(port));
    });
  });
}

/**
 * Fails fast when something already listens on the port: otherwise the
 * readiness probe would be answered by that other process (say, a first
 * `npm start`) and report success for a server that never started.
 */
export function assertPortFree(port) {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once("error", (e) =>
      reject(e.code === "EADDRINUSE" ? new Error(`Port ${port} on 127.0.0.1 is already in use. Stop what runs there or set PORT.`) : e),
    );
    server.listen(port, "127.0.0.1", () => server.close(() => resolvePromise()));
  });
}

async function waitUntilServing(url, child, timeoutMs, output) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`wrangler dev exited (${child.exitCode ?? child.signalCode}) before serving.\n${output()}`);
    }
    try {
      const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`wrangler dev did not answer on ${url} within ${timeoutMs} ms.\n${output()}`);
}

/**
 * Starts `wrangler dev` in its own process group (wrangler runs workerd
 * children; stopping only the parent would leave them holding the port) and
 * resolves once the worker answers.
 *
 * - `persistTo`: separate local state (tests use a temp dir, never the developer's .wrangler/state)
 * - `vars`: extra variables, e.g. fresh secrets for a test run instead of .dev.vars
 * - `quiet`: capture wrangler's output (shown only if it fails) instead of printing it
 * - `inspectorPort`: the debugger's port; by default a free one the system hands out, because wrangler's own choice
 *   (9229, or the next port free when it looks) races when two servers start at once and one then fails to bind;
 *   `null` keeps wrangler's choice (`npm start`, so a debugger finds it where wrangler says)
 */
export async function startDevServer({ port = 8787, persistTo, vars = {}, quiet = false, readyTimeoutMs = 60_000, inspectorPort } = {}) {
  await assertPortFree(port);
  const url = `http://127.0.0.1:${port}`;
  const args = ["dev", "--local", "--ip", "127.0.0.1", "--port", String(port), "--show-interactive-dev-session=false", "--test-scheduled"];
  if (inspectorPort !== null) args.push("--inspector-port", String(inspectorPort ?? (await findFreePort())));
  if (persistTo) args.push("--persist-to", persistTo);
  for (const [key, value] of Object.entries({ PUBLIC_URL: url, ...vars })) args.push("--var", `${key}:${value}`);

  const child = spawn(process.execPath, [WRANGLER, ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...OFFLINE_ENV },
    stdio: quiet ? ["ignore", "pipe", "pipe"] : ["ignore", "inherit", "inherit"],
    detached: true,
  });
  let output = "";
  const keep = (d) => {
    output = (output + d).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise((r) => child.once("exit", r));

  async function stop() {
    if (child.exitCode !== null || child.signalCode !== null) return;
    signalGroup(child.pid, "SIGTERM");
    const killed = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
    if (!killed) signalGroup(child.pid, "SIGKILL");
    await exited;
  }

  try {
    await waitUntilServing(url, child, readyTimeoutMs, () => output);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, port, pid: child.pid, stop, output: () => output, exited };
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch (e) {
    if (e.code !== "ESRCH") throw e;
  }
}
