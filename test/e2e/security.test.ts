import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, registerInContext, TEST_PASSWORD, uniqueEmail } from "./browser";
import { runNode } from "../cli/run";

const baseUrl = inject("baseUrl");
const persistTo = inject("persistTo");
let browser: Browser;

const FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";

describe("Settings → Security", () => {
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close().catch(() => undefined);
  });

  it("shows a sign-in from a second browser in plain words; This wasn't me signs every browser out; the admin CLI reads the log", async () => {
    const email = uniqueEmail("security");
    const mine = await registerInContext(await browser.newContext({ baseURL: baseUrl }), { email });

    // Someone signs in from another browser (another address, another device).
    const otherContext = await browser.newContext({ baseURL: baseUrl, userAgent: FIREFOX_ON_WINDOWS });
    const other = await otherContext.newPage();
    await other.goto("/login");
    await other.getByLabel("Email").fill(email);
    await other.getByLabel("Password").fill(TEST_PASSWORD);
    await other.getByRole("button", { name: "Sign in" }).click();
    await other.waitForURL("**/chat");

    await mine.goto("/settings");
    const log = mine.getByRole("list", { name: "Recent activity" });
    await log.waitFor();
    const signIn = log.locator('li[data-action="auth.login_succeeded"]').first();
    await expect.poll(() => signIn.textContent(), { timeout: 10_000 }).toMatch(/Signed in from .+, Firefox on Windows/);
    expect(await log.locator('li[data-action="auth.register"]').textContent()).toContain("Account created");

    // "This wasn't me": asked first, then every browser is signed out.
    await mine.getByRole("button", { name: "This wasn't me: end every sign-in and access" }).click();
    await mine.getByRole("alertdialog").getByRole("button", { name: "This wasn't me" }).click();
    await mine.waitForURL("**/login?notice=sessions-ended");
    await mine.getByText("Every sign-in, integration and app access was ended.").waitFor();
    await other.reload();
    await other.waitForURL("**/login**");

    // An operator grants a role and reads the same log from the command line; both are recorded.
    const granted = await runNode(["scripts/admin-grant.mjs", email, "--persist-to", persistTo]);
    expect(granted.code, granted.stderr).toBe(0);
    const cli = await runNode(["scripts/admin-audit.mjs", email, "--persist-to", persistTo]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain("auth.sessions_ended");
    expect(cli.stdout).toContain("auth.login_succeeded");
    expect(cli.stdout).toMatch(/admin\.role_granted\s+success\s+cli:/);
    const again = await runNode(["scripts/admin-audit.mjs", email, "--persist-to", persistTo]);
    expect(again.stdout).toMatch(/admin\.audit_read\s+success\s+cli:/);
    const nobody = await runNode(["scripts/admin-audit.mjs", "nobody@example.test", "--persist-to", persistTo]);
    expect([nobody.code, nobody.stderr.trim()]).toEqual([1, "No account has the email nobody@example.test."]);
    await otherContext.close();
  });
});
