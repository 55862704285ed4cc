import type { Browser, BrowserContext, Page, Response } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { AccountExport, CookieSession } from "../../worker/contract/auth";
import { launchBrowser, registerInContext, uniqueEmail } from "./browser";

const baseUrl = inject("baseUrl");
let browser: Browser;

/** Signed in on the Chat page, or failing at once if the tab was sent to sign in. */
async function expectSignedIn(page: Page, name: string) {
  const chat = page.getByRole("heading", { level: 1, name: "Chat" });
  await chat.or(page.getByRole("heading", { level: 1, name: "Sign in" })).waitFor();
  expect(new URL(page.url()).pathname).toBe("/chat");
  await chat.waitFor();
  await page.getByRole("button", { name }).waitFor();
}

/** Every answer the server gave to a refresh in this context, by status. */
function watchRefreshes(context: BrowserContext): number[] {
  const statuses: number[] = [];
  context.on("response", (res: Response) => {
    if (new URL(res.url()).pathname === "/api/auth/refresh") statuses.push(res.status());
  });
  return statuses;
}

describe("several tabs of one signed-in browser", () => {
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("three tabs reloaded at once all stay signed in, and the login is not revoked", async () => {
    const context = await browser.newContext({ baseURL: baseUrl });
    const name = "Mary Jackson";
    const first = await registerInContext(context, { name, email: uniqueEmail("tabs") });
    const tabs = [first, await context.newPage(), await context.newPage()];
    for (const tab of tabs.slice(1)) await tab.goto("/chat");
    for (const tab of tabs) await expectSignedIn(tab, name);

    // A reload drops the tab's in-memory access token, so every tab needs a refresh at the same moment: the case of a
    // browser restoring its session. Without coordination they would all present the same cookie, and the second
    // presentation of a spent token ends the login (reuse detection).
    const refreshes = watchRefreshes(context);
    for (let round = 0; round < 3; round++) {
      await Promise.all(tabs.map((tab) => tab.reload()));
      for (const tab of tabs) await expectSignedIn(tab, name);
    }
    expect(refreshes.length).toBeGreaterThanOrEqual(3);
    expect(refreshes.every((status) => status === 200)).toBe(true);

    // The server's side: the cookie still rotates, and no login of the account was ended.
    const res = await context.request.post("/api/auth/refresh", { data: {}, headers: { "x-taskpilot-client": "web" } });
    expect(res.status()).toBe(200);
    const session = (await res.json()) as CookieSession;
    expect(session).not.toHaveProperty("refreshToken");
    const exported = (await (await context.request.get("/api/me/export", { headers: { authorization: `Bearer ${session.accessToken}` } })).json()) as AccountExport;
    expect(exported.logins).toHaveLength(1);
    expect(exported.logins[0]).toMatchObject({ revokedAt: null, revokedReason: null });

    await context.close();
  });
});
