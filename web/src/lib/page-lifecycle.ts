import { onCleanup } from "solid-js";

/**
 * Runs `fn` when the page comes back from the back-forward cache. The page
 * is restored as it was left, so state meant for "leaving now" (a button
 * busy until the provider's consent page loads) is still set and has to be
 * undone by hand.
 */
export function onRestoredFromCache(fn: () => void): void {
  const listener = (e: PageTransitionEvent) => {
    if (e.persisted) fn();
  };
  window.addEventListener("pageshow", listener);
  onCleanup(() => window.removeEventListener("pageshow", listener));
}
