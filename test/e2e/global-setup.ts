import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
// The same module `npm start` uses, so the browser tests see the app as a developer does.
import { applyMigrations, buildWeb, findFreePort, generateSecrets, startDevServer } from "../../scripts/lib/dev-server.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    /** The server's local D1 state (for the command-line scripts) and its webhook secrets (to sign deliveries). */
    persistTo: string;
    webhookSecrets: { github: string; slack: string };
  }
}

export default async function setup(project: TestProject) {
  // A throwaway persist dir keeps test accounts out of the developer's .wrangler/state.
  const persistTo = mkdtempSync(join(tmpdir(), "taskpilot-e2e-"));
  await buildWeb({ quiet: true });
  await applyMigrations({ persistTo, quiet: true });
  const vars = generateSecrets();
  const server = await startDevServer({
    port: await findFreePort(),
    persistTo,
    vars,
    quiet: true,
  });
  project.provide("baseUrl", server.url);
  project.provide("persistTo", persistTo);
  project.provide("webhookSecrets", { github: vars.GITHUB_WEBHOOK_SECRET, slack: vars.SLACK_SIGNING_SECRET });

  return async () => {
    await server.stop();
    rmSync(persistTo, { recursive: true, force: true });
  };
}
