import { A, useParams } from "@solidjs/router";
import { createQuery } from "@tanstack/solid-query";
import { For, Show } from "solid-js";
import { EmptyState, PageHeader } from "../components/EmptyState";
import { QueryView } from "../components/QueryView";
import { api, ApiError } from "../lib/api";
import { renderMarkdown } from "../lib/markdown";
import { useEvents } from "../stores/events";
import { appQuery, appsQuery, STATUS_LABEL } from "../stores/specs";
import { TaskList } from "./SpecPage";
import "./specs/specs.css";

/** `/apps`: every spec whose plan is ready, with its project, progress and pull request. */
export function AppsPage() {
  const events = useEvents();
  const apps = createQuery(() => appsQuery(api, events.snapshotReady));
  return (
    <>
      <PageHeader title="Apps" subtitle="What your specs have produced." />
      <QueryView query={apps} loading="Loading apps…" errorLead="The apps could not be loaded: ">
        {(list) => (
          <Show
            when={list().length > 0}
            fallback={
              <EmptyState icon="grid" title="No apps yet">
                <p>Every spec whose PRD is ready shows up here with its plan, its branch and the pull request it opened.</p>
              </EmptyState>
            }
          >
            <ul class="spec-list" aria-label="Apps">
              <For each={list()}>
                {(a) => (
                  <li class="panel spec-list__item">
                    <A href={`/apps/${a.id}`} class="spec-list__title">
                      {a.title}
                    </A>
                    <A href={`/projects/${a.projectId}`} class="muted">
                      {a.projectName}
                    </A>
                    <span class={`spec-status spec-status--${a.status}`}>{STATUS_LABEL[a.status]}</span>
                    <span class="muted">
                      {a.tasksDone}/{a.taskCount} tasks
                    </span>
                    <Show when={a.pullRequestUrl}>
                      {(url) => (
                        <a href={url()} target="_blank" rel="noopener noreferrer">
                          PR #{a.pullRequestNumber}
                        </a>
                      )}
                    </Show>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        )}
      </QueryView>
    </>
  );
}

/** `/apps/:id`: one app's plan, tasks, branch and pull request. */
export function AppPage() {
  const params = useParams<{ id: string }>();
  const events = useEvents();
  const app = createQuery(() => appQuery(api, events.snapshotReady, params.id));
  const notFound = () => app.error instanceof ApiError && app.error.status === 404;
  return (
    <>
      <p class="template-back">
        <A href="/apps">← All apps</A>
      </p>
      <Show when={notFound()}>
        <EmptyState icon="grid" title="No such app">
          <p>
            This app does not exist, or it is someone else's (an app appears once its spec is planned). <A href="/apps">See your apps.</A>
          </p>
        </EmptyState>
      </Show>
      <Show when={!notFound()}>
        <QueryView query={app} loading="Loading the app…" errorLead="The app could not be loaded: ">
          {(d) => (
            <>
              <header class="page-header">
                <h1>{d().app.title}</h1>
                <p class="spec-header__meta">
                  <span class={`spec-status spec-status--${d().app.status}`}>{STATUS_LABEL[d().app.status]}</span>
                  <A href={`/projects/${d().project.id}`}>
                    {d().project.name}
                    {d().project.githubRepo ? ` · ${d().project.githubRepo}` : ""}
                  </A>
                  <Show when={d().app.branchName}>
                    <code>{d().app.branchName}</code>
                  </Show>
                  <Show when={d().app.pullRequestUrl}>
                    {(url) => (
                      <a href={url()} target="_blank" rel="noopener noreferrer" class="button button--small">
                        Pull request #{d().app.pullRequestNumber}
                      </a>
                    )}
                  </Show>
                  <A href={`/specs/${d().spec.id}`} class="button button--small">
                    Open the spec
                  </A>
                </p>
              </header>
              <div class="spec-stack">
                <section class="panel" aria-label="Tasks">
                  <h2>
                    Tasks ({d().app.tasksDone}/{d().app.taskCount} done)
                  </h2>
                  <TaskList spec={d().spec} />
                </section>
                <section class="panel" aria-label="PRD">
                  <h2>PRD</h2>
                  <div class="chat-markdown spec-prd" innerHTML={renderMarkdown(d().spec.prdMarkdown ?? "")} />
                </section>
              </div>
            </>
          )}
        </QueryView>
      </Show>
    </>
  );
}
