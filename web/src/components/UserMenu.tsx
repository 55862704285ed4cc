import { DropdownMenu } from "@kobalte/core/dropdown-menu";
import { useNavigate } from "@solidjs/router";
import { createSignal } from "solid-js";
import { useAuth } from "../stores/auth-context";
import { Icon } from "./Icon";

/**
 * The account button and its menu (WAI-ARIA menu button): Enter, Space or
 * the arrow keys open it onto an item, arrows and Home/End move between
 * items, typing a letter jumps to one, Escape closes it and focus returns to
 * the button.
 */
export function UserMenu() {
  const auth = useAuth();
  const navigate = useNavigate();
  const [signingOut, setSigningOut] = createSignal(false);

  const label = () => auth.user()?.name || auth.user()?.email || "Account";
  const initial = () => label().trim().charAt(0).toUpperCase() || "?";

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
    <div class="user-menu">
      <DropdownMenu placement="bottom-end" gutter={8}>
        <DropdownMenu.Trigger class="user-menu__trigger">
          <span class="avatar" aria-hidden="true">
            {initial()}
          </span>
          <span class="user-menu__name">{label()}</span>
          <DropdownMenu.Icon class="user-menu__chevron">
            <Icon name="chevron" size={16} />
          </DropdownMenu.Icon>
        </DropdownMenu.Trigger>
        <DropdownMenu.Portal>
          <DropdownMenu.Content id="user-menu-panel" class="user-menu__panel">
            <DropdownMenu.Group>
              <DropdownMenu.GroupLabel class="user-menu__identity">
                <strong>{auth.user()?.name || "Signed in"}</strong>
                <span class="muted">{auth.user()?.email}</span>
              </DropdownMenu.GroupLabel>
              <DropdownMenu.Item class="user-menu__item" onSelect={() => navigate("/settings")}>
                <Icon name="settings" />
                Settings
              </DropdownMenu.Item>
              <DropdownMenu.Item class="user-menu__item" onSelect={() => void signOut()} disabled={signingOut()}>
                <Icon name="logout" />
                {signingOut() ? "Signing out…" : "Sign out"}
              </DropdownMenu.Item>
            </DropdownMenu.Group>
          </DropdownMenu.Content>
        </DropdownMenu.Portal>
      </DropdownMenu>
    </div>
  );
}
