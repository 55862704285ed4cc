import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { OAuth2Server } from "oauth2-mock-server";
import type { TestProject } from "vitest/node";

/**
 * Vitest globalSetup (Node side) for the worker project: a real OAuth 2
 * server (oauth2-mock-server: authorize redirects with code + state, /token
 * enforces PKCE, /revoke) behind a small front that the workerd tests
 * script through `/__script` and read through `/__count`, both keyed by the
 * authorization code or refresh token the request carries, so test files
 * running in parallel never disturb each other. The front also answers the
 * provider identity calls (Google userinfo, GitHub /user, Slack auth.test),
 * counted and scriptable under `api:{bearer token}`.
 *
 * A script with `hold: true` keeps each matching request unanswered until
 * the test posts `/__release` for its key (or the client gives up), and
 * `/__arrived?key=…&count=n` answers once n requests with that key have
 * reached the server: tests order events on those, never on sleeps.
 */

interface Script {
  status?: number;
  body?: unknown;
  contentType?: string;
  delayMs?: number;
  hold?: boolean;
}

declare module "vitest" {
  export interface ProvidedContext {
    oauthServerUrl: string;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, contentType = "application/json"): void {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const mock = new OAuth2Server();
  await mock.issuer.keys.generate("RS256");
  await mock.start(0, "127.0.0.1");
  const mockUrl = mock.issuer.url!.replace(/\/$/, "");

  const scripts = new Map<string, Script>();
  const counts = new Map<string, number>();
  /** Scopes asked for at /authorize, by the code it issued: the token response grants them, as real servers do. */
  const scopesByCode = new Map<string, string>();
  const arrivals = new Map<string, Array<{ count: number; notify: () => void }>>();
  const held = new Map<string, Array<() => void>>();
  const bump = (key: string) => {
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    const waiting = arrivals.get(key) ?? [];
    for (const w of waiting) if (w.count <= count) w.notify();
    arrivals.set(key, waiting.filter((w) => w.count > count));
  };
  /** Applies a key's script: holds, delays, or answers it; returns false when the request should go on to the real server. */
  async function scripted(key: string, res: ServerResponse): Promise<boolean> {
    const script = scripts.get(key);
    if (script?.hold) {
      await new Promise<void>((resolve) => {
        held.set(key, [...(held.get(key) ?? []), resolve]);
        res.on("close", resolve);
      });
      if (res.writableEnded || res.destroyed) return true;
    }
    if (script?.delayMs) await new Promise((r) => setTimeout(r, script.delayMs));
    if (script?.status) {
      send(res, script.status, script.body ?? "", script.contentType);
      return true;
    }
    return false;
  }

  async function proxy(req: IncomingMessage, res: ServerResponse, body: Buffer, rewrite?: (json: Record<string, unknown>) => void) {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host" && k !== "content-length") headers.set(k, v);
    const upstream = await fetch(mockUrl + req.url, {
      method: req.method,
      headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
      redirect: "manual",
    });
    const location = upstream.headers.get("location");
    if (location && req.url?.startsWith("/authorize")) {
      const code = new URL(location).searchParams.get("code");
      const scope = new URL(req.url, mockUrl).searchParams.get("scope");
      if (code && scope) scopesByCode.set(code, scope);
    }
    let text = await upstream.text();
    if (rewrite && upstream.status === 200) {
      const json = JSON.parse(text) as Record<string, unknown>;
      rewrite(json);
      text = JSON.stringify(json);
    }
    const out: Record<string, string> = { "content-type": upstream.headers.get("content-type") ?? "application/json" };
    if (location) out.location = location;
    res.writeHead(upstream.status, out);
    res.end(text);
  }

  const front = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const url = new URL(req.url ?? "/", "http://front");
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];

      if (url.pathname === "/__script" && req.method === "POST") {
        const { key, ...script } = JSON.parse(body.toString()) as Script & { key: string };
        scripts.set(key, script);
        return send(res, 204, "");
      }
      if (url.pathname === "/__count") return send(res, 200, { count: counts.get(url.searchParams.get("key") ?? "") ?? 0 });
      if (url.pathname === "/__arrived") {
        const key = url.searchParams.get("key") ?? "";
        const count = Number(url.searchParams.get("count") ?? "1");
        if ((counts.get(key) ?? 0) < count) {
          await new Promise<void>((notify) => arrivals.set(key, [...(arrivals.get(key) ?? []), { count, notify }]));
        }
        return send(res, 200, { count: counts.get(key) ?? 0 });
      }
      if (url.pathname === "/__release" && req.method === "POST") {
        const key = url.searchParams.get("key") ?? "";
        const script = scripts.get(key);
        if (script) scripts.set(key, { ...script, hold: false });
        for (const release of held.get(key) ?? []) release();
        held.delete(key);
        return send(res, 204, "");
      }

      if (url.pathname === "/token" || url.pathname === "/revoke") {
        const form = new URLSearchParams(body.toString());
        const key = url.pathname === "/revoke" ? `revoke:${form.get("token")}` : (form.get("code") ?? form.get("refresh_token") ?? "");
        bump(key);
        if (await scripted(key, res)) return;
        const code = form.get("code");
        const granted = code ? scopesByCode.get(code) : undefined;
        return proxy(req, res, body, granted ? (json) => void (json.scope = granted) : undefined);
      }

      if (url.pathname === "/oauth2/v3/userinfo" || url.pathname === "/user" || url.pathname === "/auth.test") {
        if (!bearer) return send(res, 401, { error: "invalid_token" });
        bump(`api:${bearer}`);
        if (await scripted(`api:${bearer}`, res)) return;
        if (url.pathname === "/user") return send(res, 200, { id: 4242, login: "octo-tester" });
        if (url.pathname === "/auth.test") return send(res, 200, { ok: true, team_id: "T1", team: "Test Team", user_id: "U1", user: "tester" });
        return send(res, 200, { sub: "google-user-1", email: "person@example.test" });
      }

      return proxy(req, res, body);
    })().catch((e: unknown) => send(res, 500, { error: "front_failure", error_description: String(e) }));
  });
  await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
  project.provide("oauthServerUrl", `http://127.0.0.1:${(front.address() as AddressInfo).port}`);

  return async () => {
    await new Promise<void>((resolve) => front.close(() => resolve()));
    await mock.stop();
  };
}
