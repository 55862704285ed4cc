import { env, SELF } from "cloudflare:test";
import { issueAccessToken } from "../../worker/auth/access-token";
import type { ServerFrame, WireFrame } from "../../worker/contract/events";
import { database, schema } from "../../worker/db/client";

export const ORIGIN = "https://app.test";

export interface TestUser {
  id: string;
  token: string;
}

/** A user row of its own (events reference users) and an access token for it. */
export async function createUser(tag = "rt"): Promise<TestUser> {
  const id = `${tag}-${crypto.randomUUID()}`;
  const now = new Date();
  await database(env)
    .insert(schema.users)
    .values({ id, email: `${id}@example.test`, passwordHash: "x", passwordSalt: "x", passwordIterations: 1, createdAt: now, updatedAt: now });
  return { id, token: await issueAccessToken(env.JWT_SECRET!, id) };
}

export function authed(user: TestUser, init: RequestInit = {}): RequestInit {
  return { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${user.token}` } };
}

export async function getTicket(user: TestUser): Promise<string> {
  const res = await SELF.fetch(`${ORIGIN}/api/realtime/ticket`, authed(user, { method: "POST" }));
  if (res.status !== 200) throw new Error(`ticket failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { ticket: string }).ticket;
}

export function upgrade(ticket: string): Promise<Response> {
  return SELF.fetch(`${ORIGIN}/api/realtime?ticket=${encodeURIComponent(ticket)}`, { headers: { upgrade: "websocket" } });
}

/** A connected client socket that records every frame and its close. */
export class TestSocket {
  readonly frames: WireFrame[] = [];
  closed: { code: number; reason: string } | undefined;
  private waiters: Array<() => void> = [];

  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener("message", (e) => {
      this.frames.push(JSON.parse(e.data as string) as WireFrame);
      this.wake();
    });
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
      this.wake();
    });
  }

  get events(): ServerFrame[] {
    return this.frames.filter((f): f is ServerFrame => "kind" in f && "id" in f);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once `done()` holds; fails the test after `ms` instead of hanging. */
  async until(done: () => boolean, what: string, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, Math.min(left, 50));
      });
    }
  }

  send(data: string | ArrayBuffer): void {
    this.ws.send(data);
  }

  close(): void {
    try {
      this.ws.close(1000, "test done");
    } catch {
      // already closed by the server
    }
  }
}

export async function connect(user: TestUser): Promise<TestSocket> {
  const res = await upgrade(await getTicket(user));
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade failed: ${res.status} ${await res.text()}`);
  return new TestSocket(res.webSocket);
}

/** Publishes through the sandbox-only test route, as the bench and e2e tests do. */
export async function publishTestEvent(user: TestUser, message: string): Promise<ServerFrame> {
  const res = await SELF.fetch(
    `${ORIGIN}/api/realtime/test-event`,
    authed(user, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ message }) }),
  );
  if (res.status !== 201) throw new Error(`test-event failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { event: ServerFrame }).event;
}
