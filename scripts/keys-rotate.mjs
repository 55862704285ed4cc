#!/usr/bin/env node
// `npm run keys:rotate [-- --persist-to <dir>]`: re-seals every stored
// provider token in the local D1 database under the first key of
// TOKEN_ENCRYPTION_KEYS (from the environment, else .dev.vars). Run it after
// putting a new key first; once it reports no unreadable rows, the old keys
// can be removed from the list.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { getPlatformProxy } from "wrangler";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { "persist-to": { type: "string" } } });

/** The rotation code is the worker's own (worker/integrations/rotate.ts), bundled for Node so both use one implementation. */
async function loadRotation() {
  const out = await build({
    stdin: {
      contents: `export { rotateTokenKeysInDatabase } from "./worker/integrations/rotate.ts";\nexport { database } from "./worker/db/client.ts";`,
      resolveDir: root,
      loader: "ts",
    },
    bundle: true,
    format: "esm",
    platform: "node",
    write: false,
    logLevel: "error",
  });
  const dir = await mkdtemp(join(tmpdir(), "taskpilot-rotate-"));
  const file = join(dir, "rotate.mjs");
  await writeFile(file, out.outputFiles[0].text);
  try {
    return await import(pathToFileURL(file).href);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const { rotateTokenKeysInDatabase, database } = await loadRotation();
const proxy = await getPlatformProxy({
  configPath: join(root, "wrangler.toml"),
  persist: values["persist-to"] ? { path: join(values["persist-to"], "v3") } : true,
  remoteBindings: false,
});
try {
  const keys = process.env.TOKEN_ENCRYPTION_KEYS ?? proxy.env.TOKEN_ENCRYPTION_KEYS;
  if (!keys) {
    console.error("TOKEN_ENCRYPTION_KEYS is not set (environment or .dev.vars).");
    process.exitCode = 2;
  } else {
    const report = await rotateTokenKeysInDatabase(database(proxy.env), keys);
    console.log(`Scanned ${report.scanned} integration(s); re-sealed ${report.rewritten} under key "${keys.split(":")[0].trim()}"; ${report.skipped} changed meanwhile (already current).`);
    if (report.unreadable.length > 0) {
      console.error(`No configured key opens ${report.unreadable.length} row(s): ${report.unreadable.join(", ")}. Keep the old keys until these are disconnected.`);
      process.exitCode = 1;
    }
  }
} finally {
  await proxy.dispose();
}
