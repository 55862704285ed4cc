import { RadioGroup } from "@kobalte/core/radio-group";
import { A } from "@solidjs/router";
import { createQuery } from "@tanstack/solid-query";
import { createSignal, For, Show } from "solid-js";
import type { KbSearchMode } from "../../../../worker/contract/kb";
import { Spinner } from "../../components/Spinner";
import { api } from "../../lib/api";
import { checkSearchQuery, describeKbError, formatScore, kbSearchQuery, type KbSearchParams } from "../../stores/kb";
import { safeHighlight } from "./highlight";
import { keepScroll } from "./keep-scroll";

const MODES: { value: KbSearchMode; label: string; hint: string }[] = [
  { value: "hybrid", label: "Hybrid", hint: "meaning and exact words together" },
  { value: "vector", label: "Vector", hint: "similar meaning, even in other words" },
  { value: "keyword", label: "Keyword", hint: "the exact words" },
];

/**
 * Search across the documents: Enter or the button sends the query; the
 * mode switch re-runs the current search its way. Each result opens its
 * passage in the document.
 */
export function SearchPanel() {
  const [draft, setDraft] = createSignal("");
  const [mode, setMode] = createSignal<KbSearchMode>("hybrid");
  const [submitted, setSubmitted] = createSignal<KbSearchParams>();
  const [problem, setProblem] = createSignal<string>();
  const search = createQuery(() => ({
    ...kbSearchQuery(api, submitted() ?? { query: "", mode: mode() }),
    enabled: submitted() !== undefined,
  }));

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    const refused = checkSearchQuery(draft());
    setProblem(refused);
    if (refused) return;
    const next = { query: draft().trim(), mode: mode() };
    const same = submitted()?.query === next.query && submitted()?.mode === next.mode;
    setSubmitted(next);
    if (same) void search.refetch();
  };

  const onMode = (value: string) => {
    const next = value as KbSearchMode;
    setMode(next);
    const current = submitted();
    if (current) setSubmitted({ ...current, mode: next });
  };

  return (
    <section class="panel kb-search" aria-labelledby="kb-search-heading">
      <h2 id="kb-search-heading">Search</h2>
      <form class="kb-search__form" role="search" aria-labelledby="kb-search-heading" onSubmit={onSubmit}>
        <label class="kb-search__label" for="kb-search-input">
          Search your documents
        </label>
        <div class="kb-search__row">
          <input
            id="kb-search-input"
            class="kb-search__input"
            type="search"
            name="query"
            autocomplete="off"
            placeholder="e.g. how do I rotate the keys?"
            value={draft()}
            onInput={(e) => setDraft(e.currentTarget.value)}
            aria-invalid={problem() ? "true" : undefined}
            aria-describedby={problem() ? "kb-search-problem" : undefined}
          />
          <button class="button button--primary" type="submit" disabled={search.isFetching}>
            <Show when={search.isFetching}>
              <Spinner />
            </Show>
            Search
          </button>
        </div>
        <Show when={problem()}>
          <p class="field__error" id="kb-search-problem" role="alert">
            {problem()}
          </p>
        </Show>
        <RadioGroup class="kb-mode" value={mode()} onChange={onMode} orientation="horizontal">
          <RadioGroup.Label class="kb-mode__label">Search mode</RadioGroup.Label>
          <div class="kb-mode__options">
            <For each={MODES}>
              {(m) => (
                <RadioGroup.Item class="kb-mode__item" value={m.value}>
                  <RadioGroup.ItemInput class="kb-mode__input" />
                  <RadioGroup.ItemLabel class="kb-mode__option" title={m.hint}>
                    {m.label}
                  </RadioGroup.ItemLabel>
                </RadioGroup.Item>
              )}
            </For>
          </div>
        </RadioGroup>
      </form>

      <Show when={submitted()}>
        {(params) => (
          <div class="kb-results" aria-live="polite" aria-busy={search.isFetching ? "true" : "false"} data-testid="kb-results">
            <Show when={search.isError}>
              <p class="error-note" role="alert">
                The search did not run: {describeKbError(search.error)}{" "}
                <button class="button button--small" type="button" disabled={search.isFetching} onClick={() => void search.refetch()}>
                  Retry
                </button>
              </p>
            </Show>
            <Show when={!search.data && search.isFetching}>
              <p class="muted" role="status">
                <Spinner /> Searching…
              </p>
            </Show>
            <Show when={search.data}>
              {(data) => (
                <>
                  <p class="muted kb-results__meta" data-testid="kb-search-took">
                    {data().results.length === 1 ? "1 passage" : `${data().results.length} passages`} · took {Math.round(data().tookMs)} ms
                  </p>
                  <Show
                    when={data().results.length > 0}
                    fallback={
                      <p class="kb-results__empty" data-testid="kb-search-empty">
                        Nothing in your documents matches “{params().query}”. Try other words, or another way of matching.
                      </p>
                    }
                  >
                    <ol class="kb-results__list">
                      <For each={data().results}>
                        {(r) => (
                          <li>
                            <A
                              ref={keepScroll}
                              class="kb-result"
                              href={`/knowledge/${encodeURIComponent(r.documentId)}?chunk=${encodeURIComponent(r.chunkId)}`}
                              data-testid="kb-result"
                              data-document-id={r.documentId}
                              data-chunk-id={r.chunkId}
                            >
                              <span class="kb-result__head">
                                <span class="kb-result__title">{r.title}</span>
                                <span class="kb-result__score" title="Relevance score (higher is better)">
                                  score {formatScore(r.score)}
                                </span>
                              </span>
                              <Show when={r.headingPath.length > 0}>
                                <span class="kb-result__path">{r.headingPath.join(" › ")}</span>
                              </Show>
                              <span class="kb-result__text" innerHTML={safeHighlight(r.highlight)} />
                            </A>
                          </li>
                        )}
                      </For>
                    </ol>
                  </Show>
                </>
              )}
            </Show>
          </div>
        )}
      </Show>
    </section>
  );
}
