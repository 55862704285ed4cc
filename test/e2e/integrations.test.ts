import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, registerInContext, uniqueEmail } from "./browser";

const baseUrl = inject("baseUrl");
let browser: Browser;

async function registeredPage(): Promise<Page> {
  return registerInContext(await browser.newContext({ baseURL: baseUrl }), { name: "Grace Hopper", email: uniqueEmail("integrations") });
}

const gmailCard = (page: Page) => page.locator('article[data-provider="gmail"]');

async function openIntegrations(page: Page) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integrations" }).click();
  await page.getByRole("heading", { level: 1, name: "Integrations" }).waitFor();
  await gmailCard(page).waitFor();
}

/** Connect → the sandbox consent page → the given decision. */
async function decideOnConsent(page: Page, decision: "Allow" | "Deny", sandboxEmail: string) {
  await gmailCard(page).getByRole("button", { name: "Connect Gmail" }).click();
  await page.waitForURL("**/sandbox/google/oauth/authorize?**");
  await page.getByRole("heading", { name: "TaskPilot wants to read your Sandbox Gmail" }).waitFor();
  await page.getByLabel(/Signed in to Sandbox Google as/).fill(sandboxEmail);
  await page.getByRole("button", { name: decision }).click();
  await page.waitForURL((url) => url.pathname === "/integrations");
}

describe("Integrations page with the sandbox providers", () => {
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("connects Sandbox Gmail through its consent page, shows it connected, and disconnects it", async () => {
    const page = await registeredPage();
    await openIntegrations(page);
    expect(await page.locator("article[data-provider]").evaluateAll((cards) => cards.map((c) => c.getAttribute("data-provider")))).toEqual([
      "gmail",
      "calendar",
      "slack",
      "github",
    ]);
    await expect.poll(() => gmailCard(page).getByTestId("status").textContent()).toBe("Disconnected");
    // A second tab of the same session, left alone: it must follow along through pushed events.
    const other = await page.context().newPage();
    await other.goto("/integrations");
    await gmailCard(other).waitFor();
    await expect.poll(() => gmailCard(other).getByTestId("status").textContent()).toBe("Disconnected");

    const sandboxEmail = uniqueEmail("sandbox");
    await decideOnConsent(page, "Allow", sandboxEmail);
    await expect.poll(() => gmailCard(page).getByTestId("status").textContent()).toBe("Connected");
    await expect.poll(() => gmailCard(other).getByTestId("status").textContent()).toBe("Connected");
    expect(await page.getByTestId("integration-toast").textContent()).toContain("Gmail is connected.");
    // The query string that carried the result is gone, so a reload does not announce it again.
    expect(new URL(page.url()).search).toBe("");
    expect(await gmailCard(page).textContent()).toContain(sandboxEmail);
    expect(await gmailCard(page).textContent()).toContain("gmail.readonly");
    expect(await gmailCard(page).textContent()).toContain("gmail.search_messages, gmail.get_message, gmail.send_email");

    await gmailCard(page).getByText("Debug: event history").click();
    await expect.poll(() => gmailCard(page).locator(".event-history__type").allTextContents()).toEqual(["connected", "oauth_started"]);

    await gmailCard(page).getByRole("button", { name: "Disconnect Gmail" }).click();
    await expect.poll(() => gmailCard(page).getByTestId("status").textContent()).toBe("Disconnected");
    await expect.poll(() => gmailCard(other).getByTestId("status").textContent()).toBe("Disconnected");
    await expect.poll(() => gmailCard(page).locator(".event-history__type").first().textContent()).toBe("disconnected");
    await gmailCard(page).getByRole("button", { name: "Connect Gmail" }).waitFor();
    await page.context().close();
  });

  it("says in plain words that access was denied when the consent is refused", async () => {
    const page = await registeredPage();
    await openIntegrations(page);
    await decideOnConsent(page, "Deny", uniqueEmail("denier"));
    const toast = page.getByTestId("integration-toast");
    await toast.waitFor();
    expect(await toast.getAttribute("role")).toBe("alert");
    expect(await toast.textContent()).toContain("You chose Deny on the Gmail consent page, so nothing was connected.");
    expect(new URL(page.url()).search).toBe("");
    await expect.poll(() => gmailCard(page).getByTestId("status").textContent()).toBe("Disconnected");
    await page.context().close();
  });
});
