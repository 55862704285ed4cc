import { describe, expect, it } from "vitest";
import type { Integration } from "../../worker/contract/integrations";
import { createApiClient } from "../../web/src/lib/api";
import { describeError } from "../../web/src/routes/integrations/messages";
import { createIntegrationsStore } from "../../web/src/stores/integrations";

const base = (provider: Integration["provider"], status: Integration["status"] = "disconnected"): Integration => ({
  provider,
  name: provider,
  status,
  account: null,
  scopes: [],
  connectedAt: null,
  expiresAt: null,
  lastError: null,
  tools: [],
});

/** A stand-in for the integrations API that counts calls and lets a test change server state. */
function fakeServer() {
  const state: Record<string, Integration> = Object.fromEntries(["github", "slack", "gmail", "calendar"].map((p) => [p, base(p as Integration["provider"])]));
  const calls: string[] = [];
  const json = (status: number, body: unknown, type = "application/json") => new Response(JSON.stringify(body), { status, headers: { "content-type": type } });
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit) => {
    const path = new URL(String(input), "http://app.test").pathname;
    calls.push(`${init?.method ?? "GET"} ${path}`);
    if (path === "/api/integrations") return json(200, { integrations: Object.values(state) });
    const m = path.match(/^\/api\/integrations\/(\w+)\/(\w+)$/);
    if (!m) return json(404, { code: "not_found" }, "application/problem+json");
    const [, provider, action] = m as [string, string, string];
    if (action === "status") return json(200, state[provider]);
    if (action === "auth") return json(200, { authorizationUrl: `http://app.test/sandbox/${provider}/oauth/authorize?state=s` });
    if (action === "events") return json(200, { events: [{ id: "e1", provider, type: "connected", status: "active", detail: {}, createdAt: "2026-01-01T00:00:00.000Z" }] });
    if (action === "disconnect") {
      if (provider === "slack") return json(503, { code: "provider_unavailable", detail: "Slack could not be reached." }, "application/problem+json");
      state[provider] = base(provider as Integration["provider"]);
      return json(200, state[provider]);
    }
    return json(404, { code: "not_found" }, "application/problem+json");
  };
  return { state, calls, client: createApiClient({ fetch: fetchImpl as typeof fetch }) };
}

describe("createIntegrationsStore", () => {
  it("lists the four providers in a fixed order", async () => {
    const server = fakeServer();
    const store = createIntegrationsStore(server.client);
    await store.load();
    expect(store.integrations().map((i) => i.provider)).toEqual(["gmail", "calendar", "slack", "github"]);
    expect(store.loaded()).toBe(true);
  });

  it("an integration event refetches only that card, and its history when the debug panel is open", async () => {
    const server = fakeServer();
    const store = createIntegrationsStore(server.client);
    await store.load();
    server.state.gmail = { ...base("gmail", "active"), account: { id: "1", label: "ada@sandbox.test" } };
    server.calls.length = 0;
    store.applyEvent({ kind: "integration", provider: "gmail", status: "active", event: "connected" });
    await expect.poll(() => store.integrations()[0]?.status).toBe("active");
    expect(server.calls).toEqual(["GET /api/integrations/gmail/status"]);

    await store.loadEvents("gmail");
    server.calls.length = 0;
    store.applyEvent({ kind: "integration", provider: "gmail", status: "active", event: "refreshed" });
    await expect.poll(() => server.calls.length).toBe(2);
    expect(server.calls).toEqual(["GET /api/integrations/gmail/status", "GET /api/integrations/gmail/events"]);

    server.calls.length = 0;
    store.applyEvent({ kind: "integration", provider: "myspace", status: "active", event: "connected" });
    expect(server.calls).toEqual([]);
  });

  it("connect hands the browser the authorization URL; a failed disconnect keeps the card and says why", async () => {
    const server = fakeServer();
    const store = createIntegrationsStore(server.client);
    await store.load();
    let went = "";
    await store.connect("gmail", (url) => (went = url));
    expect(went).toContain("/sandbox/gmail/oauth/authorize");
    expect(store.busy("gmail")).toBe("connecting");

    server.state.slack = base("slack", "active");
    await store.load();
    await store.disconnect("slack");
    expect(store.integrations().find((i) => i.provider === "slack")?.status).toBe("active");
    expect(store.actionError("slack")).toBe("Slack could not be reached.");
    expect(store.busy("slack")).toBeUndefined();
  });
});

describe("describeError", () => {
  it.each([
    ["access_denied", "gmail", "You chose Deny on the Gmail consent page"],
    ["state_expired", "slack", "expired"],
    ["invalid_grant", "github", "GitHub no longer accepts the saved access"],
    ["weird_code", "gmail", "Something went wrong (weird_code)"],
  ])("%s for %s", (code, provider, words) => {
    expect(describeError(code, provider)).toContain(words);
  });

  it("keeps the server's own message for codes it does not know", () => {
    expect(describeError("quota_exceeded", "gmail", "Daily quota used up")).toBe("Daily quota used up (quota_exceeded)");
  });
});
