import { describe, expect, it } from "vitest";
import { ApiError, createApiClient } from "../../web/src/lib/api";

const user = { id: "u1", email: "ada@example.test", name: "Ada", createdAt: "2026-01-01T00:00:00.000Z" };

function problem(status: number, code: string): Response {
  return new Response(JSON.stringify({ status, code, detail: `${code} detail` }), { status, headers: { "content-type": "application/problem+json" } });
}

/** A worker whose DELETE /api/me answers with `deleteAnswer`; counts what reaches it. */
function server(deleteAnswer: () => Response) {
  const calls = { refresh: 0, delete: 0 };
  async function fetchImpl(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const path = new URL(String(input), "http://app.test").pathname;
    if (path === "/api/auth/refresh") {
      calls.refresh++;
      return new Response(JSON.stringify({ user, accessToken: `access-${calls.refresh}`, refreshToken: "r", expiresIn: 900 }), {
        status: 200,
        headers: { "content-type": "application/json" },
      });
    }
    if (path === "/api/me" && init?.method === "DELETE") {
      calls.delete++;
      return deleteAnswer();
    }
    return new Response(null, { status: 404 });
  }
  return { fetchImpl, calls };
}

describe("api client and a rejected password", () => {
  it("does not refresh or resend when a 401 says the password was wrong", async () => {
    const s = server(() => problem(401, "invalid_credentials"));
    const client = createApiClient({ fetch: s.fetchImpl });
    await client.restore();
    const refreshesBefore = s.calls.refresh;

    const error = await client.delete("/api/me", { body: { password: "wrong" } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe("invalid_credentials");
    expect(s.calls).toEqual({ refresh: refreshesBefore, delete: 1 });
    expect(client.isSignedIn).toBe(true);
  });

  it("still refreshes and retries once when the 401 is about the access token", async () => {
    let answers = 0;
    const s = server(() => (answers++ === 0 ? problem(401, "token_expired") : new Response(null, { status: 204 })));
    const client = createApiClient({ fetch: s.fetchImpl });
    await client.restore();

    await client.delete("/api/me", { body: { password: "right" } });
    expect(s.calls).toEqual({ refresh: 2, delete: 2 });
  });
});
