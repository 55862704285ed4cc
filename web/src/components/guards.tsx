import { Navigate, useLocation, useSearchParams } from "@solidjs/router";
import { Match, Switch, type ParentProps } from "solid-js";
import { safeNextPath } from "../lib/next-path";
import { useAuth } from "../stores/auth-context";
import { Spinner } from "./Spinner";

function Restoring() {
  return (
    <div class="center-screen" role="status" aria-live="polite">
      <Spinner />
      <span class="muted">Loading your workspace…</span>
    </div>
  );
}

/** Pages behind sign-in; the location is kept so sign-in returns there. */
export function RequireUser(props: ParentProps) {
  const auth = useAuth();
  const location = useLocation();
  const next = () => encodeURIComponent(location.pathname + location.search);
  return (
    <Switch>
      <Match when={auth.status() === "restoring"}>
        <Restoring />
      </Match>
      <Match when={auth.status() === "signed-out"}>
        <Navigate href={`/login?next=${next()}`} />
      </Match>
      <Match when={auth.status() === "signed-in"}>{props.children}</Match>
    </Switch>
  );
}

/**
 * Sign-in and registration pages. Once the session exists this is the one
 * place that moves on, to `?next=` when it is a same-site path.
 */
export function RequireGuest(props: ParentProps) {
  const auth = useAuth();
  const [params] = useSearchParams<{ next?: string }>();
  return (
    <Switch>
      <Match when={auth.status() === "restoring"}>
        <Restoring />
      </Match>
      <Match when={auth.status() === "signed-in"}>
        <Navigate href={safeNextPath(params.next)} />
      </Match>
      <Match when={auth.status() === "signed-out"}>{props.children}</Match>
    </Switch>
  );
}
