import { describe, expect, it } from "vitest";
import { ApiError, createApiClient } from "../../web/src/lib/api";
import { createAccountStore } from "../../web/src/stores/account";

const user = { id: "u1", email: "ada@example.test", name: "Ada", createdAt: "2026-01-01T00:00:00.000Z" };
const json = (status: number, body: unknown, type = "application/json") => new Response(JSON.stringify(body), { status, headers: { "content-type": type } });

/** A worker that knows one password; records every request as "METHOD path body". */
function server() {
  const seen: string[] = [];
  async function fetchImpl(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const path = new URL(String(input), "http://app.test").pathname;
    seen.push(`${init?.method ?? "GET"} ${path}${init?.body ? ` ${String(init.body)}` : ""}`);
    if (path === "/api/auth/refresh") return json(200, { user, accessToken: "access-1", refreshToken: "r", expiresIn: 900 });
    if (path === "/api/auth/logout") return new Response(null, { status: 204 });
    if (path === "/api/me/export") return json(200, { format: "taskpilot-account-export/1", exportedAt: "2026-11-23T10:00:00.000Z", user });
    if (path === "/api/me" && init?.method === "DELETE") {
      const { password } = JSON.parse(String(init.body)) as { password: string };
      return password === "right" ? new Response(null, { status: 204 }) : json(401, { status: 401, code: "invalid_credentials", detail: "The password is not right." }, "application/problem+json");
    }
    return new Response(null, { status: 404 });
  }
  return { fetchImpl, seen };
}

async function signedIn() {
  const s = server();
  const client = createApiClient({ fetch: s.fetchImpl });
  await client.restore();
  s.seen.length = 0;
  return { s, client, store: createAccountStore(client) };
}

describe("account store", () => {
  it("names the export file by its date and keeps the JSON readable", async () => {
    const { store } = await signedIn();
    const file = await store.exportFile();
    expect(file.filename).toBe("taskpilot-export-2026-11-23.json");
    expect(JSON.parse(file.text)).toMatchObject({ user: { email: user.email } });
  });

  it("deletes with the password, then ends the local session", async () => {
    const { s, client, store } = await signedIn();
    await store.deleteAccount("right");
    expect(s.seen).toEqual(['DELETE /api/me {"password":"right"}', "POST /api/auth/logout {}"]);
    expect(client.isSignedIn).toBe(false);
  });

  it("a wrong password keeps the session and surfaces the API's error", async () => {
    const { s, client, store } = await signedIn();
    const error = await store.deleteAccount("wrong").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toBe("The password is not right.");
    expect(s.seen).toEqual(['DELETE /api/me {"password":"wrong"}']);
    expect(client.isSignedIn).toBe(true);
  });
});
