import type { Browser, Page } from "playwright-core";
import { afterAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, registerInContext, TEST_PASSWORD, uniqueEmail } from "./browser";

const baseUrl = inject("baseUrl");
const browsers: Browser[] = [];

async function newBrowser(): Promise<Browser> {
  const browser = await launchBrowser();
  browsers.push(browser);
  return browser;
}

/** Integrations → Connect Gmail → Allow on the sandbox consent page → back, connected. */
async function connectSandboxGmail(page: Page) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integrations" }).click();
  const card = page.locator('article[data-provider="gmail"]');
  await card.getByRole("button", { name: "Connect Gmail" }).click();
  await page.waitForURL("**/sandbox/google/oauth/authorize?**");
  await page.getByLabel(/Signed in to Sandbox Google as/).fill(uniqueEmail("sandbox"));
  await page.getByRole("button", { name: "Allow" }).click();
  await page.waitForURL((url) => url.pathname === "/integrations");
  await expect.poll(() => card.getByTestId("status").textContent()).toBe("Connected");
}

const step = (page: Page) => page.locator('[data-testid="step"][data-tool="gmail.search_messages"]');
const reply = (page: Page) => page.locator('[data-testid="message-assistant"]');

describe("Chat with the agent", () => {
  afterAll(async () => {
    for (const browser of browsers) await browser.close().catch(() => undefined);
  });

  it("asks about email, sees the tool step and the answer arrive with its cost, and finds it all again after a browser restart", async () => {
    const email = uniqueEmail("chat");
    const first = await newBrowser();
    const page = await registerInContext(await first.newContext({ baseURL: baseUrl }), { name: "Ada Lovelace", email });
    await connectSandboxGmail(page);

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Chat" }).click();
    await page.getByRole("heading", { level: 1, name: "Chat" }).waitFor();
    // The tools come from GET /api/tools: connected Gmail's are there, with the way to connect more.
    await expect.poll(() => page.getByTestId("tools-list").textContent()).toContain("gmail.search_messages");
    await page.getByRole("link", { name: "Connect more in Integrations" }).waitFor();

    // Hold the HTTP answer of the turn back from the page until the frames have shown the step and the reply:
    // what the page shows meanwhile comes from the event stream, not from the answer.
    let releaseAnswer!: () => void;
    const answerHeld = new Promise<void>((resolve) => (releaseAnswer = resolve));
    let held = false;
    await page.route("**/api/sessions/*/messages", async (route) => {
      const response = await route.fetch();
      held = true;
      await answerHeld;
      await route.fulfill({ response });
    });

    const input = page.getByLabel("Message");
    // Shift+Enter is a new line, not a send; past 32 KB the composer says so and will not send.
    await input.click();
    await input.pressSequentially("line one");
    await input.press("Shift+Enter");
    await input.pressSequentially("line two");
    expect(await input.inputValue()).toBe("line one\nline two");
    expect(new URL(page.url()).pathname).toBe("/chat");
    await input.fill("a".repeat(32 * 1024 + 1));
    expect(await page.locator("#chat-input-size").textContent()).toContain("too long to send");
    expect(await page.getByRole("button", { name: "Send" }).isDisabled()).toBe(true);
    await input.press("Enter");
    expect(new URL(page.url()).pathname).toBe("/chat");

    await input.fill("search my email for invoice");
    await input.press("Enter");
    await page.waitForURL(/\/chat\/[^/]+$/);
    const sessionUrl = page.url();
    // While the turn runs the composer takes nothing more.
    await expect.poll(() => input.isDisabled()).toBe(true);

    await step(page).first().waitFor();
    expect(await step(page).first().locator(".chat-step__summary").textContent()).toMatch(/\S/);
    // The reply shows while its HTTP answer is still held back (the composer is still busy): it came over the socket.
    const earlyReply = page.locator('[data-testid="message-live"] .chat-markdown, [data-testid="message-assistant"] .chat-markdown').first();
    await earlyReply.waitFor();
    expect(await earlyReply.textContent()).toMatch(/invoice/i);
    expect(await input.isDisabled()).toBe(true);
    await expect.poll(() => held).toBe(true);
    releaseAnswer();

    // After the answer: the stored reply with its steps (tool, arguments, summary, sources, duration) and its cost.
    await reply(page).first().waitFor();
    const cost = page.getByTestId("turn-cost").first();
    await expect.poll(() => cost.textContent()).toContain("$0.00");
    expect(await cost.textContent()).toContain("Offline planner");
    expect(await reply(page).first().locator('[data-testid="step"]').count()).toBeGreaterThan(0);
    const sources = reply(page).first().locator(".chat-step__sources a");
    if ((await sources.count()) > 0) expect(await sources.first().getAttribute("rel")).toBe("noopener noreferrer");
    expect(await page.getByTestId("session-total").textContent()).toContain("Total $0.00");
    await expect.poll(() => input.isDisabled()).toBe(false);
    const replyText = (await reply(page).first().locator(".chat-markdown").textContent())!;
    expect(replyText).toMatch(/invoice/i);
    // The new conversation is in the sidebar, under today.
    const link = page.getByRole("navigation", { name: "Conversations" }).locator(`a[href="${new URL(sessionUrl).pathname}"]`);
    await link.waitFor();
    expect(await link.getAttribute("aria-current")).toBe("page");

    await first.close();

    // A new browser: sign in again and open the same URL. Everything is there, from the server.
    const second = await newBrowser();
    const again = await (await second.newContext({ baseURL: baseUrl })).newPage();
    await again.goto(new URL(sessionUrl).pathname);
    await again.waitForURL("**/login?next=**");
    await again.getByLabel("Email").fill(email);
    await again.getByLabel("Password").fill(TEST_PASSWORD);
    await again.getByRole("button", { name: "Sign in" }).click();
    await again.waitForURL((url) => url.pathname === new URL(sessionUrl).pathname);
    await reply(again).first().waitFor();
    expect(await again.locator('[data-testid="message-user"]').first().textContent()).toContain("search my email for invoice");
    expect(await step(again).count()).toBeGreaterThan(0);
    expect(await reply(again).first().locator(".chat-markdown").textContent()).toBe(replyText);
    const costAgain = again.getByTestId("turn-cost").first();
    expect(await costAgain.textContent()).toContain("Offline planner");
    expect(await costAgain.textContent()).toContain("$0.00");
    expect(await again.getByTestId("session-total").textContent()).toMatch(/Total \$0\.00 · .*checkpoint/);

    // The checkpoints came back too: going back to the oldest gives exactly the messages it held.
    await again.getByTestId("checkpoints").click();
    const oldest = again.getByRole("menuitem").last();
    const kept = Number((await oldest.textContent())!.match(/(\d+) messages?/)![1]);
    expect(kept).toBeLessThan(2);
    await oldest.click();
    await again.getByTestId("restore-toast").waitFor();
    await expect.poll(() => again.locator('[data-testid="chat-log"] [data-testid^="message-"]').count()).toBe(kept);
    await second.close();
  });
});

