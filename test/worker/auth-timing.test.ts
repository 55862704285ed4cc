import { describe, expect, it } from "vitest";
import { post, register, uniqueEmail } from "./auth-helpers";

async function elapsed(request: () => Promise<Response>): Promise<number> {
  const started = performance.now();
  const res = await request();
  expect(res.status).toBe(401);
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe("login timing does not reveal whether an email has an account", () => {
  it("spends a full PBKDF2 run on an unknown email, as on a wrong password", async () => {
    const { user } = await register();
    const wrongPassword: number[] = [];
    const unknownEmail: number[] = [];
    for (let i = 0; i < 5; i++) {
      wrongPassword.push(await elapsed(() => post("/api/auth/login", { email: user.email, password: `wrong-${i}` })));
      unknownEmail.push(await elapsed(() => post("/api/auth/login", { email: uniqueEmail("ghost"), password: `wrong-${i}` })));
    }
    // Without the dummy hash an unknown email answers in a small fraction of the 100 000-iteration time; the
    // wide margin keeps this stable on a busy machine while still catching a skipped PBKDF2.
    expect(median(unknownEmail)).toBeGreaterThan(median(wrongPassword) * 0.5);
    expect(median(wrongPassword)).toBeGreaterThan(median(unknownEmail) * 0.5);
  });
});
