import { A, useParams, useSearchParams } from "@solidjs/router";
import { createQuery } from "@tanstack/solid-query";
import { createEffect, For, Match, on, Show, Switch } from "solid-js";
import { Dynamic } from "solid-js/web";
import type { KbChunkRef, KbDocumentDetail } from "../../../worker/contract/kb";
import { Spinner } from "../components/Spinner";
import { api } from "../lib/api";
import { useEvents } from "../stores/events";
import { chunkCount, describeKbError, formatBytes, kbDocumentQuery, mimeLabel } from "../stores/kb";
import { keepScroll } from "./knowledge/keep-scroll";
import { StatusBadge } from "./knowledge/StatusBadge";
import { textBlocks, type TextBlock } from "./knowledge/text-blocks";
import "./knowledge/knowledge.css";

const HEADING_TAGS = ["h2", "h3", "h4", "h5", "h6", "h6"] as const;

const passageName = (chunk: KbChunkRef) => `Passage ${chunk.ordinal + 1}${chunk.headingPath.length > 0 ? `: ${chunk.headingPath.join(" › ")}` : ""}`;

/**
 * `/knowledge/:id?chunk=…`: a document's extracted text, with the cited
 * chunk marked and scrolled into view. The text is rendered as text: a
 * document's own markup never becomes part of the page.
 */
export function KnowledgeDocumentPage() {
  const params = useParams<{ id: string }>();
  const [search] = useSearchParams<{ chunk?: string }>();
  const events = useEvents();
  // Indexing frames for this document patch and refetch it (see invalidateForKbFrame in stores/kb.ts).
  const detail = createQuery(() => kbDocumentQuery(api, events.snapshotReady, params.id));

  const cited = () => {
    const id = search.chunk;
    return id ? detail.data?.chunks.find((c) => c.id === id) : undefined;
  };
  const blocks = () => (detail.data ? textBlocks(detail.data.text, cited()) : []);

  let rootEl: HTMLDivElement | undefined;
  // Once the text with the mark is on screen (and whenever another passage is chosen), bring the mark into view.
  // Links to passages carry `noscroll` (see keepScroll), so the router's scroll to the top does not undo this.
  createEffect(
    // Keyed on values, not on the data object: a refetch with the same text (focus, a frame) does not pull the view back.
    on([() => detail.data?.text.length, () => cited()?.id, () => search.chunk], ([length]) => {
      if (length === undefined) return;
      queueMicrotask(() => {
        const mark = rootEl?.querySelector<HTMLElement>("mark.kb-cited");
        if (!mark) return rootEl?.scrollIntoView({ block: "start" });
        mark.scrollIntoView({ block: "center" });
        mark.focus({ preventScroll: true });
      });
    }),
  );

  return (
    <div class="kb-document" ref={rootEl}>
      <p class="kb-document__back">
        <A href="/knowledge">← Back to Knowledge</A>
      </p>
      <Show when={detail.isError}>
        <div class="error-note" role="alert">
          <p>{describeKbError(detail.error)}</p>
          <Show when={(detail.error as { status?: number } | null)?.status !== 404}>
            <button class="button" type="button" disabled={detail.isFetching} onClick={() => void detail.refetch()}>
              Retry
            </button>
          </Show>
        </div>
      </Show>
      <Show when={!detail.data && !detail.isError}>
        <p class="muted" role="status">
          <Spinner /> Loading the document…
        </p>
      </Show>
      <Show when={detail.data}>{(d) => <DocumentView detail={d()} blocks={blocks()} cited={cited()} wanted={search.chunk} />}</Show>
    </div>
  );
}

function DocumentView(props: {
  detail: KbDocumentDetail;
  blocks: TextBlock[];
  cited: KbChunkRef | undefined;
  wanted: string | undefined;
}) {
  const doc = () => props.detail.document;
  const hrefFor = (chunk: KbChunkRef) => `/knowledge/${encodeURIComponent(doc().id)}?chunk=${encodeURIComponent(chunk.id)}`;
  return (
    <>
      <header class="page-header kb-document__header">
        <h1 data-testid="kb-document-title">{doc().title}</h1>
        <p class="muted kb-document__meta">
          <StatusBadge document={doc()} /> {mimeLabel(doc().mimeType)} · {formatBytes(doc().bytes)} · {chunkCount(doc().chunks)} · added{" "}
          {new Date(doc().createdAt).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })}
        </p>
      </header>
      <Switch>
        <Match when={doc().status === "failed"}>
          <p class="error-note" role="alert" data-testid="kb-document-error">
            Indexing failed: {doc().error ?? "no reason was given."}
          </p>
        </Match>
        <Match when={doc().status !== "indexed"}>
          <p class="muted" role="status">
            <Spinner /> This document is being indexed ({doc().progress}%). Its passages can be searched once it is done.
          </p>
        </Match>
      </Switch>
      <Show when={props.wanted && !props.cited && props.detail.chunks.length > 0}>
        <p class="error-note" role="alert">
          The cited passage is no longer in this document (it may have been indexed again). The whole text is below.
        </p>
      </Show>
      <div class="kb-reader">
        <article class="kb-text" aria-label="Extracted text" data-testid="kb-text">
          <Show when={props.detail.text !== ""} fallback={<p class="muted">No text has been extracted yet.</p>}>
            <For each={props.blocks}>
              {(block) => (
                <Dynamic
                  component={block.kind === "heading" ? HEADING_TAGS[block.level - 1]! : "p"}
                  class={block.kind === "heading" ? "kb-text__heading" : "kb-text__block"}
                >
                  <For each={block.pieces}>
                    {(piece) =>
                      piece.cited ? (
                        <mark class="kb-cited" tabindex="-1" data-testid="kb-cited">
                          {piece.text}
                        </mark>
                      ) : (
                        piece.text
                      )
                    }
                  </For>
                </Dynamic>
              )}
            </For>
          </Show>
        </article>
        <Show when={props.detail.chunks.length > 0}>
          <nav class="kb-passages" aria-label="Passages">
            <h2 class="kb-passages__title">Passages</h2>
            <ol>
              <For each={props.detail.chunks}>
                {(chunk) => (
                  <li>
                    {/* A plain link (the router still handles it): <A> would mark every passage of this page as the current page. */}
                    <a href={hrefFor(chunk)} ref={keepScroll} aria-current={props.cited?.id === chunk.id ? "location" : undefined} class="kb-passages__link">
                      {passageName(chunk)}
                    </a>
                  </li>
                )}
              </For>
            </ol>
          </nav>
        </Show>
      </div>
    </>
  );
}
