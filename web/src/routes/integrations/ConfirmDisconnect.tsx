import type { ProviderName } from "../../../../worker/contract/integrations";
import { ConfirmButton } from "../../components/ConfirmButton";

const GRANTED_BY: Record<ProviderName, string> = { gmail: "Google", calendar: "Google", slack: "Slack", github: "GitHub" };

/**
 * The Disconnect button and the question it asks first: disconnecting
 * revokes the grant at the provider, and getting it back means going through
 * its consent page again.
 */
export function ConfirmDisconnect(props: { name: string; provider: ProviderName; busy: string | undefined; onConfirm: () => void }) {
  return (
    <ConfirmButton
      action="Disconnect"
      label={`Disconnect ${props.name}`}
      title={`Disconnect ${props.name}?`}
      disabled={props.busy !== undefined}
      busy={props.busy === "disconnecting"}
      onConfirm={props.onConfirm}
    >
      TaskPilot's access is revoked at {GRANTED_BY[props.provider]} and your agents lose the {props.name} tools. To use them again, connect it and approve
      access on {GRANTED_BY[props.provider]}'s page once more.
    </ConfirmButton>
  );
}
