import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { generateSecrets, OFFLINE_ENV, PROJECT_ROOT } from "../../scripts/lib/dev-server.mjs";

const WRANGLER = join(PROJECT_ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const CONFIG = join(PROJECT_ROOT, "wrangler.toml");

interface Bundle {
  outdir: string;
  stdout: string;
  /** Project-relative paths of every source file the bundle was built from (from its source map). */
  sources: string[];
}

/** `wrangler deploy --dry-run` exactly as `npm run deploy` (with `--env production`) or the top-level environment would run it. */
function dryRun(extra: string[]): Bundle {
  const outdir = mkdtempSync(join(tmpdir(), "taskpilot-dry-run-"));
  const run = spawnSync(process.execPath, [WRANGLER, "deploy", "--dry-run", "--outdir", outdir, ...extra], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...OFFLINE_ENV, CI: "true" },
    encoding: "utf8",
    timeout: 90_000,
  });
  expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
  expect(run.stdout).toContain("--dry-run: exiting now.");
  expect(readdirSync(outdir)).toContain("index.js");
  const map = JSON.parse(readFileSync(join(outdir, "index.js.map"), "utf8")) as { sources: string[] };
  const sources = map.sources.map((s) => relative(PROJECT_ROOT, resolve(outdir, s)).replaceAll("\\", "/"));
  return { outdir, stdout: run.stdout, sources };
}

/** The sandbox's server code: its router, OAuth servers, consent page and fake APIs (catalog.ts is only the endpoint table provider resolution reads). */
const sandboxServerCode = (b: Bundle) => b.sources.filter((s) => s.startsWith("worker/sandbox/") && s !== "worker/sandbox/catalog.ts");

let development: Bundle;
let production: Bundle;

beforeAll(() => {
  development = dryRun([]);
  production = dryRun(["--env", "production"]);
});

afterAll(() => {
  for (const b of [development, production]) if (b) rmSync(b.outdir, { recursive: true, force: true });
});

