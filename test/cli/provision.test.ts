import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { PROJECT_ROOT } from "../../scripts/lib/dev-server.mjs";
import { runNode } from "./run";
import { startFakeCloudflareApi, type FakeCloudflareApi } from "./fake-cloudflare-api";

// `npm run provision` against a fake Cloudflare API (wrangler honours CLOUDFLARE_API_BASE_URL), on a
// temporary copy of wrangler.toml: the real wrangler CLI runs every list and create command.

const PROVISION = join(PROJECT_ROOT, "scripts", "provision.mjs");
const dirs: string[] = [];
const apis: FakeCloudflareApi[] = [];
// After all of them: the cases run concurrently, so one finishing must not close another's API.
afterAll(async () => {
  for (const api of apis.splice(0)) await api.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempConfig(): string {
  const dir = mkdtempSync(join(tmpdir(), "taskpilot-provision-"));
  dirs.push(dir);
  copyFileSync(join(PROJECT_ROOT, "wrangler.toml"), join(dir, "wrangler.toml"));
  return join(dir, "wrangler.toml");
}

async function fakeApi(options?: Parameters<typeof startFakeCloudflareApi>[0]) {
  const api = await startFakeCloudflareApi(options);
  apis.push(api);
  return api;
}

/** Credentials for the fake, and a HOME without a stored `wrangler login`. */
function credentials(api: FakeCloudflareApi, token = api.token) {
  const home = mkdtempSync(join(tmpdir(), "taskpilot-home-"));
  dirs.push(home);
  return { CLOUDFLARE_API_BASE_URL: api.baseUrl, CLOUDFLARE_API_TOKEN: token, CLOUDFLARE_ACCOUNT_ID: api.accountId, HOME: home, XDG_CONFIG_HOME: home };
}

function provision(config: string, env: Record<string, string>, ...flags: string[]) {
  return runNode([PROVISION, "--config", config, ...flags], env);
}

/** What production binds, read with wrangler's normalising reader (provision uses the raw one). */
function expected(config: string) {
  const c = unstable_readConfig({ config, env: "production" });
  const queues = new Set<string>();
  for (const p of c.queues.producers ?? []) queues.add(p.queue);
  for (const q of c.queues.consumers ?? []) {
    queues.add(q.queue);
    if (q.dead_letter_queue) queues.add(q.dead_letter_queue);
  }
  return {
    d1: c.d1_databases.map((d: { database_name: string }) => d.database_name),
    kv: c.kv_namespaces.map((k: { binding: string }) => k.binding),
    r2: c.r2_buckets.map((b: { bucket_name: string }) => b.bucket_name),
    queues: [...queues].sort(),
    vectorize: c.vectorize.map((v: { index_name: string }) => v.index_name),
  };
}

/** The lines of `after` that differ from `before` (the files have the same number of lines). */
function changedLines(before: string, after: string): string[] {
  const a = before.split("\n");
  const b = after.split("\n");
  expect(b.length).toBe(a.length);
  return b.filter((line, i) => line !== a[i]);
}

const TIMEOUT = 600_000;

// Each case has its own fake API and copy of wrangler.toml, so they run side by side (a wrangler call is a
// process that spends much of its time starting up).
describe.concurrent("npm run provision", () => {
  it(
    "a failing create exits non-zero naming what failed and writes no id for it; the next run creates only what is missing and writes the D1 and KV ids into [env.production] only; a third run creates nothing and leaves the file byte-identical",
    async () => {
      // Three queues per page, so the queue list is read over several pages.
      const api = await fakeApi({ queuePageSize: 3 });
      const config = tempConfig();
      const original = readFileSync(config, "utf8");
      const want = expected(config);
      expect(want.queues.filter((q) => q.endsWith("-dlq")).length).toBeGreaterThanOrEqual(4);

      // 1. The KV namespace cannot be created.
      api.failWhen(/^POST \/storage\/kv\/namespaces$/);
      const failed = await provision(config, credentials(api));
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain("Could not create KV namespace taskpilot-oauth-kv (binding OAUTH_KV)");
      expect(failed.stderr).toContain("Internal error");
      expect(failed.stderr).toContain("npm run provision");
      expect(api.state.kv).toEqual([]);
      const afterFailure = unstable_readConfig({ config, env: "production" });
      expect(afterFailure.kv_namespaces[0]!.id).toBe("00000000000000000000000000000000");
      // What did get made before the failure keeps its id.
      for (const d of api.state.d1) expect(afterFailure.d1_databases[0]!.database_id).toBe(d.uuid);
      const madeBefore = api.creates();

      // 2. The cause is gone: the next run makes only what is missing.
      api.clearFailures();
      const first = await provision(config, credentials(api));
      expect(first.code, `${first.stdout}\n${first.stderr}`).toBe(0);
      expect(api.unhandled).toEqual([]);
      expect(api.creates()).toBeGreaterThan(madeBefore);
      expect(api.state.d1.map((d) => d.name)).toEqual(want.d1);
      expect(api.state.kv.map((k) => k.title)).toEqual(want.kv.map((b: string) => `taskpilot-${b.toLowerCase().replace(/_/g, "-")}`));
      expect(api.state.r2.map((b) => b.name)).toEqual(want.r2);
      expect(api.state.queues.map((q) => q.queue_name).sort()).toEqual(want.queues);
      expect(api.state.vectorize).toEqual([
        { name: want.vectorize[0], config: { dimensions: 1536, metric: "cosine" }, metadataIndexes: [{ propertyName: "documentId", indexType: "string" }] },
      ]);

      const written = readFileSync(config, "utf8");
      expect(changedLines(original, written)).toEqual([`database_id = "${api.state.d1[0]!.uuid}"`, `id = "${api.state.kv[0]!.id}"`]);
      const prod = unstable_readConfig({ config, env: "production" });
      expect(prod.d1_databases[0]!.database_id).toBe(api.state.d1[0]!.uuid);
      expect(prod.kv_namespaces[0]!.id).toBe(api.state.kv[0]!.id);
      // The top-level (development) environment keeps its local placeholders.
      const dev = unstable_readConfig({ config });
      expect(dev.d1_databases[0]!.database_id).toBe("00000000-0000-4000-8000-000000000000");

      // 3. Everything exists: nothing is created and the file is left as it is.
      const creates = api.creates();
      const posts = api.requests.filter((r) => r.startsWith("POST")).length;
      const again = await provision(config, credentials(api));
      expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
      expect(again.stdout).toContain("Nothing to do");
      expect(api.creates()).toBe(creates);
      expect(api.requests.filter((r) => r.startsWith("POST")).length).toBe(posts);
      expect(api.state.d1).toHaveLength(1);
      expect(api.state.kv).toHaveLength(1);
      expect(api.state.queues).toHaveLength(want.queues.length);
      expect(readFileSync(config, "utf8")).toBe(written);
    },
    TIMEOUT,
  );

  it(
    "--dry-run lists the account and prints what it would create and write, and creates and changes nothing",
    async () => {
      const api = await fakeApi();
      const config = tempConfig();
      const original = readFileSync(config, "utf8");
      const run = await provision(config, credentials(api), "--dry-run");
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(api.requests.filter((r) => !r.startsWith("GET"))).toEqual([]);
      expect(api.requests).toContain("GET /d1/database");
      expect(api.creates()).toBe(0);
      expect(readFileSync(config, "utf8")).toBe(original);
      for (const q of expected(config).queues) expect(run.stdout).toContain(`npx wrangler queues create ${q}\n`);
      expect(run.stdout).toContain("npx wrangler d1 create taskpilot");
      expect(run.stdout).toContain("npx wrangler vectorize create taskpilot-kb --dimensions 1536 --metric cosine");
      expect(run.stdout).toContain("npx wrangler vectorize create-metadata-index taskpilot-kb --propertyName documentId --type string");
      expect(run.stdout).toContain("database_id of DB = (the new database's id)");
      expect(run.stdout).toContain("nothing was created and no file was changed");
    },
    TIMEOUT,
  );

  it(
    "without credentials, or with a token the API refuses, says to run `npx wrangler login` or set CLOUDFLARE_API_TOKEN, and exits non-zero",
    async () => {
      const api = await fakeApi();
      const config = tempConfig();
      const original = readFileSync(config, "utf8");
      const { CLOUDFLARE_API_TOKEN: _t, ...noToken } = credentials(api);
      const [missing, refused] = await Promise.all([
        provision(config, { ...noToken, CLOUDFLARE_API_TOKEN: "" }),
        provision(config, credentials(api, "a-revoked-token")),
      ]);
      for (const run of [missing, refused]) {
        expect(run.code, run.stdout).toBe(1);
        expect(run.stderr).toContain("Not logged in to Cloudflare. Run `npx wrangler login`, or set CLOUDFLARE_API_TOKEN");
        expect(run.stderr).toContain("CLOUDFLARE_ACCOUNT_ID");
        expect(run.stderr).not.toContain("a-revoked-token");
      }
      expect(api.creates()).toBe(0);
      expect(readFileSync(config, "utf8")).toBe(original);
    },
    TIMEOUT,
  );

  it(
    "--dry-run without an account to ask still prints the whole plan, saying it could not check",
    async () => {
      const api = await fakeApi();
      const config = tempConfig();
      const run = await provision(config, credentials(api, "a-revoked-token"), "--dry-run");
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toContain("Could not list the account's resources");
      expect(run.stdout).toContain("npx wrangler login");
      expect(run.stdout).toContain("npx wrangler r2 bucket create taskpilot-kb-files");
    },
    TIMEOUT,
  );

  it("an environment the config does not have is refused before anything runs", async () => {
    const api = await fakeApi();
    const run = await provision(tempConfig(), credentials(api), "--env", "staging");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("has no [env.staging] environment");
    expect(api.requests).toEqual([]);
  });
});
