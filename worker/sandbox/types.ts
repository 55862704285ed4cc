import type { SandboxAccount } from "../db/sandbox";
import type { AppBindings } from "../http/types";

/** Context of the fake APIs: the account and scopes of the presented access token. */
export type SandboxApiBindings = {
  Bindings: AppBindings["Bindings"];
  Variables: AppBindings["Variables"] & { account: SandboxAccount; scopes: string[] };
};
