import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

/** directive → its sources, from a Content-Security-Policy header. */
const directives = (csp: string) =>
  new Map(
    csp
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name!, sources]),
  );

describe("Content-Security-Policy: where a page may connect", () => {
  // The SPA reaches the API and its socket on its own origin only; ws: / wss: would let injected
  // script ship data to any socket server. (What `wrangler dev` serves is checked in test/e2e/auth.)
  it.each(["/", "/integrations", "/integrations/deep/link"])("the SPA at %s may connect to 'self' and nothing else", async (path) => {
    const res = await env.ASSETS.fetch(`https://app.test${path}`);
    expect(res.status).toBe(200);
    const csp = directives(res.headers.get("content-security-policy") ?? "");
    expect(csp.get("connect-src")).toEqual(["'self'"]);
    expect(csp.get("default-src")).toEqual(["'self'"]);
  });

  it("the worker's own answers may connect nowhere (default-src 'none', no connect-src to widen it)", async () => {
    for (const path of ["/api/health", "/api/nope", "/api/integrations"]) {
      const csp = directives((await SELF.fetch(`https://app.test${path}`)).headers.get("content-security-policy") ?? "");
      expect(csp.get("default-src"), path).toEqual(["'none'"]);
      expect(csp.has("connect-src"), path).toBe(false);
      expect(csp.get("frame-ancestors"), path).toEqual(["'none'"]);
    }
  });
});
