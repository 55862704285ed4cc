import type { Config } from "../config";
import type { Env } from "../env";

export interface AppVariables {
  requestId: string;
  config: Config;
  /** Set by the auth middleware on authenticated routes. */
  userId: string;
  /** The session version the access token was issued under (`requireAccessToken`; the route compares it with the row it reads). */
  tokenSessionVersion: number;
}

export type AppBindings = { Bindings: Env; Variables: AppVariables };
