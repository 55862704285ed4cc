import type { Browser, Page } from "playwright-core";
import { afterAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, registerInContext, uniqueEmail } from "./browser";

const baseUrl = inject("baseUrl");
let browser: Browser | undefined;

/** The word the search looks for: it is in one passage of the guide and nowhere in the note. */
const WORD = "zephyrine";

const filler = (topic: string) =>
  Array.from(
    { length: 6 },
    (_, i) =>
      `Step ${i + 1} of the ${topic} routine: check the dashboard, confirm the owners on call, and write down what changed so the next person can follow it without asking.`,
  ).join(" ");

/** A Markdown guide long enough to scroll, with headings; the word is in one late section only. */
const GUIDE = [
  "# Operations guide",
  "",
  "This guide collects the routines the team follows every week.",
  "",
  ...["Deployments", "Backups", "Monitoring", "Incidents", "Access reviews", "Billing"].flatMap((topic) => [`## ${topic}`, "", filler(topic.toLowerCase()), ""]),
  "## Secrets",
  "",
  `Signing keys are rotated with the ${WORD} tool every ninety days; the old key keeps verifying for a week.`,
  "",
  "## Onboarding",
  "",
  filler("onboarding"),
  "",
].join("\n");

const NOTE = "Shopping list for the offsite: coffee, oat milk, sticky notes and two extension cords.\n";

const upload = (page: Page, name: string) => page.locator(`[data-testid="kb-upload"][data-name="${name}"]`);
const uploadStatus = (page: Page, name: string) => upload(page, name).getByTestId("kb-upload-status");

