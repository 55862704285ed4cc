import { createSignal } from "solid-js";
import type { LoginBody, PublicUser, RegisterBody } from "../../../worker/contract/auth";
import { api as defaultClient, type ApiClient } from "../lib/api";

export type AuthStatus = "restoring" | "signed-out" | "signed-in";

/**
 * The session as the UI sees it. On start it asks the server to refresh from
 * the HttpOnly cookie, which is how a reload keeps the person signed in while
 * the access token itself stays in memory only.
 */
export function createAuthStore(client: ApiClient = defaultClient) {
  const [user, setUser] = createSignal<PublicUser | null>(client.user);
  const [status, setStatus] = createSignal<AuthStatus>("restoring");

  client.onUserChange((next) => {
    setUser(next);
    if (status() !== "restoring") setStatus(next ? "signed-in" : "signed-out");
  });

  async function restore() {
    setStatus("restoring");
    const restored = await client.restore();
    setStatus(restored ? "signed-in" : "signed-out");
  }

  return {
    user,
    status,
    restore,
    register: (body: RegisterBody) => client.register(body),
    login: (body: LoginBody) => client.login(body),
    logout: () => client.logout(),
  };
}

export type AuthStore = ReturnType<typeof createAuthStore>;
