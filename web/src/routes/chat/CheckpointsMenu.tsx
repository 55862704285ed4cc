import { DropdownMenu } from "@kobalte/core/dropdown-menu";
import { For } from "solid-js";
import { Icon } from "../../components/Icon";
import type { SessionDetail } from "../../stores/sessions";

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

/**
 * The conversation's checkpoints, newest first (a WAI-ARIA menu button, as
 * the account menu): choosing one goes back to exactly the messages it held.
 */
export function CheckpointsMenu(props: { checkpoints: SessionDetail["checkpoints"]; disabled: boolean; onRestore: (checkpointId: string) => void }) {
  const newestFirst = () => [...props.checkpoints].reverse();
  return (
    <DropdownMenu placement="bottom-end" gutter={6}>
      <DropdownMenu.Trigger class="chat-checkpoints__trigger" disabled={props.disabled} data-testid="checkpoints">
        {props.checkpoints.length} checkpoint{props.checkpoints.length === 1 ? "" : "s"}
        <DropdownMenu.Icon class="user-menu__chevron">
          <Icon name="chevron" size={14} />
        </DropdownMenu.Icon>
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content class="user-menu__panel chat-checkpoints__panel">
          <DropdownMenu.Group>
            <DropdownMenu.GroupLabel class="user-menu__identity">
              <strong>Go back to a checkpoint</strong>
              <span class="muted">Later messages leave the conversation.</span>
            </DropdownMenu.GroupLabel>
            <For each={newestFirst()}>
              {(cp) => (
                <DropdownMenu.Item class="user-menu__item chat-checkpoints__item" onSelect={() => props.onRestore(cp.id)}>
                  <span>
                    {cp.messageCount} message{cp.messageCount === 1 ? "" : "s"} · {cp.reason}
                  </span>
                  <time class="muted" datetime={cp.createdAt}>
                    {when(cp.createdAt)}
                  </time>
                </DropdownMenu.Item>
              )}
            </For>
          </DropdownMenu.Group>
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu>
  );
}
