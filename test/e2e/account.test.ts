import { readFile } from "node:fs/promises";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { TEST_PASSWORD as password, launchBrowser, registerInContext, uniqueEmail } from "./browser";

const baseUrl = inject("baseUrl");
let browser: Browser;

async function registeredPage(email: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: baseUrl, acceptDownloads: true });
  return registerInContext(context, { name: "Grace Hopper", email });
}

describe("account settings: export and deletion", () => {
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("downloads the data, refuses a wrong password, deletes the account, lands on sign-in, and the login is gone", async () => {
    const email = uniqueEmail("delete-me");
    const page = await registeredPage(email);

    await page.getByRole("button", { name: "Grace Hopper" }).click();
    await page.getByRole("menuitem", { name: "Settings" }).click();
    await page.waitForURL("**/settings");
    await page.getByRole("heading", { level: 1, name: "Settings" }).waitFor();

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download my data" }).click()]);
    expect(download.suggestedFilename()).toMatch(/^taskpilot-export-\d{4}-\d{2}-\d{2}\.json$/);
    const exported = await readFile((await download.path())!, "utf8");
    expect(JSON.parse(exported)).toMatchObject({ format: "taskpilot-account-export/1", user: { email, name: "Grace Hopper" } });
    expect(exported).not.toContain(password);

    await page.getByRole("button", { name: "Delete account…" }).click();
    const dialog = page.getByRole("alertdialog", { name: "Delete your account?" });
    await dialog.waitFor();
    // A modal dialog takes the focus, so typing goes straight into its password field.
    await page.keyboard.type("not my password");
    await dialog.getByRole("button", { name: "Delete account permanently" }).click();
    const alert = dialog.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toContain("password is not right");
    expect(new URL(page.url()).pathname).toBe("/settings");

    await dialog.getByLabel("Password").fill(password);
    await dialog.getByRole("button", { name: "Delete account permanently" }).click();
    await page.waitForURL("**/login?notice=account-deleted");
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    expect(await page.getByRole("status").textContent()).toContain("account and all of its data were deleted");

    // A reload finds no session to restore: the refresh cookie was cleared and its login deleted.
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").waitFor();
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.context().close();
  });

  it("Cancel and Escape close the dialog, focus returns to its button, and the account stays", async () => {
    const email = uniqueEmail("keep-me");
    const page = await registeredPage(email);
    await page.goto("/settings");
    await page.getByRole("button", { name: "Delete account…" }).click();
    const dialog = page.getByRole("alertdialog", { name: "Delete your account?" });
    await dialog.waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    // Focus goes back to the button that opened it.
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent?.trim())).toBe("Delete account…");
    await page.getByRole("button", { name: "Delete account…" }).click();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });

    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Settings" }).waitFor();
    await page.context().close();
  });
});
