import { createHmac } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, registerInContext, TEST_PASSWORD, uniqueEmail } from "./browser";
import { runNode } from "../cli/run";

const baseUrl = inject("baseUrl");
const persistTo = inject("persistTo");
const secrets = inject("webhookSecrets");
let browser: Browser | undefined;

async function sendGithub(event: string, deliveryId: string, payload: unknown): Promise<Response> {
  const body = JSON.stringify(payload);
  return fetch(`${baseUrl}/webhooks/github`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": deliveryId,
      "x-hub-signature-256": `sha256=${createHmac("sha256", secrets.github).update(body).digest("hex")}`,
    },
    body,
  });
}

describe("Webhook deliveries", () => {
  afterAll(async () => {
    await browser?.close().catch(() => undefined);
  });

  it("an operator made admin from the command line sees deliveries in Settings, replays one there and from the command line; others see no such section", async () => {
    browser = await launchBrowser();
    const email = uniqueEmail("operator");
    const page = await registerInContext(await browser.newContext({ baseURL: baseUrl }), { email });

    const granted = await runNode(["scripts/admin-grant.mjs", email, "--persist-to", persistTo]);
    expect(granted.code, granted.stderr).toBe(0);
    expect(granted.stdout).toContain(`${email} is now an admin.`);
    const nobody = await runNode(["scripts/admin-grant.mjs", "nobody@example.test", "--persist-to", persistTo]);
    expect([nobody.code, nobody.stderr.trim()]).toEqual([1, "No account has the email nobody@example.test."]);

    const deliveryId = crypto.randomUUID();
    const res = await sendGithub("pull_request", deliveryId, { action: "closed", number: 12, pull_request: { number: 12, merged: true, head: { ref: "feature" } }, repository: { full_name: "octo/repo" } });
    expect(res.status).toBe(200);

    await page.goto("/settings");
    await page.getByRole("heading", { name: "Webhook deliveries" }).waitFor();
    const row = page.locator(`tr[data-delivery-id="${deliveryId}"]`);
    await expect.poll(() => row.getAttribute("data-status"), { timeout: 15_000 }).toBe("processed");
    expect(await row.textContent()).toContain("pull request #12 merged: no spec waiting on it");

    await row.getByRole("button", { name: /^Replay github pull_request/ }).click();
    await page.getByTestId("replay-toast").waitFor();
    await expect.poll(() => row.getByTestId("replays").textContent(), { timeout: 15_000 }).toContain("replayed 1×");

    const cli = await runNode(["scripts/webhooks-replay.mjs", deliveryId], { TASKPILOT_URL: baseUrl, TASKPILOT_EMAIL: email, TASKPILOT_PASSWORD: TEST_PASSWORD });
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ deliveryId, replays: 2 });
    const unknown = await runNode(["scripts/webhooks-replay.mjs", "no-such-delivery"], { TASKPILOT_URL: baseUrl, TASKPILOT_EMAIL: email, TASKPILOT_PASSWORD: TEST_PASSWORD });
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining("404 delivery_not_found")]);

    const other = await registerInContext(await browser.newContext({ baseURL: baseUrl }), { email: uniqueEmail("not-admin") });
    await other.goto("/settings");
    await other.getByRole("heading", { name: "Delete account" }).waitFor();
    expect(await other.getByRole("heading", { name: "Webhook deliveries" }).count()).toBe(0);
  });
});
