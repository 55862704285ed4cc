import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, inject, it } from "vitest";
import { TEST_PASSWORD, uniqueEmail } from "./browser";

const baseUrl = inject("baseUrl");
const script = fileURLToPath(new URL("../../scripts/events-tail.mjs", import.meta.url));
const running = new Set<ChildProcessWithoutNullStreams>();

async function api<T>(path: string, body: unknown, token?: string): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  expect(res.ok, `${path} answered ${res.status}`).toBe(true);
  return (await res.json()) as T;
}

/** Runs `npm run events:tail`'s script the way its README section does: credentials in the environment. */
function tail(env: Record<string, string>) {
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  running.add(child);
  const out = { stdout: "", stderr: "" };
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out.stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (out.stderr += d));
  return { child, out };
}

afterEach(() => {
  for (const child of running) if (child.exitCode === null) child.kill("SIGKILL");
  running.clear();
});

describe("npm run events:tail", () => {
  it("signs in, prints a published event as exactly one JSON line, and exits cleanly on Ctrl-C", async () => {
    const email = uniqueEmail("tail");
    const { accessToken, refreshToken } = await api<{ accessToken: string; refreshToken: string }>("/api/auth/register", {
      email,
      password: TEST_PASSWORD,
    });
    const { child, out } = tail({ TASKPILOT_URL: baseUrl, TASKPILOT_EMAIL: email, TASKPILOT_PASSWORD: TEST_PASSWORD });
    await expect.poll(() => out.stderr, { timeout: 15_000 }).toContain("[events:tail] connected");

    const message = "Phase explore completed (seen by the tail)";
    const { event } = await api<{ event: { id: string } }>("/api/realtime/test-event", { jobId: "job-tail", message }, accessToken);
    await expect.poll(() => out.stdout, { timeout: 15_000 }).toMatch(/\n$/);

    const lines = out.stdout.split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ kind: "status", id: event.id, jobId: "job-tail", scope: "session", message });
    // Only frames go to stdout, so the output pipes straight into jq; and no credential leaks into either stream.
    for (const secret of [TEST_PASSWORD, accessToken, refreshToken]) {
      expect(out.stdout + out.stderr).not.toContain(secret);
    }

    child.kill("SIGINT");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });

  it("replays from TASKPILOT_AFTER before live events, each once", async () => {
    const email = uniqueEmail("tail-replay");
    const { accessToken } = await api<{ accessToken: string }>("/api/auth/register", { email, password: TEST_PASSWORD });
    const published: string[] = [];
    for (const message of ["one", "two", "three"]) {
      published.push((await api<{ event: { id: string } }>("/api/realtime/test-event", { message }, accessToken)).event.id);
    }

    const { out } = tail({ TASKPILOT_URL: baseUrl, TASKPILOT_EMAIL: email, TASKPILOT_PASSWORD: TEST_PASSWORD, TASKPILOT_AFTER: published[0]! });
    await expect.poll(() => out.stderr, { timeout: 15_000 }).toContain(`resuming after ${published[0]}`);
    await expect.poll(() => out.stdout.split("\n").filter(Boolean).length, { timeout: 15_000 }).toBe(2);
    published.push((await api<{ event: { id: string } }>("/api/realtime/test-event", { message: "four" }, accessToken)).event.id);
    await expect.poll(() => out.stdout.split("\n").filter(Boolean).length, { timeout: 15_000 }).toBe(3);

    const frames = out.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as { id: string; message: string });
    expect(frames.map((f) => f.message)).toEqual(["two", "three", "four"]);
    expect(frames.map((f) => f.id)).toEqual(published.slice(1));
  });

  it("refuses to start without credentials and says which variables to set", async () => {
    const { child, out } = tail({ TASKPILOT_URL: baseUrl });
    const [code] = await once(child, "exit");
    expect(code).toBe(2);
    expect(out.stderr).toContain("TASKPILOT_EMAIL and TASKPILOT_PASSWORD");
    expect(out.stdout).toBe("");
  });
});
