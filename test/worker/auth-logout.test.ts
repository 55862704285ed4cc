import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../worker/index";
import { ORIGIN, problemOf, refresh, register } from "./auth-helpers";

/** The real environment, except that every UserHub call fails as an unreachable Durable Object would. */
function envWithBrokenHub(): typeof env {
  const hub = env.USER_HUB;
  const broken = {
    idFromName: (name: string) => hub.idFromName(name),
    get: () => ({ closeAllSockets: () => Promise.reject(new Error("Durable Object is overloaded")) }),
  };
  return { ...env, USER_HUB: broken as unknown as DurableObjectNamespace };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("logout when the socket hub cannot be reached", () => {
  it("still ends the login and answers 204; the failure is logged, not a 500", async () => {
    const session = await register();
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request(`${ORIGIN}/api/auth/logout`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refreshToken: session.refreshToken }),
      }),
      envWithBrokenHub(),
      ctx,
    );
    await waitOnExecutionContext(ctx);

    expect(res.status).toBe(204);
    expect(res.headers.get("set-cookie")).toMatch(/tp_refresh=;.*Max-Age=0/i);
    const logged = errors.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({ level: "error", message: "logout_socket_close_failed", userId: session.user.id, error: "Durable Object is overloaded" }),
    );
    expect(logged.some((l) => l.message === "unhandled_error")).toBe(false);

    const after = await refresh(session.refreshToken);
    expect(after.status).toBe(401);
    expect((await problemOf(after)).code).toBe("refresh_token_revoked");
  });
});
