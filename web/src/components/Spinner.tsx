export function Spinner(props: { label?: string }) {
  return <span class="spinner" aria-hidden={props.label ? undefined : "true"} aria-label={props.label} />;
}
