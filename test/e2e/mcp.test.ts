import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createHash, randomBytes } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, registerInContext, uniqueEmail } from "./browser";

const baseUrl = inject("baseUrl");
let browser: Browser;
const REDIRECT = "http://127.0.0.1:1/mcp-client/callback";

const b64url = (b: Buffer) => b.toString("base64url");

describe("MCP clients", () => {
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close().catch(() => undefined);
  });

  it("a client asks, the person approves on TaskPilot's page, the client lists the tools; Integrations shows it and Revoke ends it", async () => {
    const context = await browser.newContext({ baseURL: baseUrl });
    const page = await registerInContext(context, { email: uniqueEmail("mcp") });

    // Connect Gmail, so there are tools to give.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integrations" }).click();
    await page.locator('article[data-provider="gmail"]').getByRole("button", { name: "Connect Gmail" }).click();
    await page.waitForURL("**/sandbox/google/oauth/authorize?**");
    await page.getByLabel(/Signed in to Sandbox Google as/).fill(uniqueEmail("mcp-gmail"));
    await page.getByRole("button", { name: "Allow" }).click();
    await page.waitForURL((url) => url.pathname === "/integrations");
    await page.getByTestId("mcp-url").waitFor();
    expect(await page.getByTestId("mcp-url").textContent()).toBe(`${baseUrl}/mcp`);

    // The client registers itself and sends the browser to /authorize.
    const registered = await fetch(`${baseUrl}/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_name: "Inspector Test", redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" }),
    });
    expect(registered.status).toBe(201);
    const { client_id } = (await registered.json()) as { client_id: string };
    const verifier = b64url(randomBytes(32));
    const challenge = b64url(createHash("sha256").update(verifier).digest());
    const authorize = new URL("/authorize", baseUrl);
    for (const [k, v] of Object.entries({ response_type: "code", client_id, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: "S256", state: "e2e", resource: `${baseUrl}/mcp` })) {
      authorize.searchParams.set(k, v);
    }
    // The client's own callback is not a real server here: the browser's arrival there is caught.
    let callback: URL | undefined;
    await page.route(`${REDIRECT}**`, async (route) => {
      callback = new URL(route.request().url());
      await route.fulfill({ status: 200, contentType: "text/plain", body: "back in the client" });
    });
    await page.goto(authorize.toString());
    await page.getByRole("heading", { name: "Inspector Test wants to use your TaskPilot tools" }).waitFor();
    expect(await page.getByTestId("redirect-host").textContent()).toBe("127.0.0.1:1");
    expect(await page.locator(".mcp-consent__list").textContent()).toContain("Gmail");
    await page.getByRole("button", { name: "Approve" }).click();
    await expect.poll(() => callback?.searchParams.get("state"), { timeout: 10_000 }).toBe("e2e");

    const token = await fetch(`${baseUrl}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code: callback!.searchParams.get("code")!, redirect_uri: REDIRECT, client_id, code_verifier: verifier }),
    });
    expect(token.status).toBe(200);
    const { access_token } = (await token.json()) as { access_token: string };
    const client = new Client({ name: "e2e", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), { requestInit: { headers: { authorization: `Bearer ${access_token}` } } }));
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("gmail.search_messages");
    await client.close();

    // Integrations lists the app with its last use; Revoke ends its access.
    await page.goto("/integrations");
    const grant = page.getByTestId("mcp-grant").filter({ hasText: "Inspector Test" });
    await grant.waitFor();
    await expect.poll(() => grant.textContent(), { timeout: 10_000 }).toContain("last used");
    await grant.getByRole("button", { name: "Revoke Inspector Test" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Revoke" }).click();
    await expect.poll(() => page.getByTestId("mcp-grant").count(), { timeout: 10_000 }).toBe(0);
    const after = await fetch(`${baseUrl}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${access_token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(after.status).toBe(401);
    await context.close();
  });
});
