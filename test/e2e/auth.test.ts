import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, uniqueEmail } from "./browser";

const baseUrl = inject("baseUrl");
let browser: Browser;

async function openPage(path: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: baseUrl });
  const page = await context.newPage();
  await page.goto(path);
  return page;
}

async function expectSignedIn(page: Page, name: string) {
  await page.getByRole("heading", { level: 1, name: "Chat" }).waitFor();
  await page.getByRole("button", { name }).waitFor();
  expect(await page.getByRole("navigation", { name: "Main" }).getByRole("link").allTextContents()).toEqual([
    "Chat",
    "Integrations",
    "Knowledge",
    "Templates",
    "Projects",
    "Apps",
  ]);
}

describe("signing up, staying signed in, signing out", () => {
  // A missing Chromium fails here, loudly, with the install command.
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("registers, survives a reload, signs out and signs back in", async () => {
    const email = uniqueEmail("journey");
    const password = "correct horse battery";
    const page = await openPage("/");

    await page.waitForURL("**/login?next=*");
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByLabel("Name").fill("Ada Lovelace");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL("**/chat");
    await expectSignedIn(page, "Ada Lovelace");

    // The access token is memory-only; the refresh cookie alone restores the session.
    await page.reload();
    await expectSignedIn(page, "Ada Lovelace");
    expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);
    expect(await page.evaluate(() => document.cookie)).not.toContain("tp_refresh");

    await page.getByRole("link", { name: "Knowledge" }).click();
    await page.getByRole("heading", { level: 1, name: "Knowledge" }).waitFor();

    // Keyboard only: open the user menu, ArrowDown to Sign out, Enter signs out.
    await page.getByRole("button", { name: "Ada Lovelace" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("menuitem", { name: "Sign out" }).waitFor();
    // The menu shows before its first item takes the focus; an arrow pressed in between goes to the button.
    const focused = () => page.evaluate(() => document.activeElement?.textContent ?? "");
    await expect.poll(focused).toContain("Settings");
    await page.keyboard.press("ArrowDown");
    await expect.poll(focused).toContain("Sign out");
    await page.keyboard.press("Enter");
    await page.waitForURL("**/login");
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();

    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByLabel("Password").press("Enter");
    await page.waitForURL("**/chat");
    await expectSignedIn(page, "Ada Lovelace");
    await page.context().close();
  });

  it("shows the server's error for wrong credentials and stays on the sign-in page", async () => {
    const page = await openPage("/login");
    await page.getByLabel("Email").fill(uniqueEmail("nobody"));
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect((await alert.textContent())?.length).toBeGreaterThan(5);
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.context().close();
  });

  it("sends a signed-out visitor of a deep link to sign-in and back there afterwards", async () => {
    const email = uniqueEmail("deeplink");
    const setup = await openPage("/register");
    await setup.getByLabel("Email").fill(email);
    await setup.getByLabel("Password").fill("another good password");
    await setup.getByRole("button", { name: "Create account" }).click();
    await setup.waitForURL("**/chat");
    await setup.context().close();

    const page = await openPage("/projects");
    await page.waitForURL("**/login?next=%2Fprojects");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("another good password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL("**/projects");
    await page.getByRole("heading", { level: 1, name: "Projects" }).waitFor();
    await page.context().close();
  });
});

describe("what the server sends the browser", () => {
  it.each(["/", "/chat", "/integrations/deep/link"])("serves %s with the SPA security headers", async (path) => {
    const res = await fetch(`${baseUrl}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    // Same-origin WebSocket is covered by 'self'; no other socket host.
    expect(csp).toContain("connect-src 'self';");
    expect(csp).not.toMatch(/\bwss?:/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
  });

  it("serves the bundled script with nosniff and a JavaScript type", async () => {
    const html = await (await fetch(`${baseUrl}/`)).text();
    const script = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const res = await fetch(`${baseUrl}${script}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("javascript");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    await res.body?.cancel();
  });

  it("answers unknown /api paths with a problem+json 404, never the SPA page", async () => {
    const res = await fetch(`${baseUrl}/api/definitely/not/a/route`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const body = (await res.json()) as { code: string; status: number };
    expect(body).toMatchObject({ code: "not_found", status: 404 });
  });
});
