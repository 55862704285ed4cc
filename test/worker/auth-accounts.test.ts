import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { hashPassword } from "../../worker/auth/password";
import { getMe, post, problemOf, register, uniqueEmail } from "./auth-helpers";

describe("register, login and /api/me", () => {
  it("registers, logs in and reads the account", async () => {
    const email = uniqueEmail("Happy");
    const res = await post("/api/auth/register", { email: `  ${email.toUpperCase()} `, password: "s3cret-password", name: "Ada" });
    expect(res.status).toBe(201);
    const session = (await res.json()) as { user: { id: string; email: string; name: string; createdAt: string }; accessToken: string; refreshToken: string; expiresIn: number };
    expect(session.user.email).toBe(email.toLowerCase());
    expect(session.user.name).toBe("Ada");
    expect(new Date(session.user.createdAt).toISOString()).toBe(session.user.createdAt);
    expect(session.expiresIn).toBe(900);
    expect(session.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Object.keys(session.user).sort()).toEqual(["createdAt", "email", "id", "name", "role"]);

    const login = await post("/api/auth/login", { email: email.toLowerCase(), password: "s3cret-password" });
    expect(login.status).toBe(200);
    const loggedIn = (await login.json()) as { user: { id: string }; accessToken: string; refreshToken: string };
    expect(loggedIn.user.id).toBe(session.user.id);
    expect(loggedIn.refreshToken).not.toBe(session.refreshToken);

    const me = await getMe(loggedIn.accessToken);
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ user: session.user });
  });

  it("refuses a second account for the same email with 409 email_taken", async () => {
    const { user } = await register();
    const res = await post("/api/auth/register", { email: user.email.toUpperCase(), password: "another-password" });
    expect(res.status).toBe(409);
    expect((await problemOf(res)).code).toBe("email_taken");
  });

  it("answers a wrong password and an unknown email identically", async () => {
    const { user } = await register();
    const wrongPassword = await post("/api/auth/login", { email: user.email, password: "not-the-password" });
    const unknownEmail = await post("/api/auth/login", { email: uniqueEmail("nobody"), password: "not-the-password" });
    expect(wrongPassword.status).toBe(401);
    expect(unknownEmail.status).toBe(401);
    const a = await problemOf(wrongPassword);
    const b = await problemOf(unknownEmail);
    expect(a.code).toBe("invalid_credentials");
    expect({ ...a, requestId: undefined }).toEqual({ ...b, requestId: undefined });
  });

  it("rejects /api/me without a token", async () => {
    const get = await getMe("");
    expect(get.status).toBe(401);
    expect((await problemOf(get)).code).toBe("unauthorized");
  });

  it("upgrades a hash made with older iteration counts on the next successful login", async () => {
    const { user, password } = await register();
    const old = await hashPassword(password, 1000);
    await env.DB.prepare("update users set password_hash = ?, password_salt = ?, password_iterations = ? where id = ?")
      .bind(old.hash, old.salt, old.iterations, user.id)
      .run();
    expect((await post("/api/auth/login", { email: user.email, password })).status).toBe(200);
    const row = await env.DB.prepare("select password_iterations as n, password_salt as salt from users where id = ?").bind(user.id).first<{ n: number; salt: string }>();
    expect(row).toMatchObject({ n: 100_000 });
    expect(row?.salt).not.toBe(old.salt);
    expect((await post("/api/auth/login", { email: user.email, password })).status).toBe(200);
  });
});
