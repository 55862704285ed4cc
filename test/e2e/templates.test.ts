import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, registerInContext, uniqueEmail } from "./browser";

const baseUrl = inject("baseUrl");
let browser: Browser;

const TEMPLATE = "builtin-gmail-unread-from";
const need = (page: Page, provider: string) => page.locator(`li.template-need[data-provider="${provider}"]`);

async function registered(label: string): Promise<Page> {
  return registerInContext(await browser.newContext({ baseURL: baseUrl }), { email: uniqueEmail(label) });
}

describe("Templates", () => {
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close().catch(() => undefined);
  });

  it("picks a built-in template, explains a wrong value, connects the missing integration from the page, starts, and lands in a chat whose first turn already called the tool", async () => {
    const page = await registered("templates");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Templates" }).click();
    await page.getByRole("heading", { level: 1, name: "Templates" }).waitFor();

    // Search narrows the library; the card opens the template.
    await page.getByLabel("Search templates").fill("unread email");
    const cards = page.getByRole("tabpanel").locator(".template-card");
    await expect.poll(() => cards.count(), { timeout: 10_000 }).toBe(1);
    await page.getByRole("link", { name: "Summarise unread email from a sender" }).click();
    await page.waitForURL((url) => url.pathname === `/templates/${TEMPLATE}`);
    await page.getByRole("heading", { level: 1, name: "Summarise unread email from a sender" }).waitFor();

    // Nothing filled in, Gmail not connected: low, with both reasons, and the placeholder still in the prompt.
    await expect.poll(() => page.getByTestId("confidence").textContent(), { timeout: 10_000 }).toBe("Confidence: low");
    expect(await page.getByTestId("reasons").textContent()).toContain("Gmail is not connected");
    expect(await page.getByTestId("prompt").textContent()).toBe("Summarise unread email from {{sender}}");

    // A value the server would refuse is explained at the field, by the same rule, once the field is left.
    const sender = page.getByLabel(/^Sender/);
    await sender.fill("ana@");
    await sender.blur();
    await expect.poll(() => page.locator(".field__error").first().textContent(), { timeout: 10_000 }).toBe("expected an email address, like ana@example.com");
    expect(await sender.getAttribute("aria-invalid")).toBe("true");
    await sender.fill("ana@example.com");
    await expect.poll(() => page.getByTestId("prompt").textContent(), { timeout: 10_000 }).toBe("Summarise unread email from ana@example.com");
    expect(await page.getByTestId("reasons").textContent()).toBe("Gmail is not connected");

    // Connect from the page: the sandbox consent page, then back to this template.
    await need(page, "gmail").getByRole("button", { name: "Connect Gmail" }).click();
    await page.waitForURL("**/sandbox/google/oauth/authorize?**");
    await page.getByLabel(/Signed in to Sandbox Google as/).fill(uniqueEmail("sandbox"));
    await page.getByRole("button", { name: "Allow" }).click();
    await page.waitForURL((url) => url.pathname === `/templates/${TEMPLATE}`);
    await expect.poll(() => need(page, "gmail").getAttribute("data-status"), { timeout: 10_000 }).toBe("active");
    // What was typed before leaving for the consent page is still there.
    expect(await page.getByLabel(/^Sender/).inputValue()).toBe("ana@example.com");
    await expect.poll(() => page.getByTestId("confidence").textContent(), { timeout: 10_000 }).toBe("Confidence: high");
    expect(await page.locator(".template-tools").textContent()).toContain("gmail.search_messages");

    await page.getByRole("button", { name: "Start" }).click();
    await page.waitForURL(/\/chat\/[0-9a-f-]{36}$/);
    // The first message is the template's prompt, and its turn ran without anyone pressing Send.
    await expect.poll(() => page.locator('[data-testid="message-user"]').first().textContent(), { timeout: 10_000 }).toContain("Summarise unread email from ana@example.com");
    const step = page.locator('[data-testid="message-assistant"] [data-testid="step"][data-tool="gmail.search_messages"]');
    await step.first().waitFor();
    expect(await page.locator('[data-testid="message-assistant"]').count()).toBe(1);

    // The sidebar can group conversations by the template they started from.
    await page.getByRole("radio", { name: "By template" }).or(page.getByRole("button", { name: "By template" })).click();
    await page.getByRole("navigation", { name: "Conversations" }).getByRole("heading", { name: "Summarise unread email from a sender" }).waitFor();
  });

  it("opens a chat with the prompt as a draft when something is missing, and another user's private template is not found until its owner makes it public", async () => {
    const owner = await registered("template-owner");
    // The owner writes a private template through the page's dialog.
    await owner.goto("/templates");
    await owner.getByRole("button", { name: "New template" }).click();
    await owner.getByLabel("Title").fill("My private digest");
    await owner.getByLabel("Prompt").fill("Post {{note}} to #general");
    await owner.getByRole("button", { name: "Create template" }).click();
    await owner.waitForURL(/\/templates\/[0-9a-f-]{36}$/);
    const privateUrl = new URL(owner.url()).pathname;
    await owner.getByRole("heading", { level: 1, name: "My private digest" }).waitFor();

    // Started with nothing filled in: the chat opens with the prompt in the composer and what is missing said.
    await owner.getByRole("button", { name: "Start" }).click();
    await owner.waitForURL(/\/chat\/[0-9a-f-]{36}$/);
    await owner.getByTestId("draft-note").waitFor();
    expect(await owner.getByTestId("draft-note").textContent()).toContain("note has no value");
    expect(await owner.getByLabel("Message").inputValue()).toBe("Post {{note}} to #general");
    // Another conversation has a composer of its own: the draft stays with its session.
    const draftUrl = owner.url();
    await owner.getByRole("button", { name: "New chat" }).click();
    await owner.waitForURL((url) => url.href !== draftUrl);
    await expect.poll(() => owner.getByLabel("Message").inputValue(), { timeout: 10_000 }).toBe("");
    await owner.goBack();
    await expect.poll(() => owner.getByLabel("Message").inputValue(), { timeout: 10_000 }).toBe("Post {{note}} to #general");

    const stranger = await registered("template-stranger");
    await stranger.goto(privateUrl);
    await stranger.getByRole("heading", { name: "No such template" }).waitFor();
    await stranger.goto("/templates");
    await stranger.getByRole("tab", { name: "Public" }).click();
    await stranger.getByRole("tabpanel").locator(".template-card").first().waitFor();
    expect(await stranger.getByRole("tabpanel").textContent()).not.toContain("My private digest");

    // Once its owner makes it public, the stranger finds it and can open it.
    await owner.goto(privateUrl);
    await owner.getByRole("button", { name: "Make public" }).click();
    await owner.getByRole("button", { name: "Make private" }).waitFor();
    await stranger.reload();
    await stranger.getByRole("tab", { name: "Public" }).click();
    await stranger.getByRole("link", { name: "My private digest" }).click();
    await stranger.getByRole("heading", { level: 1, name: "My private digest" }).waitFor();
    expect(await stranger.getByRole("button", { name: "Make private" }).count()).toBe(0);
  });

  it("imports a legacy template: a problem is named by its key, then the report says what the conversion changed", async () => {
    const page = await registered("template-import");
    await page.goto("/templates");
    await page.getByRole("button", { name: "Import", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Import a legacy template" });
    const json = dialog.getByLabel("Template JSON");

    await json.fill("{not json");
    await dialog.getByRole("button", { name: "Import", exact: true }).click();
    await expect.poll(() => dialog.getByRole("alert").first().textContent()).toMatch(/^This is not JSON: /);

    // Valid JSON the server refuses: the key at fault is named, nothing is created.
    await json.fill('{"prompt": "Post the standup"}');
    await dialog.getByRole("button", { name: "Import", exact: true }).click();
    await expect.poll(() => dialog.getByTestId("import-errors").textContent(), { timeout: 10_000 }).toContain("name: ");

    await json.fill('{"name": "Standup", "prompt": "Post the standup to {channel}", "params": ["channel"], "integrations": "slack, gh"}');
    await dialog.getByRole("button", { name: "Import", exact: true }).click();
    const report = dialog.getByTestId("import-report");
    await report.waitFor();
    const text = await report.textContent();
    expect(text).toContain("Rewrote 1 {param} placeholder as {{param}}.");
    expect(text).toContain('Read the integration "gh" as github.');
    expect(text).toContain("Required integrations: slack, github.");

    await dialog.getByRole("link", { name: "Open the template" }).click();
    await page.waitForURL(/\/templates\/[0-9a-f-]{36}$/);
    await page.getByRole("heading", { level: 1, name: "Standup" }).waitFor();
    await page.getByLabel(/^Channel/).waitFor();
    expect(await need(page, "slack").textContent()).toContain("required");
    expect(await need(page, "github").textContent()).toContain("required");
  });
});
