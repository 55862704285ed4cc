import { SELF } from "cloudflare:test";
import type { AuthSession } from "../../worker/contract/auth";

export const ORIGIN = "https://app.test";

let counter = 0;
/** A fresh identity per call so tests never share users or rate-limit buckets. */
export function uniqueEmail(tag: string): string {
  counter += 1;
  return `${tag}-${counter}-${crypto.randomUUID().slice(0, 8)}@example.test`;
}

export function uniqueIp(): string {
  const b = crypto.getRandomValues(new Uint8Array(3));
  return `10.${b[0]}.${b[1]}.${b[2]}`;
}

export function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`${ORIGIN}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": uniqueIp(), ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export async function register(email = uniqueEmail("user"), password = "correct horse battery"): Promise<AuthSession & { password: string }> {
  const res = await post("/api/auth/register", { email, password });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  return { ...((await res.json()) as AuthSession), password };
}

export function refresh(refreshToken: string): Promise<Response> {
  return post("/api/auth/refresh", { refreshToken });
}

export function getMe(accessToken: string): Promise<Response> {
  return SELF.fetch(`${ORIGIN}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } });
}

export interface Problem {
  code: string;
  status: number;
  detail: string;
  errors?: Array<{ path: string; message: string }>;
}

export async function problemOf(res: Response): Promise<Problem> {
  if (!res.headers.get("content-type")?.includes("application/problem+json")) {
    throw new Error(`expected problem+json, got ${res.headers.get("content-type")}: ${await res.text()}`);
  }
  return (await res.json()) as Problem;
}
