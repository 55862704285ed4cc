import type { Accessor, JSX } from "solid-js";
import { Show } from "solid-js";
import { errorMessage } from "../lib/api";
import { Spinner } from "./Spinner";

/** The parts of a solid-query result this view reads. */
export interface ViewedQuery<T> {
  data: T | undefined;
  error: unknown;
  isError: boolean;
  isFetching: boolean;
  refetch: () => unknown;
}

/**
 * A query's three faces in one place: an error a person can act on (with a
 * retry that waits for its own fetch), the loading line until the first
 * answer, then the data.
 */
export function QueryView<T>(props: {
  query: ViewedQuery<T>;
  /** What shows until the first answer: words for the usual spinner line ("Loading templates…"), or an element of its own. */
  loading: JSX.Element | string;
  /** Words before the server's message: "The history could not be loaded: ". */
  errorLead?: string;
  retryLabel?: string;
  errorClass?: string;
  children: (data: Accessor<NonNullable<T>>) => JSX.Element;
}) {
  return (
    <>
      <Show when={props.query.isError}>
        <p class={props.errorClass ? `error-note ${props.errorClass}` : "error-note"} role="alert">
          {props.errorLead}
          {errorMessage(props.query.error)}{" "}
          <button class="button" type="button" disabled={props.query.isFetching} onClick={() => void props.query.refetch()}>
            {props.retryLabel ?? "Retry"}
          </button>
        </p>
      </Show>
      <Show
        when={props.query.data}
        fallback={
          <Show when={!props.query.isError}>
            {typeof props.loading === "string" ? (
              <p class="muted" role="status">
                <Spinner /> {props.loading}
              </p>
            ) : (
              props.loading
            )}
          </Show>
        }
      >
        {(data) => props.children(data)}
      </Show>
    </>
  );
}
