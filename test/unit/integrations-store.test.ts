import { environmentManager, MutationObserver, QueryObserver } from "@tanstack/solid-query";
import { beforeAll, describe, expect, it } from "vitest";
import type { Integration } from "../../worker/contract/integrations";
import { createApiClient } from "../../web/src/lib/api";
import { EventsConnection } from "../../web/src/lib/events";
import { createAppQueryClient } from "../../web/src/lib/query";
import { describeError } from "../../web/src/routes/integrations/messages";
import { connectMutation, disconnectMutation, integrationEventsQuery, integrationKeys, integrationsQuery } from "../../web/src/stores/integrations";
import { invalidateOnEvents } from "../../web/src/stores/server-state";
import { FakeSocket } from "./fake-socket";

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

/** A stand-in for the integrations API (and the two realtime calls) that counts calls and lets a test change server state. */
function fakeServer() {
  const state: Record<string, Integration> = Object.fromEntries(["github", "slack", "gmail", "calendar"].map((p) => [p, base(p as Integration["provider"])]));
  const calls: string[] = [];
  const json = (status: number, body: unknown, type = "application/json") => new Response(JSON.stringify(body), { status, headers: { "content-type": type } });
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), "http://app.test");
    const path = url.pathname;
    if (path === "/api/events") return json(200, { events: [], latestId: "0" });
    if (path === "/api/realtime/ticket") return json(200, { ticket: "t", expiresIn: 60 });
    calls.push(`${init?.method ?? "GET"} ${path}`);
    if (path === "/api/integrations") return json(200, { integrations: Object.values(state) });
    const m = path.match(/^\/api\/integrations\/(\w+)\/(\w+)$/);
    if (!m) return json(404, { code: "not_found" }, "application/problem+json");
    const [, provider, action] = m as [string, string, string];
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

const ready = () => Promise.resolve();
const frame = (id: number, provider: string) => ({ kind: "integration", provider, status: "active", event: "connected", detail: {}, id: String(id), timestamp: "2026-11-23T12:00:00.000Z" });

/** The list on screen (an active observer), as the Integrations page holds it. */
function shownList(server: ReturnType<typeof fakeServer>, queryClient = createAppQueryClient()) {
  const list = new QueryObserver(queryClient, integrationsQuery(server.client, ready));
  const stop = list.subscribe(() => {});
  return { queryClient, list, stop };
}

