import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createServer } from "node:net";
import { assertPortFree, ensureDevVars, findFreePort, generateSecrets } from "../../scripts/lib/dev-server.mjs";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), "taskpilot-devvars-"));
  dirs.push(dir);
  return dir;
}

describe("local secrets for npm start", () => {
  it("generates a JWT secret of at least 32 bytes and one 32-byte encryption key with an id", () => {
    const secrets = generateSecrets();
    expect(Buffer.from(secrets.JWT_SECRET, "base64url").length).toBeGreaterThanOrEqual(32);
    const match = /^k1:([A-Za-z0-9+/=]+)$/.exec(secrets.TOKEN_ENCRYPTION_KEYS);
    expect(match).not.toBeNull();
    expect(Buffer.from(match![1]!, "base64").length).toBe(32);
    expect(generateSecrets().JWT_SECRET).not.toBe(secrets.JWT_SECRET);
  });

  it("writes .dev.vars once, readable only by its owner, and never overwrites it", () => {
    const file = join(tempDir(), ".dev.vars");
    expect(ensureDevVars(file).created).toBe(true);
    const first = readFileSync(file, "utf8");
    expect(first).toMatch(/^JWT_SECRET=\S{43,}$/m);
    expect(first).toMatch(/^TOKEN_ENCRYPTION_KEYS=k1:\S+$/m);
    expect(statSync(file).mode & 0o077).toBe(0);

    expect(ensureDevVars(file).created).toBe(false);
    expect(readFileSync(file, "utf8")).toBe(first);
  });

  it("leaves a developer's own .dev.vars alone", () => {
    const file = join(tempDir(), ".dev.vars");
    writeFileSync(file, "JWT_SECRET=mine-and-long-enough-0123456789abcdef\n");
    expect(ensureDevVars(file).created).toBe(false);
    expect(readFileSync(file, "utf8")).toBe("JWT_SECRET=mine-and-long-enough-0123456789abcdef\n");
  });

  it("finds a free loopback port", async () => {
    const port = await findFreePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
  });

  it("refuses a port that is already taken, naming it", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const { port } = server.address() as { port: number };
    try {
      await expect(assertPortFree(port)).rejects.toThrow(`Port ${port} on 127.0.0.1 is already in use`);
    } finally {
      await new Promise((r) => server.close(r));
    }
    await expect(assertPortFree(port)).resolves.toBeUndefined();
  });
});
