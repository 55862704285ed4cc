import { focusManager, QueryClient } from "@tanstack/solid-query";
import { ApiError } from "./api";

/** Window for folding the focus and visibility signals of one return to the tab into one refetch. */
export const RETURN_DEBOUNCE_MS = 400;

/**
 * One more try for failures a second try can fix (no network, a 5xx); a 4xx
 * answers the same again, and a 429 is made worse by asking again. The page
 * shows the error with a Retry button after that.
 */
export function retryTransient(failureCount: number, error: unknown): boolean {
  const status = error instanceof ApiError ? error.status : -1;
  return failureCount < 1 && (status === 0 || status >= 500);
}

/**
 * The cache of one signed-in session. Nothing is fresh for long: the event
 * stream invalidates what changed, and focus and reconnect refetch what no
 * event reached.
 */
export function createAppQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { staleTime: 0, retry: retryTransient, refetchOnWindowFocus: true, refetchOnReconnect: true },
      mutations: { retry: false },
    },
  });
}

/**
 * The focus signal the query client refetches on. Switching back to a tab
 * fires `visibilitychange` and `focus` together, and some window managers
 * repeat them: the tab counts as focused again only after a quiet
 * `debounceMs`, so one return costs one refetch. Leaving is the tab being
 * hidden, and counts at once; a `visible` or `focus` without a hidden before
 * it is not a return (while the tab is visible the event stream keeps it
 * current).
 */
export function windowReturnSignal(debounceMs = RETURN_DEBOUNCE_MS) {
  return (setFocused: (focused?: boolean) => void): (() => void) | undefined => {
    if (typeof window === "undefined" || typeof document === "undefined") return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let away = document.visibilityState === "hidden";
    const leave = () => {
      clearTimeout(timer);
      away = true;
      setFocused(false);
    };
    const back = () => {
      if (!away) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        away = false;
        setFocused(true);
      }, debounceMs);
    };
    const onVisibility = () => (document.visibilityState === "hidden" ? leave() : back());
    window.addEventListener("focus", back);
    document.addEventListener("visibilitychange", onVisibility);
    return () => {
      clearTimeout(timer);
      window.removeEventListener("focus", back);
      document.removeEventListener("visibilitychange", onVisibility);
    };
  };
}

/** Installs `windowReturnSignal` as the query library's focus source (it is one per page). */
export function watchWindowReturns(debounceMs = RETURN_DEBOUNCE_MS): void {
  focusManager.setEventListener(windowReturnSignal(debounceMs));
}
