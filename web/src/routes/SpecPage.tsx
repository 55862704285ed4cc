import { A, useParams } from "@solidjs/router";
import { createMutation, createQuery, useQueryClient } from "@tanstack/solid-query";
import { createSignal, For, Show } from "solid-js";
import type { Spec } from "../../../worker/contract/specs";
import { EmptyState } from "../components/EmptyState";
import { FormDialog } from "../components/FormDialog";
import { QueryView } from "../components/QueryView";
import { FormError, SubmitButton } from "../components/FormParts";
import { Spinner } from "../components/Spinner";
import { useSubmit } from "../components/useForm";
import { ApiError, api, errorMessage } from "../lib/api";
import { renderMarkdown } from "../lib/markdown";
import { useEvents } from "../stores/events";
import { integrationsQuery } from "../stores/integrations";
import { invalidateSpec, projectQuery, specQuery, STATUS_LABEL } from "../stores/specs";
import { BuildView } from "./specs/BuildView";
import { SpecChat } from "./specs/SpecChat";
import "./specs/specs.css";

/** `/specs/:id`: refine while collecting, plan, execute, watch the build, open the pull request. */
export function SpecPage() {
  const params = useParams<{ id: string }>();
  const events = useEvents();
  const spec = createQuery(() => specQuery(api, events.snapshotReady, params.id));
  const notFound = () => spec.error instanceof ApiError && spec.error.status === 404;
  return (
    <>
      <Show when={notFound()}>
        <EmptyState icon="folder" title="No such spec">
          <p>This spec does not exist, or it is someone else's. Open one from its project.</p>
        </EmptyState>
      </Show>
      <Show when={!notFound()}>
        <QueryView query={spec} loading="Loading the spec…" errorLead="The spec could not be loaded: ">
          {(s) => <SpecView spec={s()} />}
        </QueryView>
      </Show>
    </>
  );
}

function SpecView(props: { spec: Spec }) {
  const events = useEvents();
  const project = createQuery(() => projectQuery(api, events.snapshotReady, props.spec.projectId));
  const s = () => props.spec;
  return (
    <>
      <p class="template-back">
        <A href={`/projects/${s().projectId}`}>← {project.data?.name ?? "Project"}</A>
      </p>
      <header class="page-header spec-header">
        <h1>{s().title}</h1>
        <p class="spec-header__meta">
          <span class={`spec-status spec-status--${s().status}`} data-testid="spec-status">
            {STATUS_LABEL[s().status]}
          </span>
          <Show when={s().offline}>
            <span class="spec-badge" title="No language model is configured (OPENAI_API_KEY); the plan and the code come from the offline planner.">
              Offline planner
            </span>
          </Show>
          <Show when={s().branchName}>
            <code>{s().branchName}</code>
          </Show>
          <Show when={s().pullRequestUrl}>
            {(url) => (
              <a href={url()} target="_blank" rel="noopener noreferrer" data-testid="pr-link" class="button button--small">
                Pull request #{s().pullRequestNumber}
              </a>
            )}
          </Show>
        </p>
        <Show when={s().status === "failed" && s().error}>
          <p class="error-note" role="alert">
            {s().error}
          </p>
        </Show>
      </header>

      <section class="panel" aria-label="Prompt">
        <div class="spec-section__head">
          <h2>Prompt</h2>
          <Show when={s().status === "collecting"}>
            <EditPromptDialog spec={s()} />
          </Show>
        </div>
        <p class="spec-prompt">{s().prompt}</p>
      </section>

      <Show when={s().status === "collecting"}>
        <SpecChat spec={s()} />
      </Show>

      <PlanAndExecute spec={s()} githubRepo={project.data?.githubRepo ?? null} />

      <Show when={s().prdMarkdown}>
        {(prd) => (
          <section class="panel" aria-label="Plan">
            <h2>Plan</h2>
            <TaskList spec={s()} />
            <details>
              <summary>The PRD</summary>
              <div class="chat-markdown" innerHTML={renderMarkdown(prd())} />
            </details>
          </section>
        )}
      </Show>

      <Show when={s().status !== "collecting" && s().status !== "ready"}>
        <BuildView spec={s()} />
      </Show>
    </>
  );
}

