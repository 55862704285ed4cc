import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { TEST_PASSWORD, launchBrowser, registerInContext, uniqueEmail } from "./browser";

const baseUrl = inject("baseUrl");
let browser: Browser;

/** A separate sign-in from Node, the way a feature of the worker would publish for this user. */
async function publisherFor(email: string) {
  const res = await fetch(`${baseUrl}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: TEST_PASSWORD }),
  });
  const { accessToken } = (await res.json()) as { accessToken: string };
  return async (message: string) => {
    const published = await fetch(`${baseUrl}/api/realtime/test-event`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ message }),
    });
    expect(published.status).toBe(201);
  };
}

const live = (page: Page) => page.getByLabel("Realtime: Live").waitFor();
const activity = (page: Page, text: string) => page.getByTestId("realtime-activity").filter({ hasText: text }).waitFor();
const announcer = (page: Page) => page.getByTestId("realtime-announcer");

describe("live events in the browser", () => {
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("shows an event in two open tabs without a reload, and a tab catches up after a disconnect", async () => {
    const email = uniqueEmail("realtime");
    const context = await browser.newContext({ baseURL: baseUrl });
    const first = await registerInContext(context, { name: "Katherine Johnson", email });
    await live(first);
    const second = await context.newPage();
    await second.goto("/chat");
    await live(second);
    for (const page of [first, second]) await page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true));
    // Everything the connection's live region says from here on.
    await first.evaluate(() => {
      const region = document.querySelector('[data-testid="realtime-announcer"]')!;
      const said: string[] = ((window as unknown as { announced: string[] }).announced = []);
      new MutationObserver(() => said.push(region.textContent ?? "")).observe(region, { childList: true, characterData: true, subtree: true });
    });

    const publish = await publisherFor(email);
    await publish("Spec plan is ready");
    await activity(first, "Spec plan is ready");
    await activity(second, "Spec plan is ready");
    // Events are shown, not read out: the activity line is no live region, and going live at load was not announced.
    for (const attr of ["role", "aria-live"]) expect(await first.getByTestId("realtime-activity").getAttribute(attr)).toBeNull();
    expect(await announcer(first).getAttribute("aria-live")).toBe("polite");
    expect(await announcer(first).textContent()).toBe("");

    // The browser loses the network: the tab says so (and announces it), and misses what happens meanwhile.
    await context.setOffline(true);
    await first.getByLabel("Realtime: Offline").waitFor();
    await expect.poll(() => announcer(first).textContent()).toContain("Realtime: Offline");
    await publish("Phase explore completed while you were away");
    await context.setOffline(false);
    await live(first);
    await expect.poll(() => announcer(first).textContent()).toContain("Realtime: Live");
    await activity(first, "Phase explore completed while you were away");
    await activity(second, "Phase explore completed while you were away");
    await publish("One more event");
    await activity(first, "One more event");
    // It spoke of the connection only, never of an event.
    const said = await first.evaluate(() => (window as unknown as { announced: string[] }).announced.filter(Boolean));
    expect(said.length).toBeGreaterThanOrEqual(2);
    expect(said.every((text) => text.startsWith("Realtime: "))).toBe(true);
    expect(said[0]).toContain("Offline");
    expect(said.at(-1)).toContain("Live");

    for (const page of [first, second]) {
      expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
    }
    await context.close();
  });

  it("never shows another user's events", async () => {
    const [emailA, emailB] = [uniqueEmail("realtime-a"), uniqueEmail("realtime-b")];
    const contextA = await browser.newContext({ baseURL: baseUrl });
    const contextB = await browser.newContext({ baseURL: baseUrl });
    const pageA = await registerInContext(contextA, { name: "Katherine Johnson", email: emailA });
    const pageB = await registerInContext(contextB, { name: "Katherine Johnson", email: emailB });
    await Promise.all([live(pageA), live(pageB)]);
    await (await publisherFor(emailA))("Only for A");
    await (await publisherFor(emailB))("Only for B");
    await activity(pageA, "Only for A");
    await activity(pageB, "Only for B");
    expect(await pageB.getByText("Only for A").count()).toBe(0);
    expect(await pageA.getByText("Only for B").count()).toBe(0);
    await Promise.all([contextA.close(), contextB.close()]);
  });
});
