import type { SandboxAccount } from "../db/sandbox";
import type { AppBindings } from "../http/types";

/** Context of the fake APIs: the account and scopes of the presented access token. */
export type SandboxApiBindings = {
  Bindings: AppBindings["Bindings"];
  Variables: AppBindings["Variables"] & { account: SandboxAccount; scopes: string[] };
};

/** Access-token lifetime: short by default so TaskPilot's refresh path runs; tests shorten it further. */
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 300;

export function accessTokenTtlSeconds(env: Record<string, unknown>): number {
  const n = Number(env.SANDBOX_ACCESS_TOKEN_TTL_SECONDS);
  return Number.isInteger(n) && n >= 1 && n <= 86_400 ? n : DEFAULT_ACCESS_TOKEN_TTL_SECONDS;
}
