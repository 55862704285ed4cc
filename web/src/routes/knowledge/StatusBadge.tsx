import type { KbDocument } from "../../../../worker/contract/kb";

const LABELS = { pending: "Pending", indexing: "Indexing", indexed: "Indexed", failed: "Failed" } as const;

/** A document's status in one word (with the percent while indexing). */
export function StatusBadge(props: { document: Pick<KbDocument, "status" | "progress"> }) {
  const label = () => (props.document.status === "indexing" ? `${LABELS.indexing} ${props.document.progress}%` : LABELS[props.document.status]);
  return (
    <span class={`kb-status kb-status--${props.document.status}`} data-testid="kb-status" data-status={props.document.status}>
      {label()}
    </span>
  );
}
