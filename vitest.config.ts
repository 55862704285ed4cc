import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

/** Fixed, test-only secrets. "k1" (32 × 0x01) encrypts; "k0" (32 × 0x02) is an older key that still decrypts. */
const TEST_SECRETS = {
  JWT_SECRET: "test-jwt-secret-0123456789abcdef0123456789abcdef",
  TOKEN_ENCRYPTION_KEYS: "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=,k0:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=",
  LOG_LEVEL: "warn",
  GITHUB_WEBHOOK_SECRET: "test-github-webhook-secret",
  SLACK_SIGNING_SECRET: "test-slack-signing-secret",
  METRICS_TOKEN: "test-metrics-token-0123456789abcdef0123456789abcdef",
};

/** Every provider's OAuth endpoints point at the local OAuth server that test/worker/integrations-oauth-server.ts starts. */
function providerOverrides(oauthServerUrl: string): Record<string, string> {
  return Object.fromEntries(
    ["GOOGLE", "SLACK", "GITHUB"].flatMap((p) => [
      [`${p}_CLIENT_ID`, `test-${p.toLowerCase()}-client`],
      [`${p}_CLIENT_SECRET`, `test-${p.toLowerCase()}-secret`],
      [`${p}_AUTHORIZE_URL`, `${oauthServerUrl}/authorize`],
      [`${p}_TOKEN_URL`, `${oauthServerUrl}/token`],
      [`${p}_REVOKE_URL`, `${oauthServerUrl}/revoke`],
      [`${p}_API_URL`, oauthServerUrl],
    ]),
  );
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./drizzle");
  return {
    test: {
      reporters: ["default", "./test/summary-reporter.ts"],
      // Unit, worker and command-line files run side by side, at least two at a time: a workerd test file spends
      // about half its time waiting (runtime start, module fetches over the pool's socket), so even a two-core
      // machine fills its second core. The browser files then run one at a time against their one dev server.
      maxWorkers: Math.max(2, availableParallelism() - 1),
      projects: [
        {
          test: {
            name: "unit",
            include: ["test/unit/**/*.test.ts"],
            environment: "node",
          },
        },
        {
          plugins: [
            cloudflareTest(({ inject }) => ({
              main: "./worker/dev/index.ts",
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: { ...TEST_SECRETS, ...providerOverrides(inject("oauthServerUrl")), TEST_MIGRATIONS: migrations },
              },
            })),
          ],
          test: {
            name: "worker",
            include: ["test/worker/**/*.test.ts"],
            // Every test file loads the whole worker into a fresh runtime, module by module over the pool's socket
            // (about a thousand modules, openai and zod the most). Pre-bundled, each package here is one module:
            // a file's setup drops from about 10 s to 5 s. These are the packages worker/ imports; one left out
            // still works, only slower.
            deps: {
              optimizer: {
                ssr: {
                  enabled: true,
                  include: [
                    "hono", "hono/cookie", "hono/validator", "hono/utils/http-status", "hono/utils/handler", "hono/secure-headers",
                    "hono/request-id", "hono/http-exception", "hono/cors", "hono/body-limit",
                    "zod", "drizzle-orm", "drizzle-orm/sqlite-core", "drizzle-orm/d1",
                    "openai", "openai/resources/chat/completions", "arctic", "jose", "gpt-tokenizer/encoding/cl100k_base",
                    "@octokit/rest", "@cloudflare/workers-oauth-provider",
                    "@modelcontextprotocol/sdk/validation/cfworker", "@modelcontextprotocol/sdk/types.js",
                    "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js", "@modelcontextprotocol/sdk/server/index.js",
                  ],
                },
              },
            },
            setupFiles: ["./test/worker/setup.ts"],
            globalSetup: ["./test/worker/integrations-oauth-server.ts", "./test/worker/fake-openai-server.ts"],
          },
        },
        {
          // The command-line scripts run as a person runs them (wrangler, npm run …), each file on its own state
          // and, when it needs one, its own server: they share nothing, so they run beside the worker files.
          test: {
            name: "cli",
            include: ["test/cli/**/*.test.ts"],
            environment: "node",
            testTimeout: 60_000,
            hookTimeout: 120_000,
          },
        },
        {
          test: {
            name: "e2e",
            include: ["test/e2e/**/*.test.ts"],
            environment: "node",
            globalSetup: ["./test/e2e/global-setup.ts"],
            testTimeout: 60_000,
            hookTimeout: 120_000,
            fileParallelism: false,
          },
        },
      ],
    },
  };
});
