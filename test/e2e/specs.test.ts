import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, registerInContext, uniqueEmail } from "./browser";

const baseUrl = inject("baseUrl");
let browser: Browser;

/** The sandbox's GitHub login for an email (worker/sandbox/identity.ts). */
const loginOf = (email: string) => email.split("@")[0]!.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");

async function connectGithub(page: Page, sandboxEmail: string) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integrations" }).click();
  await page.getByRole("button", { name: "Connect GitHub" }).click();
  await page.waitForURL("**/sandbox/github/oauth/authorize?**");
  await page.getByLabel(/Signed in to Sandbox GitHub as/).fill(sandboxEmail);
  await page.getByRole("button", { name: "Allow" }).click();
  await page.waitForURL((url) => url.pathname === "/integrations");
}

describe("Projects → specs → pull requests", () => {
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close().catch(() => undefined);
  });

  it("links the sandbox repository, writes and refines a spec, plans, executes live to a pull request, merges it in the sandbox and sees merged", async () => {
    const context = await browser.newContext({ baseURL: baseUrl });
    const page = await registerInContext(context, { email: uniqueEmail("specs") });
    const sandboxEmail = uniqueEmail("specs-gh");
    const repo = `${loginOf(sandboxEmail)}/taskpilot-demo`;
    await connectGithub(page, sandboxEmail);

    // A repository that does not exist is refused under the field; the real one is linked.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Projects" }).click();
    await page.getByRole("heading", { level: 1, name: "Projects" }).waitFor();
    await page.getByRole("button", { name: "Link a repository" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Name").fill("Demo");
    await dialog.getByLabel("GitHub repository").fill(`${loginOf(sandboxEmail)}/nope`);
    await dialog.getByRole("button", { name: "Link repository" }).click();
    await expect.poll(() => dialog.getByTestId("repo-error").textContent(), { timeout: 10_000 }).toContain("has no repository");
    await dialog.getByLabel("GitHub repository").fill(repo);
    await dialog.getByRole("button", { name: "Link repository" }).click();
    await page.waitForURL(/\/projects\/[0-9a-f-]{36}$/);
    await page.getByRole("heading", { level: 1, name: "Demo" }).waitFor();

    // Write a spec, refine it once, edit its prompt.
    await page.getByLabel("What should be built?").fill("Add a health endpoint in src/health.ts.");
    await page.getByLabel("Title (optional)").fill("Health endpoint");
    await page.getByRole("button", { name: "Write spec" }).click();
    await page.waitForURL(/\/specs\/[0-9a-f-]{36}$/);
    await expect.poll(() => page.getByTestId("spec-status").textContent(), { timeout: 10_000 }).toBe("Collecting");
    await page.getByLabel("Message").fill("Document it in docs/health.md.");
    await page.getByLabel("Message").press("Enter");
    await expect.poll(() => page.getByTestId("spec-message-assistant").first().textContent(), { timeout: 10_000 }).toContain("Document it in docs/health.md.");
    await page.getByRole("button", { name: "Edit prompt" }).click();
    await page.getByRole("dialog").getByLabel("Prompt").fill("Add a health endpoint in src/health.ts.\nIt answers JSON with the version.");
    await page.getByRole("dialog").getByRole("button", { name: "Save prompt" }).click();
    await expect.poll(() => page.locator(".spec-prompt").textContent(), { timeout: 10_000 }).toContain("It answers JSON with the version.");

    // Plan: the PRD (rendered markdown) and the tasks appear; Execute is enabled.
    await page.getByRole("button", { name: "Plan", exact: true }).click();
    await expect.poll(() => page.getByTestId("spec-status").textContent(), { timeout: 10_000 }).toBe("Ready");
    await page.getByTestId("prd").getByRole("heading", { level: 1, name: "Health endpoint" }).waitFor();
    expect(await page.locator(".task-list > li").count()).toBeGreaterThanOrEqual(2);
    expect(await page.getByRole("button", { name: "Execute" }).isEnabled()).toBe(true);
    await page.getByRole("button", { name: "Execute" }).click();

    // The build view goes live and ends with the pull request link.
    await page.getByTestId("build-view").waitFor();
    await expect.poll(() => page.getByTestId("pr-link").count(), { timeout: 60_000 }).toBe(1);
    for (const phase of ["explore", "implement", "verify", "pr"]) {
      await expect.poll(() => page.getByTestId(`phase-${phase}`).getAttribute("data-state"), { timeout: 10_000 }).toBe("done");
    }
    expect(await page.getByTestId("spec-status").textContent()).toBe("Pull request open");

    // Open the pull request link (a new tab on the sandbox GitHub) and merge it there.
    expect(await page.getByTestId("pr-link").getAttribute("href")).toContain(`/sandbox/github/web/${repo}/pull/`);
    const [pr] = await Promise.all([context.waitForEvent("page"), page.getByTestId("pr-link").click()]);
    await pr.waitForLoadState();
    await pr.getByRole("button", { name: "Merge pull request" }).click();
    await pr.getByText("Merged", { exact: false }).first().waitFor();
    await pr.close();

    // Back on the spec page: the signed delivery moves the spec to merged, live, and it stays so after a reload.
    await page.bringToFront();
    await expect.poll(() => page.getByTestId("spec-status").textContent(), { timeout: 20_000 }).toBe("Merged");
    await expect.poll(() => page.getByTestId("spec-outcome").textContent(), { timeout: 10_000 }).toBe("Merged");
    await page.reload();
    await expect.poll(() => page.getByTestId("spec-status").textContent(), { timeout: 10_000 }).toBe("Merged");

    // Apps lists it.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Apps" }).click();
    await page.getByRole("link", { name: "Health endpoint" }).waitFor();
    await context.close();
  });
});
