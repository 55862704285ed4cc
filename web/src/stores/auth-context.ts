import { createContext, useContext } from "solid-js";
import type { AuthStore } from "./auth";

export const AuthContext = createContext<AuthStore>();

export function useAuth(): AuthStore {
  const store = useContext(AuthContext);
  if (!store) throw new Error("useAuth() must be used inside <AuthContext.Provider>.");
  return store;
}
