import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Debian's Chromium (never a Playwright download, which this network blocks). */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
  if (!existsSync(path)) {
    throw new Error(
      `No Chromium at ${path}. The browser tests need it: run "apt-get update && apt-get install -y chromium" ` +
        "(or set CHROMIUM_PATH to a Chromium binary).",
    );
  }
  return path;
}

/**
 * A random private address per browser context, sent as CF-Connecting-IP
 * (the local runtime keeps a client's own value). Each context is one person
 * at their own address, as in production: the suite signs up dozens of
 * accounts per run, which from one shared 127.0.0.1 would run into the
 * per-address sign-up limit, and that limit stays as it is.
 */
function contextAddress(): string {
  const [a, b, c] = crypto.getRandomValues(new Uint8Array(3));
  return `10.${a}.${b}.${c}`;
}

export async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_FLAGS });
  const newContext = browser.newContext.bind(browser);
  browser.newContext = (options = {}) =>
    newContext({ ...options, extraHTTPHeaders: { "cf-connecting-ip": contextAddress(), ...options.extraHTTPHeaders } });
  return browser;
}

/** A unique address per test, so tests never share an account. */
export function uniqueEmail(label: string): string {
  return `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.test`;
}

export const TEST_PASSWORD = "correct horse battery";

/** Signs a new account up through the registration form in a fresh tab of `context`; resolves on the Chat page. */
export async function registerInContext(
  context: BrowserContext,
  account: { name?: string; email?: string; password?: string } = {},
): Promise<Page> {
  const page = await context.newPage();
  await page.goto("/register");
  if (account.name) await page.getByLabel("Name").fill(account.name);
  await page.getByLabel("Email").fill(account.email ?? uniqueEmail("user"));
  await page.getByLabel("Password").fill(account.password ?? TEST_PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL("**/chat");
  return page;
}
