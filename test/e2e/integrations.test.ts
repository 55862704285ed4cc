import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { chromiumPath, launchBrowser, registerInContext, uniqueEmail } from "./browser";

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

    // Disconnect asks first; Escape keeps the connection and returns focus to the button.
    const disconnectButton = gmailCard(page).getByRole("button", { name: "Disconnect Gmail" });
    await disconnectButton.click();
    const confirm = page.getByRole("alertdialog", { name: "Disconnect Gmail?" });
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain("revoked at Google");
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent?.trim())).toBe("Cancel");
    await page.keyboard.press("Escape");
    await confirm.waitFor({ state: "hidden" });
    await expect.poll(() => disconnectButton.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await gmailCard(page).getByTestId("status").textContent()).toBe("Connected");

    await disconnectButton.click();
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await confirm.waitFor({ state: "hidden" });
    expect(await gmailCard(page).getByTestId("status").textContent()).toBe("Connected");

    await disconnectButton.click();
    await confirm.getByRole("button", { name: "Disconnect", exact: true }).click();
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
  it("shows an error with Retry, not Loading… forever, when the event history cannot be fetched", async () => {
    const page = await registeredPage();
    await openIntegrations(page);
    let failing = true;
    await page.route("**/api/integrations/gmail/events", (route) =>
      failing
        ? route.fulfill({ status: 503, contentType: "application/problem+json", body: JSON.stringify({ status: 503, code: "unavailable", detail: "History is down." }) })
        : route.continue(),
    );
    await gmailCard(page).getByText("Debug: event history").click();
    const error = gmailCard(page).getByRole("alert").filter({ hasText: "could not be loaded" });
    await error.waitFor();
    expect(await error.textContent()).toContain("History is down.");
    expect(await gmailCard(page).getByText("Loading…").count()).toBe(0);

    failing = false;
    await error.getByRole("button", { name: "Retry" }).click();
    await gmailCard(page).getByText("No events yet.").waitFor();
    await error.waitFor({ state: "detached" });
    await page.context().close();
  });

  it("keeps a change made while the page's socket was still opening: the first socket resumes from the snapshot's point", async () => {
    const context = await browser.newContext({ baseURL: baseUrl });
    const page = await registerInContext(context, { email: uniqueEmail("snapshot") });
    // Hold this tab's ticket: its REST snapshot is taken, its socket not yet open.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route("**/api/realtime/ticket", async (route) => {
      await held;
      await route.continue();
    });
    const reads: string[] = [];
    page.on("request", (request) => {
      const url = new URL(request.url());
      // Only the reads this page's snapshot is made of: the Chat page the sign-up landed on may still be loading its own.
      if (request.method() === "GET" && (url.pathname === "/api/events" || url.pathname.startsWith("/api/integrations"))) reads.push(url.pathname + url.search);
    });
    await page.goto("/integrations");
    await expect.poll(() => gmailCard(page).getByTestId("status").textContent()).toBe("Disconnected");
    // The point comes first, then the snapshot.
    expect(reads.slice(0, 2)).toEqual(["/api/events?limit=0", "/api/integrations"]);

    // Meanwhile Gmail is connected from another tab.
    const other = await context.newPage();
    await other.goto("/integrations");
    await gmailCard(other).waitFor();
    await decideOnConsent(other, "Allow", uniqueEmail("sandbox"));
    await expect.poll(() => gmailCard(other).getByTestId("status").textContent()).toBe("Connected");
    expect(await gmailCard(page).getByTestId("status").textContent()).toBe("Disconnected");

    // The socket opens now; the events published before it are replayed, and the card catches up without a reload.
    release();
    await page.getByLabel("Realtime: Live").waitFor();
    await expect.poll(() => gmailCard(page).getByTestId("status").textContent()).toBe("Connected");
    await context.close();
  });

  it("a Connect button restored from the back-forward cache is usable again", async () => {
    // The test browser normally turns the cache off; this one keeps it, as people's browsers do.
    const cached = await chromium.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu"],
      ignoreDefaultArgs: ["--disable-back-forward-cache"],
    });
    try {
      const context = await cached.newContext({ baseURL: baseUrl });
      await context.addInitScript(() => {
        window.addEventListener("pageshow", (e) => {
          if (e.persisted) (window as unknown as { restored: number }).restored = ((window as unknown as { restored?: number }).restored ?? 0) + 1;
        });
      });
      const page = await registerInContext(context, { email: uniqueEmail("bfcache") });
      await openIntegrations(page);
      await gmailCard(page).getByRole("button", { name: "Connect Gmail" }).click();
      await page.waitForURL("**/sandbox/google/oauth/authorize?**");

      // A page restored from the cache fires no load event: waiting for the commit is all there is.
      await page.goBack({ waitUntil: "commit" });
      expect(new URL(page.url()).pathname).toBe("/integrations");
      // The same document came back from the cache (not a reload, which would start with a fresh button anyway).
      await expect.poll(() => page.evaluate(() => (window as unknown as { restored?: number }).restored)).toBe(1);
      const connect = gmailCard(page).getByRole("button", { name: "Connect Gmail" });
      expect(await connect.isEnabled()).toBe(true);
      await connect.click();
      await page.waitForURL("**/sandbox/google/oauth/authorize?**");
      await context.close();
    } finally {
      await cached.close();
    }
  });
});