describe("Knowledge", () => {
  afterAll(async () => {
    await browser?.close().catch(() => undefined);
  });

  it("uploads two documents with a progress bar each, finds a passage, opens it marked in its document, and deletes a document", async () => {
    browser = await launchBrowser();
    const page = await registerInContext(await browser.newContext({ baseURL: baseUrl }), { email: uniqueEmail("knowledge") });
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Knowledge" }).click();
    await page.getByRole("heading", { level: 1, name: "Knowledge" }).waitFor();
    await page.getByRole("heading", { name: "Your knowledge base is empty" }).waitFor();
    await page.getByRole("button", { name: "Choose files" }).waitFor();

    // Every label an upload row shows, as it shows it: the phases in between pass too quickly to catch by polling.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { kbLabels: string[] }).kbLabels = seen;
      const note = () => {
        for (const el of document.querySelectorAll('[data-testid="kb-upload-status"]')) {
          const text = `${el.closest("[data-name]")?.getAttribute("data-name")}: ${el.textContent}`;
          if (seen.at(-1) !== text && !seen.includes(text)) seen.push(text);
        }
      };
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });

    const input = page.getByLabel("Files to upload");
    // An empty file is refused on the spot, in words.
    await input.setInputFiles([{ name: "empty.txt", mimeType: "text/plain", buffer: Buffer.alloc(0) }]);
    await expect.poll(() => uploadStatus(page, "empty.txt").textContent()).toBe('"empty.txt" is empty: there is nothing in it to index.');

    await input.setInputFiles([
      { name: "operations-guide.md", mimeType: "text/markdown", buffer: Buffer.from(GUIDE) },
      { name: "offsite-note.txt", mimeType: "text/plain", buffer: Buffer.from(NOTE) },
    ]);
    for (const name of ["operations-guide.md", "offsite-note.txt"]) {
      await expect.poll(() => uploadStatus(page, name).textContent(), { timeout: 45_000 }).toMatch(/^Indexed · \d+ chunks?$/);
      const bar = upload(page, name).getByRole("progressbar");
      expect(await bar.getAttribute("aria-valuenow")).toBe("100");
      expect(await bar.getAttribute("aria-valuetext")).toMatch(/^Indexed · \d+ chunks?$/);
    }
    const labels = await page.evaluate(() => (window as unknown as { kbLabels: string[] }).kbLabels);
    expect(labels.some((l) => /^operations-guide\.md: (Waiting to upload|Uploading \d+%)$/.test(l))).toBe(true);
    expect(labels.some((l) => /^operations-guide\.md: Indexing \d+%$/.test(l))).toBe(true);
    expect(await page.getByTestId("kb-upload-announcer").textContent()).toContain("operations-guide.md: Indexed");

    const guideId = (await upload(page, "operations-guide.md").getAttribute("data-document-id"))!;
    const noteId = (await upload(page, "offsite-note.txt").getAttribute("data-document-id"))!;
    expect(guideId).toBeTruthy();
    expect(noteId).toBeTruthy();
    const guideRow = page.locator(`[data-testid="kb-document"][data-document-id="${guideId}"]`);
    const noteRow = page.locator(`[data-testid="kb-document"][data-document-id="${noteId}"]`);
    await expect.poll(() => guideRow.getByTestId("kb-status").textContent()).toBe("Indexed");
    await expect.poll(() => noteRow.getByTestId("kb-status").textContent()).toBe("Indexed");
    expect(await guideRow.textContent()).toContain("Markdown");
    expect(await noteRow.textContent()).toContain("Text");

    // Search by keyword: the one passage with the word, marked.
    await page.getByText("Keyword", { exact: true }).click();
    expect(await page.getByRole("radio", { name: "Keyword" }).isChecked()).toBe(true);
    const box = page.getByLabel("Search your documents");
    await box.fill(WORD);
    await box.press("Enter");
    const results = page.getByTestId("kb-result");
    await results.first().waitFor();
    expect(await page.getByTestId("kb-search-took").textContent()).toMatch(/took \d+ ms/);
    const documentIds = await results.evaluateAll((els) => els.map((el) => el.getAttribute("data-document-id")));
    expect(new Set(documentIds)).toEqual(new Set([guideId]));
    const first = results.first();
    expect((await first.locator("mark").first().textContent())?.toLowerCase()).toBe(WORD);
    expect(await first.textContent()).toMatch(/Secrets/);
    expect(await first.textContent()).toMatch(/score \d+\.\d{3}/);
    const chunkId = (await first.getAttribute("data-chunk-id"))!;

    // A word in no document: said so.
    await box.fill("xylophonic");
    await box.press("Enter");
    await page.getByTestId("kb-search-empty").waitFor();
    await box.fill(WORD);
    await box.press("Enter");
    await results.first().waitFor();

    // The result opens its passage in the document, marked and in view.
    await results.first().click();
    await page.waitForURL((url) => url.pathname === `/knowledge/${guideId}` && url.searchParams.get("chunk") === chunkId);
    await page.getByTestId("kb-document-title").waitFor();
    const cited = page.getByTestId("kb-cited");
    await cited.first().waitFor();
    expect((await cited.allTextContents()).join("")).toContain(WORD);
    await expect
      .poll(() =>
        cited.first().evaluate((el) => {
          const r = el.getBoundingClientRect();
          return r.top >= 0 && r.bottom <= window.innerHeight;
        }),
      )
      .toBe(true);
    // The guide is longer than the window: the mark was scrolled to, not there by chance.
    expect(await page.getByTestId("kb-text").evaluate((el) => el.scrollHeight > window.innerHeight)).toBe(true);
    expect(await page.getByTestId("kb-text").locator("h3", { hasText: "Secrets" }).count()).toBe(1);
    expect(await page.getByRole("navigation", { name: "Passages" }).locator('a[aria-current="location"]').count()).toBe(1);

    // Delete the note through the confirmation dialog; it is gone, also after a reload.
    await page.getByRole("link", { name: "← Back to Knowledge" }).click();
    await page.waitForURL((url) => url.pathname === "/knowledge");
    await noteRow.waitFor();
    const noteTitle = (await noteRow.locator("th a").textContent())!;
    await noteRow.getByRole("button", { name: `Delete ${noteTitle}` }).click();
    const dialog = page.getByRole("alertdialog", { name: `Delete '${noteTitle}'?` });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain("Its passages will no longer be found");
    await dialog.getByRole("button", { name: "Delete", exact: true }).click();
    await page.getByTestId("kb-delete-toast").waitFor();
    await expect.poll(() => noteRow.count()).toBe(0);
    await page.reload();
    await guideRow.waitFor();
    expect(await noteRow.count()).toBe(0);
  });
});
