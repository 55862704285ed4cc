import { ConfirmButton } from "../../components/ConfirmButton";

/** A document's Delete button and the question it asks first. */
export function ConfirmDeleteDocument(props: { title: string; busy: boolean; onConfirm: () => void }) {
  return (
    <ConfirmButton
      action="Delete"
      label={`Delete ${props.title}`}
      title={`Delete '${props.title}'?`}
      class="button button--small"
      disabled={props.busy}
      busy={props.busy}
      onConfirm={props.onConfirm}
    >
      Its passages will no longer be found by search or cited by your agents, and the uploaded file is deleted with it. This cannot be undone.
    </ConfirmButton>
  );
}