describe("Chat when an integration goes away", () => {
  afterAll(async () => {
    for (const browser of browsers) await browser.close().catch(() => undefined);
  });

  it("says the Gmail tools were withdrawn, and Reconnect leads to Integrations and back to the same conversation", async () => {
    const browser = await newBrowser();
    const page = await registerInContext(await browser.newContext({ baseURL: baseUrl }), { name: "Grace Hopper", email: uniqueEmail("chat-withdrawn") });
    await connectSandboxGmail(page);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Chat" }).click();
    const input = page.getByLabel("Message");
    await input.fill("search my email for invoice");
    await input.press("Enter");
    await page.waitForURL(/\/chat\/[^/]+$/);
    const sessionPath = new URL(page.url()).pathname;
    await reply(page).first().waitFor();
    await expect.poll(() => input.isDisabled()).toBe(false);

    // Gmail is disconnected in the meantime: its tools leave the list on screen at once.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integrations" }).click();
    const card = page.locator('article[data-provider="gmail"]');
    await card.getByRole("button", { name: "Disconnect Gmail" }).click();
    await page.getByRole("alertdialog", { name: "Disconnect Gmail?" }).getByRole("button", { name: "Disconnect", exact: true }).click();
    await expect.poll(() => card.getByTestId("status").textContent()).toBe("Disconnected");
    await page.goto(sessionPath);
    await reply(page).first().waitFor();
    await expect.poll(() => page.locator(".chat-tools").textContent()).not.toContain("gmail.search_messages");

    await input.fill("search my email for invoice again");
    await input.press("Enter");
    const banner = page.getByTestId("reconnect-banner");
    await banner.waitFor();
    expect(await banner.getAttribute("role")).toBe("alert");
    expect(await banner.textContent()).toContain("Gmail tools withdrawn");
    await expect.poll(() => reply(page).count()).toBe(2);

    await banner.getByRole("button", { name: "Reconnect Gmail" }).click();
    await page.waitForURL((url) => url.pathname === "/integrations");
    const back = page.getByRole("link", { name: "Back to the conversation" });
    await back.waitFor();
    expect(await back.getAttribute("href")).toBe(sessionPath);
    await card.getByRole("button", { name: "Connect Gmail" }).click();
    await page.waitForURL("**/sandbox/google/oauth/authorize?**");
    await page.getByLabel(/Signed in to Sandbox Google as/).fill(uniqueEmail("sandbox"));
    await page.getByRole("button", { name: "Allow" }).click();
    await page.waitForURL((url) => url.pathname === "/integrations");
    // The Chat link brings the person back to the conversation they left, not to an empty page.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Chat" }).click();
    await page.waitForURL((url) => url.pathname === sessionPath);
    await expect.poll(() => page.getByTestId("tools-list").textContent()).toContain("gmail.search_messages");
    await input.fill("search my email for invoice");
    await input.press("Enter");
    await expect.poll(() => reply(page).count()).toBe(3);
    await expect.poll(() => reply(page).nth(2).locator('[data-testid="step"][data-tool="gmail.search_messages"]').count()).toBe(1);
    expect(await page.getByTestId("reconnect-banner").count()).toBe(0);

    // New chat starts an empty conversation at its own URL; the first one stays in the sidebar.
    await page.getByRole("button", { name: "New chat" }).click();
    await page.waitForURL((url) => /^\/chat\/[^/]+$/.test(url.pathname) && url.pathname !== sessionPath);
    await page.getByText("No messages yet.").waitFor();
    const sidebar = page.getByRole("navigation", { name: "Conversations" });
    await expect.poll(() => sidebar.locator("a[data-session-id]").count()).toBe(2);
    expect(await sidebar.locator(`a[href="${sessionPath}"]`).count()).toBe(1);
    await browser.close();
  });
});
