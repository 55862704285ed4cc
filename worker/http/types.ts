import type { Config } from "../config";
import type { Env } from "../env";

export interface AppVariables {
  requestId: string;
  config: Config;
  /** Set by the auth middleware on authenticated routes. */
  userId: string;
}

export type AppBindings = { Bindings: Env; Variables: AppVariables };
