import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, uniqueEmail } from "./browser";

const baseUrl = inject("baseUrl");
const SECTIONS = ["Chat", "Integrations", "Knowledge", "Templates", "Projects", "Apps"];
let browser: Browser;

async function signedInPage(viewport: { width: number; height: number }): Promise<Page> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport });
  const page = await context.newPage();
  await page.goto("/register");
  await page.getByLabel("Email").fill(uniqueEmail("layout"));
  await page.getByLabel("Password").fill("correct horse battery");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { level: 1, name: "Chat" }).waitFor();
  return page;
}

describe("the app shell on a phone", () => {
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("shows every section's link on screen, each with its name, in a nav bar that stays one row high", async () => {
    const page = await signedInPage({ width: 390, height: 844 });
    const nav = page.getByRole("navigation", { name: "Main" });
    for (const name of SECTIONS) {
      const box = await nav.getByRole("link", { name, exact: true }).boundingBox();
      expect(box, name).not.toBeNull();
      expect(box!.x, name).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, name).toBeLessThanOrEqual(390);
    }
    // The Chat page is short: the shell must not stretch the nav bar to fill the screen.
    const sidebar = await page.locator(".sidebar").boundingBox();
    expect(sidebar!.height).toBeLessThan(80);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    await nav.getByRole("link", { name: "Apps", exact: true }).click();
    await page.waitForURL("**/apps");
    await page.context().close();
  });
});