describe("wrangler deploy --dry-run", () => {
  it("bundles the top-level (development) environment from worker/dev, with the sandbox", () => {
    expect(development.stdout).toContain('env.APP_ENV ("development")');
    expect(development.stdout).toContain('env.SANDBOX_PROVIDERS ("true")');
    expect(development.sources).toContain("worker/dev/index.ts");
    // The control for the production assertion below: the marker files are there when the sandbox is.
    expect(sandboxServerCode(development)).toEqual(expect.arrayContaining(["worker/sandbox/index.ts", "worker/sandbox/oauth/authorize.ts", "worker/sandbox/oauth/consent-page.ts"]));
  });

  it("`npm run deploy` deploys the production environment", () => {
    const scripts = (JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    expect(scripts.deploy).toBe("node scripts/deploy.mjs");
    // scripts/deploy.mjs runs `wrangler deploy` with --env production and nothing else picks the environment
    // (test/cli/deploy.test.ts runs it with --dry-run).
    const deploy = readFileSync(join(PROJECT_ROOT, "scripts", "deploy.mjs"), "utf8");
    expect(deploy).toContain('const ENV = "production";');
    expect(deploy).toContain('const target = ["--env", ENV, "--config", configPath];');
    expect(deploy).toContain('await wrangler(["deploy", ...target]);');
  });

  it("bundles the production environment: its vars and bindings, entry worker/index.ts, and no sandbox code", () => {
    expect(production.stdout).toContain('env.APP_ENV ("production")');
    expect(production.stdout).toContain('env.SANDBOX_PROVIDERS ("false")');
    expect(production.stdout).toContain('env.PUBLIC_URL ("https://taskpilot.example.com")');
    expect(production.stdout).toMatch(/env\.VECTORIZE \(taskpilot-kb\)\s+Vectorize Index/);
    expect(production.stdout).not.toContain('("development")');
    expect(production.stdout).not.toContain("127.0.0.1");
    expect(production.sources).toContain("worker/index.ts");
    expect(production.sources).not.toContain("worker/dev/index.ts");
    expect(sandboxServerCode(production)).toEqual([]);
    const code = readFileSync(join(production.outdir, "index.js"), "utf8");
    for (const marker of ["purge_sandbox_grants", "Sign-in request rejected", "/simulate"]) {
      expect(code).not.toContain(marker);
      expect(readFileSync(join(development.outdir, "index.js"), "utf8")).toContain(marker);
    }
  });
});

describe("the production bundle in Miniflare (workerd), with the production environment's bindings", () => {
  let mf: Miniflare;
  let base: string;
  let accessToken: string;
  const options = unstable_getMiniflareWorkerOptions(CONFIG, "production");

  async function start(bindings: Record<string, string>) {
    const w = options.workerOptions;
    mf = new Miniflare({
      host: "127.0.0.1",
      port: 0,
      modules: true,
      modulesRoot: production.outdir,
      scriptPath: join(production.outdir, "index.js"),
      compatibilityDate: w.compatibilityDate,
      compatibilityFlags: w.compatibilityFlags,
      // Vectorize has no local mode; the worker falls back to its local index without the binding.
      bindings: { ...(w.bindings as Record<string, string>), ...generateSecrets(), LOG_LEVEL: "error", ...bindings },
      d1Databases: w.d1Databases,
      durableObjects: w.durableObjects,
      queueProducers: w.queueProducers,
      assets: w.assets,
    });
    base = (await mf.ready).origin;
  }

  beforeAll(async () => {
    const w = options.workerOptions;
    expect(w.bindings).toMatchObject({ APP_ENV: "production", SANDBOX_PROVIDERS: "false" });
    expect(Object.keys(w.vectorize ?? {})).toEqual(["VECTORIZE"]);
    await start({});
    const db = await mf.getD1Database("DB");
    const migrations = join(PROJECT_ROOT, "drizzle");
    for (const file of readdirSync(migrations).filter((f) => f.endsWith(".sql")).sort()) {
      const statements = readFileSync(join(migrations, file), "utf8").split("--> statement-breakpoint").map((x) => x.trim()).filter(Boolean);
      await db.batch(statements.map((x) => db.prepare(x)));
    }
    const res = await fetch(`${base}/api/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: `deploy-${Date.now()}@example.test`, password: "a production password" }),
    });
    expect(res.status).toBe(201);
    accessToken = ((await res.json()) as { accessToken: string }).accessToken;
  }, 60_000);

  afterAll(async () => {
    await mf?.dispose();
  });

  it("runs as the production environment", async () => {
    const res = await fetch(`${base}/api/health`);
    const body = (await res.json()) as { status: string; environment: string; checks: { database: { ok: boolean }; config: { ok: boolean } } };
    expect(body.environment).toBe("production");
    expect(body.checks.database.ok).toBe(true);
    expect(body.checks.config.ok).toBe(true);
  });

  it.each([
    ["GET", "/sandbox/google/oauth/authorize?client_id=sandbox-client"],
    ["POST", "/sandbox/google/oauth/token"],
    ["POST", "/sandbox/slack/oauth/revoke"],
    ["GET", "/sandbox/github/api/user"],
    ["POST", "/sandbox/google/simulate"],
    ["POST", "/api/realtime/test-event"],
    ["POST", "/api/realtime/test-ping"],
  ])("answers 404 on %s %s, even signed in", async (method, path) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json" },
      body: method === "POST" ? "{}" : undefined,
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(((await res.json()) as { code: string }).code).toBe("not_found");
  });

  it("has no sandbox to switch on: with APP_ENV=development and SANDBOX_PROVIDERS=true forced in, /sandbox is still 404", async () => {
    await mf.dispose();
    await start({ APP_ENV: "development", SANDBOX_PROVIDERS: "true", PUBLIC_URL: "http://127.0.0.1:8787" });
    const res = await fetch(`${base}/sandbox/google/oauth/authorize?client_id=sandbox-client`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe("not_found");
  });
});
