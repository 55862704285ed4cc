import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, PROJECT_ROOT } from "../../scripts/lib/dev-server.mjs";
import { d1Execute, runNode } from "./run";

const SCRIPT = join(PROJECT_ROOT, "scripts", "keys-rotate.mjs");
const OLD = "k0:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";
const NEW = "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
const FORGOTTEN = "kx:BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ=";

// The envelope format read independently of the worker's code (node:crypto, not WebCrypto):
// `{version}.{kid}.{base64url iv}.{base64url ciphertext ‖ 16-byte tag}`, AAD `id` for v1 and `id:column` for v2.
const keyOf = (entry: string) => ({ kid: entry.split(":")[0]!, raw: Buffer.from(entry.split(":")[1]!, "base64") });

function sealV1(entry: string, id: string, plaintext: string): string {
  const { kid, raw } = keyOf(entry);
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", raw, iv).setAAD(Buffer.from(id));
  const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return ["v1", kid, iv.toString("base64url"), sealed.toString("base64url")].join(".");
}

function openV2(entry: string, id: string, column: string, envelope: string): string {
  const { kid, raw } = keyOf(entry);
  const [version, envelopeKid, iv, body] = envelope.split(".");
  expect([version, envelopeKid]).toEqual(["v2", kid]);
  const sealed = Buffer.from(body!, "base64url");
  const decipher = createDecipheriv("aes-256-gcm", raw, Buffer.from(iv!, "base64url")).setAAD(Buffer.from(`${id}:${column}`));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]).toString("utf8");
}

const run = runNode;

let persistTo: string;

async function sql<T = Record<string, unknown>>(command: string): Promise<T[]> {
  return (await d1Execute(persistTo, command)).at(-1) as T[];
}

beforeAll(async () => {
  persistTo = mkdtempSync(join(tmpdir(), "taskpilot-rotate-"));
  await applyMigrations({ persistTo, quiet: true });
  const rows = [
    ["int-a", "gmail", sealV1(OLD, "int-a", "a-access"), sealV1(OLD, "int-a", "a-refresh")],
    ["int-b", "slack", sealV1(OLD, "int-b", "b-access"), null],
    ["int-c", "github", sealV1(FORGOTTEN, "int-c", "c-access"), null],
  ];
  const values = rows.map(([id, provider, access, refresh]) => `('${id}', 'u1', '${provider}', 'active', '[]', '${access}', ${refresh ? `'${refresh}'` : "NULL"}, 0, 0)`);
  await sql(
    "insert into users (id, email, password_hash, password_salt, password_iterations, created_at, updated_at) values ('u1', 'rotate@example.test', 'h', 's', 1, 0, 0); " +
      `insert into integrations (id, user_id, provider, status, scopes, access_token_enc, refresh_token_enc, created_at, updated_at) values ${values.join(", ")}`,
  );
}, 120_000);

afterAll(() => {
  rmSync(persistTo, { recursive: true, force: true });
});

describe("npm run keys:rotate (through wrangler d1 execute, as with --remote)", () => {
  it("re-seals v1 rows under the new key as v2, names the row no key opens, and changes nothing the second time", async () => {
    const first = await run([SCRIPT, "--persist-to", persistTo], { TOKEN_ENCRYPTION_KEYS: `${NEW},${OLD}` });
    expect(first.stdout).toContain('Scanned 3 integration(s) in the local database; re-sealed 2 under key "k1"');
    expect(first.stderr).toContain("int-c");
    expect(first.code).toBe(1);

    const stored = await sql<{ id: string; access_token_enc: string; refresh_token_enc: string | null }>(
      "select id, access_token_enc, refresh_token_enc from integrations order by id",
    );
    const [a, b, c] = stored;
    expect(openV2(NEW, "int-a", "access_token_enc", a!.access_token_enc)).toBe("a-access");
    expect(openV2(NEW, "int-a", "refresh_token_enc", a!.refresh_token_enc!)).toBe("a-refresh");
    expect(openV2(NEW, "int-b", "access_token_enc", b!.access_token_enc)).toBe("b-access");
    expect(b!.refresh_token_enc).toBeNull();
    // Bound to its column: the access envelope does not open as a refresh token.
    expect(() => openV2(NEW, "int-a", "refresh_token_enc", a!.access_token_enc)).toThrow();
    expect(c!.access_token_enc.startsWith("v1.kx.")).toBe(true);

    const again = await run([SCRIPT, "--persist-to", persistTo], { TOKEN_ENCRYPTION_KEYS: NEW });
    expect(again.stdout).toContain("re-sealed 0");
    // Each run is in the security audit log, from the command line, with what it did and no key material.
    const audited = await sql<{ action: string; actor_type: string; result: string; code: string | null; detail: string }>("select action, actor_type, result, code, detail from audit_log order by id");
    expect(audited.map((r) => [r.action, r.actor_type, r.result, r.code])).toEqual([
      ["keys.rotated", "cli", "failure", "unreadable_rows"],
      // int-c still opens under no key.
      ["keys.rotated", "cli", "failure", "unreadable_rows"],
    ]);
    expect(JSON.parse(audited[0]!.detail)).toEqual({ keyId: "k1", rewritten: 2, unreadable: 1 });
    expect(audited.map((r) => r.detail).join()).not.toContain(NEW.split(":")[1]!);
    expect((await sql<{ access_token_enc: string }>("select access_token_enc from integrations where id = 'int-a'"))[0]!.access_token_enc).toBe(a!.access_token_enc);
  }, 180_000);

  it("refuses --remote without the deployed keys in the environment", async () => {
    const out = await run([SCRIPT, "--remote"], { TOKEN_ENCRYPTION_KEYS: "" });
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("TOKEN_ENCRYPTION_KEYS");
  });
});