function EditPromptDialog(props: { spec: Spec }) {
  const queryClient = useQueryClient();
  const submit = useSubmit();
  const [open, setOpen] = createSignal(false);
  const [prompt, setPrompt] = createSignal(props.spec.prompt);
  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void submit.run(async () => {
      await api.patch(`/api/specs/${encodeURIComponent(props.spec.id)}`, { prompt: prompt() });
      await invalidateSpec(queryClient, props.spec.id);
      setOpen(false);
    });
  };
  return (
    <FormDialog trigger="Edit prompt" triggerClass="button button--small" title="Edit the prompt" open={open()} onOpenChange={(o) => (setOpen(o), o && setPrompt(props.spec.prompt))}>
      <form class="form" onSubmit={onSubmit} novalidate>
        <FormError message={submit.formError()} />
        <label class="field">
          <span>Prompt</span>
          <textarea name="prompt" rows={8} value={prompt()} onInput={(e) => setPrompt(e.currentTarget.value)} aria-invalid={submit.fieldError("prompt") ? "true" : undefined} />
          <span class="field__hint">The prompt can change until the spec is planned.</span>
          <Show when={submit.fieldError("prompt")}>
            <span class="field__error" role="alert">{submit.fieldError("prompt")}</span>
          </Show>
        </label>
        <SubmitButton busy={submit.busy()}>Save prompt</SubmitButton>
      </form>
    </FormDialog>
  );
}

/** Plan (collecting or ready) and Execute (ready), each disabled with its reason when it cannot run. */
function PlanAndExecute(props: { spec: Spec; githubRepo: string | null }) {
  const events = useEvents();
  const queryClient = useQueryClient();
  const integrations = createQuery(() => integrationsQuery(api, events.snapshotReady));
  const githubActive = () => integrations.data?.some((i) => i.provider === "github" && i.status === "active") ?? false;
  const plan = createMutation(() => ({
    mutationFn: () => api.post(`/api/specs/${encodeURIComponent(props.spec.id)}/plan`),
    onSettled: () => invalidateSpec(queryClient, props.spec.id),
  }));
  const execute = createMutation(() => ({
    mutationFn: () => api.post(`/api/specs/${encodeURIComponent(props.spec.id)}/execute`),
    onSettled: () => invalidateSpec(queryClient, props.spec.id),
  }));
  const blocked = (): string | undefined => {
    if (props.spec.status !== "ready") return undefined;
    if (!props.githubRepo) return "This project has no GitHub repository; link one to execute.";
    if (integrations.data && !githubActive()) return "GitHub is not connected.";
    return undefined;
  };
  return (
    <Show when={props.spec.status === "collecting" || props.spec.status === "ready"}>
      <section class="panel spec-actions" aria-label="Plan and execute">
        <button class="button" type="button" disabled={plan.isPending} onClick={() => plan.mutate()}>
          <Show when={plan.isPending}>
            <Spinner />
          </Show>
          {props.spec.status === "ready" ? "Plan again" : "Plan"}
        </button>
        <Show when={props.spec.status === "ready"}>
          <button class="button button--primary" type="button" disabled={!!blocked() || execute.isPending} onClick={() => execute.mutate()}>
            <Show when={execute.isPending}>
              <Spinner />
            </Show>
            Execute
          </button>
          <Show when={blocked()}>
            <span class="muted" data-testid="execute-blocked">
              {blocked()}{" "}
              <Show when={!githubActive() && props.githubRepo}>
                <A href="/integrations">Connect GitHub first</A>
              </Show>
            </span>
          </Show>
        </Show>
        <Show when={plan.isError || execute.isError}>
          <p class="error-note" role="alert">
            {errorMessage(plan.error ?? execute.error)}
          </p>
        </Show>
      </section>
    </Show>
  );
}

export function TaskList(props: { spec: Spec }) {
  return (
    <ol class="task-list">
      <For each={props.spec.tasks}>
        {(t) => (
          <li class={`task task--${t.status}`}>
            <div class="task__head">
              <strong>{t.title}</strong>
              <span class={`spec-status spec-status--${t.status === "done" ? "merged" : t.status === "failed" ? "failed" : "ready"}`}>{t.status}</span>
              <Show when={t.commitSha}>{(sha) => <code>{sha().slice(0, 7)}</code>}</Show>
            </div>
            <ul class="task__criteria">
              <For each={t.acceptanceCriteria}>{(c) => <li>{c}</li>}</For>
            </ul>
            <Show when={t.files.length}>
              <p class="muted">Files: {t.files.join(", ")}</p>
            </Show>
            <Show when={t.result}>
              <p class="muted">{t.result}</p>
            </Show>
          </li>
        )}
      </For>
    </ol>
  );
}
