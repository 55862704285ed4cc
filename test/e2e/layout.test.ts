import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, registerInContext, uniqueEmail } from "./browser";

const baseUrl = inject("baseUrl");
const SECTIONS = ["Chat", "Integrations", "Knowledge", "Templates", "Projects", "Apps"];
let browser: Browser;

async function signedInPage(viewport: { width: number; height: number }, colorScheme: "light" | "dark" = "light"): Promise<Page> {
  return registerInContext(await browser.newContext({ baseURL: baseUrl, viewport, colorScheme }), { email: uniqueEmail("layout") });
}

/** WCAG 2.x contrast ratio of two computed `rgb(r, g, b)` colours. */
function contrast(a: string, b: string): number {
  const luminance = (rgb: string) => {
    const [r, g, bl] = rgb.match(/\d+(\.\d+)?/g)!.slice(0, 3).map((c) => {
      const v = Number(c) / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe("the app shell: phone layout, contrast and keyboard use", () => {
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

  it.each(["light", "dark"] as const)("keeps 4.5:1 contrast on primary and danger buttons in the %s theme", async (scheme) => {
    const page = await signedInPage({ width: 1100, height: 800 }, scheme);
    const colours = (el: Element) => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor];
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integrations" }).click();
    const connect = page.getByRole("button", { name: "Connect Gmail" });
    await connect.waitFor();
    const [color, background] = await connect.evaluate(colours);
    expect(contrast(color!, background!)).toBeGreaterThanOrEqual(4.5);

    await page.goto("/settings");
    const danger = page.getByRole("button", { name: "Delete account…" });
    await danger.waitFor();
    const [dangerColor, dangerBackground] = await danger.evaluate(colours);
    expect(contrast(dangerColor!, dangerBackground!)).toBeGreaterThanOrEqual(4.5);
    await page.context().close();
  });

  it("works from the keyboard: skip link first, then a menu button whose menu arrows move through and Escape closes back onto it", async () => {
    const page = await signedInPage({ width: 1100, height: 800 });
    const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim());
    await page.keyboard.press("Tab");
    await expect.poll(focused).toBe("Skip to content");
    const trigger = page.locator(".user-menu__trigger");
    expect(await trigger.getAttribute("aria-haspopup")).toBe("true");
    expect(await trigger.getAttribute("aria-expanded")).toBe("false");

    await trigger.focus();
    await page.keyboard.press("Enter");
    const menu = page.getByRole("menu");
    await menu.waitFor();
    expect(await menu.getAttribute("id")).toBe("user-menu-panel");
    expect(await trigger.getAttribute("aria-expanded")).toBe("true");
    expect(await trigger.getAttribute("aria-controls")).toBe("user-menu-panel");
    expect(await menu.getByRole("menuitem").allTextContents()).toEqual(["Settings", "Sign out"]);
    // Enter opens onto the first item (the menu shows a moment before the item takes the focus); the arrows, Home and
    // End move between items.
    await expect.poll(focused).toBe("Settings");
    await page.keyboard.press("ArrowDown");
    await expect.poll(focused).toBe("Sign out");
    await page.keyboard.press("ArrowUp");
    await expect.poll(focused).toBe("Settings");
    await page.keyboard.press("End");
    await expect.poll(focused).toBe("Sign out");
    await page.keyboard.press("Home");
    await expect.poll(focused).toBe("Settings");

    await page.keyboard.press("Escape");
    await menu.waitFor({ state: "hidden" });
    await expect.poll(() => trigger.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await trigger.getAttribute("aria-expanded")).toBe("false");

    // ArrowUp opens onto the last item; Enter on an item acts and closes the menu.
    await page.keyboard.press("ArrowUp");
    await menu.waitFor();
    await expect.poll(focused).toBe("Sign out");
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("Enter");
    await page.waitForURL("**/settings");
    await menu.waitFor({ state: "hidden" });
    await page.context().close();
  });
});
