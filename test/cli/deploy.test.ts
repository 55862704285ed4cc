import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../scripts/lib/dev-server.mjs";
import { runNode } from "./run";

// `npm run deploy` offline: the dry run builds and bundles production without an account, and a real
// deploy refuses while wrangler.toml still has the placeholder ids.

const DEPLOY = join(PROJECT_ROOT, "scripts", "deploy.mjs");
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function temp(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
/** No Cloudflare credentials and no stored `wrangler login`. */
function offline() {
  const home = temp("taskpilot-home-");
  return { HOME: home, XDG_CONFIG_HOME: home, CLOUDFLARE_API_TOKEN: "", CLOUDFLARE_ACCOUNT_ID: "" };
}
const migrations = () => readdirSync(join(PROJECT_ROOT, "drizzle")).filter((f) => f.endsWith(".sql")).sort();

describe("npm run deploy", () => {
  it("refuses a real deploy while [env.production] has placeholder ids, naming them and `npm run provision`, before building or calling wrangler", async () => {
    const run = await runNode([DEPLOY], offline());
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("Refusing to deploy");
    expect(run.stderr).toContain('d1_databases DB (database_id = "00000000-0000-4000-8000-000000000000")');
    expect(run.stderr).toContain('kv_namespaces OAUTH_KV (id = "00000000000000000000000000000000")');
    expect(run.stderr).toContain("npm run provision");
    expect(run.stdout).not.toContain("Building");
  });

  it(
    "--dry-run offline builds, lists every migration saying the remote could not be checked, and bundles production with wrangler deploy --dry-run",
    async () => {
      const outdir = temp("taskpilot-deploy-out-");
      const run = await runNode([DEPLOY, "--dry-run", "--outdir", outdir], offline());
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toContain("a real deploy would refuse");
      expect(run.stdout).toContain("Could not check which migrations the remote DB (taskpilot) has (its database_id is still a placeholder)");
      for (const m of migrations()) expect(run.stdout).toContain(`  ${m}\n`);
      expect(run.stdout).toContain('env.APP_ENV ("production")');
      expect(run.stdout).toContain("--dry-run: exiting now.");
      expect(run.stdout).toContain("nothing was uploaded and no migration was applied");
      expect(existsSync(join(outdir, "index.js"))).toBe(true);
      expect(existsSync(join(PROJECT_ROOT, "dist", "web", "index.html"))).toBe(true);
    },
    300_000,
  );

  it(
    "--dry-run with real ids but no account to reach says it could not check the remote, lists every migration, and still bundles",
    async () => {
      const dir = temp("taskpilot-deploy-config-");
      const config = join(dir, "wrangler.toml");
      copyFileSync(join(PROJECT_ROOT, "wrangler.toml"), config);
      const text = readFileSync(config, "utf8");
      const at = text.indexOf("\n[env.production]\n");
      const prod = text.slice(at).replace('database_id = "00000000-0000-4000-8000-000000000000"', 'database_id = "6f1c3a52-8d0e-4b7a-9f21-3c5d7e9a1b24"').replace('id = "00000000000000000000000000000000"', 'id = "4d2f6a8c0e1b3d5f7a9c1e3b5d7f9a0c"');
      writeFileSync(config, `${text.slice(0, at)}${prod}`);
      // The config's relative paths (main, assets, migrations) resolve from its own folder.
      for (const link of ["worker", "drizzle", "dist", "node_modules", "package.json", "tsconfig.json"]) symlinkSync(join(PROJECT_ROOT, link), join(dir, link));
      const outdir = temp("taskpilot-deploy-out-");
      const run = await runNode([DEPLOY, "--dry-run", "--config", config, "--outdir", outdir], offline());
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).not.toContain("a real deploy would refuse");
      expect(run.stdout).toMatch(/Could not check which migrations the remote DB \(taskpilot\) has \([^)]+/);
      for (const m of migrations()) expect(run.stdout).toContain(`  ${m}\n`);
      expect(run.stdout).toContain("--dry-run: exiting now.");
      expect(existsSync(join(outdir, "index.js"))).toBe(true);
    },
    300_000,
  );
});
