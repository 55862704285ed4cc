import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OFFLINE_ENV, PROJECT_ROOT } from "../../scripts/lib/dev-server.mjs";

const WRANGLER = join(PROJECT_ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

describe("wrangler deploy --dry-run", () => {
  it.each([[[]], [["--env", "production"]]])("bundles the worker offline (%j)", (extra: string[]) => {
    const outdir = mkdtempSync(join(tmpdir(), "taskpilot-dry-run-"));
    try {
      const run = spawnSync(process.execPath, [WRANGLER, "deploy", "--dry-run", "--outdir", outdir, ...extra], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, ...OFFLINE_ENV, CI: "true" },
        encoding: "utf8",
        timeout: 90_000,
      });
      expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toContain("--dry-run: exiting now.");
      expect(readdirSync(outdir)).toContain("index.js");
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
