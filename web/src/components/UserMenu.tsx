import { A, useNavigate } from "@solidjs/router";
import { Show, createEffect, createSignal, onCleanup, onMount } from "solid-js";
import { useAuth } from "../stores/auth-context";
import { Icon } from "./Icon";

/** Account button with a disclosure menu; Escape and clicks outside close it. */
export function UserMenu() {
  const auth = useAuth();
  const navigate = useNavigate();
  const [open, setOpen] = createSignal(false);
  const [signingOut, setSigningOut] = createSignal(false);
  let container: HTMLDivElement | undefined;
  let trigger: HTMLButtonElement | undefined;
  let signOutButton: HTMLButtonElement | undefined;

  // Keyboard users land on Sign out, the action the menu is mostly opened for; Shift+Tab reaches Settings.
  createEffect(() => {
    if (open()) signOutButton?.focus();
  });

  const label = () => auth.user()?.name || auth.user()?.email || "Account";
  const initial = () => label().trim().charAt(0).toUpperCase() || "?";

  const onDocumentClick = (e: MouseEvent) => {
    if (open() && container && !container.contains(e.target as Node)) setOpen(false);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape" && open()) {
      setOpen(false);
      trigger?.focus();
    }
  };
  onMount(() => {
    document.addEventListener("click", onDocumentClick);
    document.addEventListener("keydown", onKeyDown);
  });
  onCleanup(() => {
    document.removeEventListener("click", onDocumentClick);
    document.removeEventListener("keydown", onKeyDown);
  });

  const signOut = async () => {
    setSigningOut(true);
    try {
      await auth.logout();
    } finally {
      setSigningOut(false);
      navigate("/login", { replace: true });
    }
  };

  return (
    <div class="user-menu" ref={container}>
      <button
        ref={trigger}
        type="button"
        class="user-menu__trigger"
        aria-expanded={open()}
        aria-controls="user-menu-panel"
        onClick={() => setOpen(!open())}
      >
        <span class="avatar" aria-hidden="true">
          {initial()}
        </span>
        <span class="user-menu__name">{label()}</span>
        <Icon name="chevron" size={16} />
      </button>
      <Show when={open()}>
        <div id="user-menu-panel" class="user-menu__panel">
          <div class="user-menu__identity">
            <strong>{auth.user()?.name || "Signed in"}</strong>
            <span class="muted">{auth.user()?.email}</span>
          </div>
          <A href="/settings" class="user-menu__item" onClick={() => setOpen(false)}>
            <Icon name="settings" />
            Settings
          </A>
          <button ref={signOutButton} type="button" class="user-menu__item" onClick={() => void signOut()} disabled={signingOut()}>
            <Icon name="logout" />
            {signingOut() ? "Signing out…" : "Sign out"}
          </button>
        </div>
      </Show>
    </div>
  );
}
