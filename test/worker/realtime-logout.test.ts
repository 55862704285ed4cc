import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { post, register } from "./auth-helpers";
import { ORIGIN, TestSocket } from "./realtime-helpers";

async function socketFor(accessToken: string): Promise<TestSocket> {
  const ticketRes = await SELF.fetch(`${ORIGIN}/api/realtime/ticket`, { method: "POST", headers: { authorization: `Bearer ${accessToken}` } });
  const { ticket } = (await ticketRes.json()) as { ticket: string };
  const res = await SELF.fetch(`${ORIGIN}/api/realtime?ticket=${ticket}`, { headers: { upgrade: "websocket" } });
  return new TestSocket(res.webSocket!);
}

describe("sign-out and sockets", () => {
  it("closes every socket of the user who signs out, and no one else's", async () => {
    const [a, b] = [await register(), await register()];
    const [a1, a2, b1] = [await socketFor(a.accessToken), await socketFor(a.accessToken), await socketFor(b.accessToken)];
    expect((await post("/api/auth/logout", { refreshToken: a.refreshToken })).status).toBe(204);
    await a1.until(() => a1.closed !== undefined, "A1 closed");
    await a2.until(() => a2.closed !== undefined, "A2 closed");
    expect(a1.closed?.code).toBe(4001);
    expect(b1.closed).toBeUndefined();
    b1.close();
  });
});
