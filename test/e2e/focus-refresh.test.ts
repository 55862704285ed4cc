import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { TEST_PASSWORD, launchBrowser, registerInContext, uniqueEmail } from "./browser";

const baseUrl = inject("baseUrl");
let browser: Browser;

/**
 * Puts a filter on the app's realtime socket: while `withhold` is on, the
 * page never receives `integration` frames (pings and pongs still flow, so
 * the socket stays healthy). That is the case focus-aware refresh exists
 * for: server state changed and the tab saw no event for it.
 */
async function filterRealtime(context: BrowserContext) {
  const filter = { withhold: false, withheld: 0 };
  await context.routeWebSocket(/\/api\/realtime\?/, (page) => {
    const server = page.connectToServer();
    server.onMessage((message) => {
      if (filter.withhold && String(message).includes('"kind":"integration"')) {
        filter.withheld += 1;
        return;
      }
      page.send(message);
    });
  });
  return filter;
}

/** Hides or shows the tab the way the browser reports it: the state the app reads, and the event it listens to. */
async function setVisibility(page: Page, state: "hidden" | "visible") {
  await page.evaluate((next) => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => next });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => next === "hidden" });
    document.dispatchEvent(new Event("visibilitychange"));
  }, state);
}

/**
 * Publishes a status event and waits for the tab to show it. Frames arrive
 * in order on the one socket, so once the marker is on screen the tab has
 * handled everything sent before it: a positive signal to check that
 * something did not happen, instead of waiting a while.
 */
async function markerShown(page: Page, accessToken: string, message: string) {
  const published = await fetch(`${baseUrl}/api/realtime/test-event`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ message }),
  });
  expect(published.status).toBe(201);
  await page.getByText(message, { exact: true }).waitFor();
}

const gmailStatus = (page: Page) => page.locator('article[data-provider="gmail"]').getByTestId("status").textContent();

describe("focus-aware refresh in the browser", () => {
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("shows a change the tab got no event for once it is visible again, with one refetch and no reload", async () => {
    const email = uniqueEmail("focus");
    const context = await browser.newContext({ baseURL: baseUrl });
    const filter = await filterRealtime(context);
    const page = await registerInContext(context, { email });

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integrations" }).click();
    const gmail = page.locator('article[data-provider="gmail"]');
    await gmail.getByRole("button", { name: "Connect Gmail" }).click();
    await page.waitForURL("**/sandbox/google/oauth/authorize?**");
    await page.getByLabel(/Signed in to Sandbox Google as/).fill(uniqueEmail("sandbox"));
    await page.getByRole("button", { name: "Allow" }).click();
    await page.waitForURL((url) => url.pathname === "/integrations");
    await expect.poll(() => gmailStatus(page)).toBe("Connected");
    await page.getByLabel("Realtime: Live").waitFor();
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));

    // The person switches away; meanwhile another client of theirs disconnects Gmail, and no event reaches this tab.
    await setVisibility(page, "hidden");
    filter.withhold = true;
    const login = await fetch(`${baseUrl}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: TEST_PASSWORD }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const disconnected = await fetch(`${baseUrl}/api/integrations/gmail/disconnect`, {
      method: "POST",
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(disconnected.status).toBe(200);
    await expect.poll(() => filter.withheld).toBeGreaterThan(0);
    await markerShown(page, accessToken, "Marker after the disconnect");
    expect(await gmailStatus(page)).toBe("Connected");

    const listFetches: string[] = [];
    page.on("request", (request) => {
      if (request.method() === "GET" && new URL(request.url()).pathname === "/api/integrations") listFetches.push(request.url());
    });

    // Coming back fires visibilitychange and focus together (twice here, as some window managers do): one refetch.
    await setVisibility(page, "visible");
    await page.evaluate(() => window.dispatchEvent(new Event("focus")));
    await setVisibility(page, "hidden");
    await setVisibility(page, "visible");
    await page.evaluate(() => window.dispatchEvent(new Event("focus")));
    await expect.poll(() => gmailStatus(page)).toBe("Disconnected");
    await markerShown(page, accessToken, "Marker after the refetch");
    expect(listFetches).toHaveLength(1);
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    await context.close();
  });
});
