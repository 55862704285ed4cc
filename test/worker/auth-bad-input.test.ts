import { SELF } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ORIGIN, post, problemOf, refresh, register, uniqueEmail } from "./auth-helpers";

async function expectInvalid(res: Response, path?: string) {
  expect(res.status).toBe(400);
  const body = await problemOf(res);
  expect(body.code).toBe("invalid_request");
  if (path) expect(body.errors?.map((e) => e.path)).toContain(path);
}

describe("bad input to the auth routes is a 4xx problem, never a 500", () => {
  it("rejects malformed JSON", async () => {
    const res = await post("/api/auth/register", '{"email": "a@b.test", ');
    expect(res.status).toBe(400);
    expect((await problemOf(res)).code).toBe("invalid_request");
  });

  it("rejects a body that is not JSON by content type", async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "email=a%40b.test&password=whatever1",
    });
    await expectInvalid(res, "(body)");
  });

  it("names missing fields and wrong types", async () => {
    await expectInvalid(await post("/api/auth/register", {}), "email");
    await expectInvalid(await post("/api/auth/register", { email: uniqueEmail("t") }), "password");
    await expectInvalid(await post("/api/auth/login", { email: 42, password: ["x"] }), "email");
    await expectInvalid(await post("/api/auth/register", { email: "not-an-email", password: "long-enough" }), "email");
    await expectInvalid(await post("/api/auth/refresh", { refreshToken: 7 }), "refreshToken");
    await expectInvalid(await post("/api/auth/register", []), undefined);
    await expectInvalid(await post("/api/auth/register", "null"), undefined);
  });

  it("enforces password length 8..256 and caps the other strings", async () => {
    await expectInvalid(await post("/api/auth/register", { email: uniqueEmail("short"), password: "x".repeat(7) }), "password");
    await expectInvalid(await post("/api/auth/register", { email: uniqueEmail("long"), password: "x".repeat(257) }), "password");
    expect((await post("/api/auth/register", { email: uniqueEmail("eight"), password: "x".repeat(8) })).status).toBe(201);
    expect((await post("/api/auth/register", { email: uniqueEmail("max"), password: "x".repeat(256) })).status).toBe(201);
    await expectInvalid(await post("/api/auth/register", { email: `${"a".repeat(250)}@b.test`, password: "long-enough" }), "email");
    await expectInvalid(await post("/api/auth/register", { email: uniqueEmail("name"), password: "long-enough", name: "n".repeat(101) }), "name");
    await expectInvalid(await post("/api/auth/refresh", { refreshToken: "r".repeat(129) }), "refreshToken");
  });

  it("answers a body over 1 MB with 413", async () => {
    const res = await post("/api/auth/login", { email: uniqueEmail("big"), password: "p".repeat(1024 * 1024 + 10) });
    expect(res.status).toBe(413);
    expect((await problemOf(res)).code).toBe("payload_too_large");
  });
});

describe("secrets stay out of responses and logs", () => {
  afterEach(() => vi.restoreAllMocks());

  it("never echoes the password or a refresh token hash, and never logs either", async () => {
    const lines: string[] = [];
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
    }
    const password = `Pw-${crypto.randomUUID()}`;
    const email = uniqueEmail("secret");
    const bodies: string[] = [];
    const keep = async (res: Response) => {
      bodies.push(await res.text());
      return res;
    };

    await keep(await post("/api/auth/register", { email, password }));
    const first = JSON.parse(bodies[0]!) as { refreshToken: string };
    await keep(await post("/api/auth/login", { email, password: `${password}-wrong` }));
    await keep(await post("/api/auth/register", { email, password }));
    await keep(await post("/api/auth/register", { email: "bad", password: password.padEnd(300, "x") }));
    await keep(await refresh(first.refreshToken));
    await keep(await refresh(first.refreshToken));

    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(first.refreshToken));
    const tokenHash = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");

    // The reuse warning proves the log capture works; it must name the family, not the token.
    expect(lines.some((l) => l.includes("refresh_token_reused"))).toBe(true);
    for (const text of [...bodies, ...lines]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(tokenHash);
    }
    for (const line of lines) expect(line).not.toContain(first.refreshToken);
  });
});
