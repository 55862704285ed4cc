import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyMigrations, type DevServer, findFreePort, generateSecrets, startDevServer } from "../../scripts/lib/dev-server.mjs";

// The browser tests' server, the admin CLI's temporary one and the command-line tests' own servers can start at the
// same moment (the cli files run side by side). Each wrangler dev also opens a debugger port; left to wrangler, two
// starting together both pick 9229 and the second dies with "Address already in use".

const dirs: string[] = [];
const servers: DevServer[] = [];

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("startDevServer", () => {
  it("starts two servers at once, and both serve", async () => {
    const started = await Promise.all(
      [1, 2].map(async () => {
        const persistTo = mkdtempSync(join(tmpdir(), "taskpilot-dev-server-"));
        dirs.push(persistTo);
        await applyMigrations({ persistTo, quiet: true });
        const server = await startDevServer({ port: await findFreePort(), persistTo, vars: generateSecrets(), quiet: true });
        servers.push(server);
        return server;
      }),
    );
    for (const server of started) {
      const health = await fetch(`${server.url}/api/health`);
      expect(health.status, server.output()).toBe(200);
    }
    expect(new Set(started.map((s) => s.port)).size).toBe(2);
  }, 120_000);
});