describe("integrations server state (solid-query)", () => {
  beforeAll(() => environmentManager.setIsServer(() => false));

  it("lists the four providers in a fixed order", async () => {
    const server = fakeServer();
    const queryClient = createAppQueryClient();
    const list = await queryClient.fetchQuery(integrationsQuery(server.client, ready));
    expect(list.map((i) => i.provider)).toEqual(["gmail", "calendar", "slack", "github"]);
  });

  it("reads nothing before the event stream's snapshot point is known", async () => {
    const server = fakeServer();
    let open!: () => void;
    const point = new Promise<void>((resolve) => (open = resolve));
    let waiting = false;
    const queryClient = createAppQueryClient();
    const fetched = queryClient.fetchQuery(integrationsQuery(server.client, () => ((waiting = true), point)));
    await expect.poll(() => waiting).toBe(true);
    expect(server.calls).toEqual([]);
    open();
    await fetched;
    expect(server.calls).toEqual(["GET /api/integrations"]);
  });

  it("an integration frame on the socket refetches the list, and that provider's history only while it is shown", async () => {
    FakeSocket.all = [];
    const server = fakeServer();
    const { queryClient, list, stop } = shownList(server);
    const connection = new EventsConnection(server.client, { baseUrl: "http://app.test", WebSocket: FakeSocket as unknown as typeof WebSocket });
    const stopInvalidating = invalidateOnEvents(queryClient, connection);
    connection.start();
    await expect.poll(() => FakeSocket.all.length).toBe(1);
    const socket = FakeSocket.all[0]!;
    socket.open();
    await expect.poll(() => list.getCurrentResult().isSuccess).toBe(true);

    // The debug panel of Gmail is closed: its history is not fetched, and a frame only marks it stale.
    const history = new QueryObserver(queryClient, { ...integrationEventsQuery(server.client, ready, "gmail"), enabled: false });
    const stopHistory = history.subscribe(() => {});
    server.state.gmail = { ...base("gmail", "active"), account: { id: "1", label: "ada@sandbox.test" } };
    server.calls.length = 0;
    socket.serverSends(frame(1, "gmail"));
    await expect.poll(() => list.getCurrentResult().data?.[0]?.status).toBe("active");
    expect(server.calls).toEqual(["GET /api/integrations"]);
    expect(queryClient.getQueryState(integrationKeys.events("gmail"))?.isInvalidated).toBe(true);

    // Opened, it loads; the next Gmail frame refetches both, a Slack frame leaves Gmail's history alone.
    history.setOptions({ ...integrationEventsQuery(server.client, ready, "gmail"), enabled: true });
    await expect.poll(() => history.getCurrentResult().data?.length).toBe(1);
    server.calls.length = 0;
    socket.serverSends(frame(2, "gmail"));
    await expect.poll(() => server.calls.length).toBe(2);
    expect(server.calls.sort()).toEqual(["GET /api/integrations", "GET /api/integrations/gmail/events"]);
    server.calls.length = 0;
    socket.serverSends(frame(3, "slack"));
    await expect.poll(() => server.calls.length).toBe(1);
    expect(server.calls).toEqual(["GET /api/integrations"]);

    // A provider the app does not know changes nothing; a resume gap refetches everything on screen (once each).
    server.calls.length = 0;
    socket.serverSends(frame(4, "myspace"));
    socket.serverSends({ kind: "error", code: "resume_gap", message: "gone", latestId: "90", timestamp: "2026-11-23T12:00:00.000Z" });
    await expect.poll(() => server.calls.length).toBe(2);
    expect(server.calls.sort()).toEqual(["GET /api/integrations", "GET /api/integrations/gmail/events"]);

    stopHistory();
    stopInvalidating();
    connection.stop();
    stop();
  });

  it("connect hands the browser the authorization URL and stays busy until the page goes; a failed disconnect keeps the card and says why", async () => {
    const server = fakeServer();
    const { queryClient, list, stop } = shownList(server);
    await expect.poll(() => list.getCurrentResult().isSuccess).toBe(true);

    let went = "";
    const connect = new MutationObserver(queryClient, connectMutation(server.client, "gmail", (url) => (went = url)));
    await connect.mutate();
    expect(went).toContain("/sandbox/gmail/oauth/authorize");
    expect(connect.getCurrentResult().isSuccess).toBe(true);
    // Back from the back-forward cache the card resets it (pageshow), and the button is usable again.
    connect.reset();
    expect(connect.getCurrentResult().isIdle).toBe(true);

    server.state.slack = base("slack", "active");
    await list.refetch();
    const failing = new MutationObserver(queryClient, disconnectMutation(server.client, queryClient, "slack"));
    await failing.mutate().catch(() => undefined);
    expect(failing.getCurrentResult().error?.message).toBe("Slack could not be reached.");
    expect(list.getCurrentResult().data?.find((i) => i.provider === "slack")?.status).toBe("active");

    server.state.gmail = base("gmail", "active");
    await list.refetch();
    server.calls.length = 0;
    const disconnect = new MutationObserver(queryClient, disconnectMutation(server.client, queryClient, "gmail"));
    await disconnect.mutate();
    // The server's answer goes straight into the list; no second GET is needed to show it.
    expect(list.getCurrentResult().data?.map((i) => `${i.provider}:${i.status}`)).toEqual(["gmail:disconnected", "calendar:disconnected", "slack:active", "github:disconnected"]);
    expect(server.calls).toEqual(["POST /api/integrations/gmail/disconnect"]);
    stop();
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
