import { Tabs } from "@kobalte/core/tabs";
import { A } from "@solidjs/router";
import { createQuery } from "@tanstack/solid-query";
import { createSignal, For, Show } from "solid-js";
import type { Template } from "../../../worker/contract/templates";
import { PageHeader } from "../components/EmptyState";
import { QueryView } from "../components/QueryView";
import { api } from "../lib/api";
import { useEvents } from "../stores/events";
import { matchesSearch, PROVIDER_LABEL, templatesQuery, type TemplateScope } from "../stores/templates";
import { ImportTemplateDialog, NewTemplateDialog } from "./templates/TemplateDialogs";
import "./templates/templates.css";

const SCOPES: { value: TemplateScope; label: string; empty: string }[] = [
  { value: "all", label: "All", empty: "No templates yet." },
  { value: "mine", label: "Mine", empty: "You have not written or imported a template yet. New template and Import are above." },
  { value: "public", label: "Public", empty: "No public templates." },
];

/** `/templates`: the built-in library, yours and everyone's public ones; pick one to fill in and start. */
export function TemplatesPage() {
  const [scope, setScope] = createSignal<TemplateScope>("all");
  const [search, setSearch] = createSignal("");
  return (
    <>
      <PageHeader title="Templates" subtitle="Reusable prompts that start a chat in one step." />
      <div class="templates-toolbar">
        <label class="visually-hidden" for="template-search">
          Search templates
        </label>
        <input
          id="template-search"
          class="templates-toolbar__search"
          type="search"
          placeholder="Search templates…"
          autocomplete="off"
          value={search()}
          onInput={(e) => setSearch(e.currentTarget.value)}
        />
        <NewTemplateDialog />
        <ImportTemplateDialog />
      </div>
      <Tabs value={scope()} onChange={(v) => setScope(v as TemplateScope)} class="tabs">
        <Tabs.List class="tabs__list" aria-label="Which templates">
          <For each={SCOPES}>
            {(s) => (
              <Tabs.Trigger class="tabs__trigger" value={s.value}>
                {s.label}
              </Tabs.Trigger>
            )}
          </For>
          <Tabs.Indicator class="tabs__indicator" />
        </Tabs.List>
        <For each={SCOPES}>
          {(s) => (
            <Tabs.Content class="tabs__content" value={s.value}>
              <TemplateList scope={s.value} search={search()} empty={s.empty} />
            </Tabs.Content>
          )}
        </For>
      </Tabs>
    </>
  );
}

function TemplateList(props: { scope: TemplateScope; search: string; empty: string }) {
  const events = useEvents();
  const list = createQuery(() => templatesQuery(api, events.snapshotReady, props.scope));
  return (
    <QueryView
      query={list}
      errorLead="The templates could not be loaded: "
      loading="Loading templates…"
    >
      {(all) => {
        const shown = () => all().filter((t) => matchesSearch(t, props.search));
        return (
          <Show when={shown().length > 0} fallback={<p class="muted">{all().length === 0 ? props.empty : `No template matches “${props.search.trim()}”.`}</p>}>
            <ul class="template-grid">
              <For each={shown()}>{(t) => <TemplateCard template={t} />}</For>
            </ul>
          </Show>
        );
      }}
    </QueryView>
  );
}

export function templateBadge(t: Template): string {
  return t.ownerId === null ? "Built-in" : t.visibility === "public" ? "Public" : "Private";
}

function TemplateCard(props: { template: Template }) {
  const t = () => props.template;
  return (
    <li class="template-card" data-template-id={t().id}>
      <A class="template-card__link" href={`/templates/${encodeURIComponent(t().id)}`}>
        <span class="template-card__title">{t().title}</span>
      </A>
      <span class={`template-badge template-badge--${templateBadge(t()).toLowerCase()}`}>{templateBadge(t())}</span>
      <Show when={t().description}>
        <p class="template-card__description muted">{t().description}</p>
      </Show>
      <Show when={t().requiredIntegrations.length + t().optionalIntegrations.length > 0}>
        <p class="template-card__needs">
          <For each={t().requiredIntegrations}>{(p) => <span class="chip">{PROVIDER_LABEL[p]}</span>}</For>
          <For each={t().optionalIntegrations}>{(p) => <span class="chip chip--optional">{PROVIDER_LABEL[p]} (optional)</span>}</For>
        </p>
      </Show>
    </li>
  );
}
