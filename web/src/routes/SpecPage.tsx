import { A, useParams } from "@solidjs/router";
import { createMutation, createQuery, useQueryClient } from "@tanstack/solid-query";
import { createSignal, For, Show } from "solid-js";
import type { Spec } from "../../../worker/contract/specs";
import { EmptyState } from "../components/EmptyState";
import { FormDialog } from "../components/FormDialog";
import { QueryView } from "../components/QueryView";
import { FormError, SubmitButton } from "../components/FormParts";
import { showNotice } from "../components/Notice";
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
          <Show when={project.data?.githubRepo}>{(repo) => <span class="muted">{repo()}</span>}</Show>
          <Show when={s().offline}>
            <span class="spec-badge" title="No language model is configured (OPENAI_API_KEY); the plan and the code come from the offline planner.">
              offline planner
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
      </header>

      <div class="spec-stack">
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

        <PlanAndExecute spec={s()} githubRepo={project.data?.githubRepo ?? null} projectLoaded={!!project.data} />

        <Show when={s().status !== "collecting" && s().status !== "ready"}>
          <BuildView spec={s()} />
        </Show>

        <Show when={s().prdMarkdown}>
          {(prd) => (
            <>
              <section class="panel" aria-label="PRD">
                <h2>PRD</h2>
                <div class="chat-markdown spec-prd" data-testid="prd" innerHTML={renderMarkdown(prd())} />
              </section>
              <section class="panel" aria-label="Tasks">
                <h2>
                  Tasks ({s().tasks.filter((t) => t.status === "done").length}/{s().tasks.length} done)
                </h2>
                <TaskList spec={s()} />
              </section>
            </>
          )}
        </Show>
      </div>
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
      try {
        await api.patch(`/api/specs/${encodeURIComponent(props.spec.id)}`, { prompt: prompt() });
        setOpen(false);
      } catch (err) {
        // Planned meanwhile (another tab, Plan): the dialog goes with the collecting state, so the answer is a notice.
        if (err instanceof ApiError && err.status === 409) {
          setOpen(false);
          showNotice({ kind: "error", text: `The prompt was not changed: ${err.message}`, testId: "prompt-conflict" });
          return;
        }
        throw err;
      } finally {
        await invalidateSpec(queryClient, props.spec.id);
      }
    });
  };
  return (
    <FormDialog trigger="Edit prompt" triggerClass="button button--small" title="Edit the prompt" open={open()} onOpenChange={(o) => (setOpen(o), o && setPrompt(props.spec.prompt))}>
      <form class="form" onSubmit={onSubmit} novalidate>
        <FormError message={submit.formError()} />
        <label class="field">
          <span>Prompt</span>
          <textarea
            name="prompt"
            rows={8}
            value={prompt()}
            onInput={(e) => setPrompt(e.currentTarget.value)}
            onKeyDown={(e) => {
              // Ctrl/Cmd+Enter saves from the keyboard; Enter alone is a new line.
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) (e.preventDefault(), e.currentTarget.form?.requestSubmit());
            }}
            aria-invalid={submit.fieldError("prompt") ? "true" : undefined}
          />
          <span class="field__hint">The prompt can change until the spec is planned. Ctrl+Enter saves.</span>
          <Show when={submit.fieldError("prompt")}>
            <span class="field__error" role="alert">{submit.fieldError("prompt")}</span>
          </Show>
        </label>
        <SubmitButton busy={submit.busy()}>Save prompt</SubmitButton>
      </form>
    </FormDialog>
  );
}

/** What Execute answered with a reason a person can act on: the reason, and where to act. */
const ACTIONS: Record<string, (spec: Spec) => { href: string; label: string }> = {
  github_not_connected: () => ({ href: "/integrations", label: "Connect GitHub first" }),
  project_repo_missing: (spec) => ({ href: `/projects/${spec.projectId}`, label: "Link a repository to the project" }),
};

/** Plan (collecting or ready) and Execute (ready), Execute disabled with its reason when it cannot run. */
function PlanAndExecute(props: { spec: Spec; githubRepo: string | null; projectLoaded: boolean }) {
  const events = useEvents();
  const queryClient = useQueryClient();
  const integrations = createQuery(() => integrationsQuery(api, events.snapshotReady));
  const githubActive = () => integrations.data?.some((i) => i.provider === "github" && i.status === "active") ?? false;
  /** A 409 means the spec moved on (another tab, the runner): this panel goes with the old status, so the answer is a notice. */
  const onError = (what: string) => (e: Error) => {
    if (e instanceof ApiError && e.status === 409) showNotice({ kind: "error", text: `${what}: ${e.message}`, testId: "spec-conflict" });
  };
  /** Only the latest action's failure is shown. */
  const [last, setLast] = createSignal<"plan" | "execute">("plan");
  const plan = createMutation(() => ({
    mutationFn: () => api.post(`/api/specs/${encodeURIComponent(props.spec.id)}/plan`),
    onMutate: () => setLast("plan"),
    onError: onError("Not planned"),
    onSettled: () => invalidateSpec(queryClient, props.spec.id),
  }));
  const execute = createMutation(() => ({
    mutationFn: () => api.post(`/api/specs/${encodeURIComponent(props.spec.id)}/execute`),
    onMutate: () => setLast("execute"),
    onError: onError("Not executed"),
    onSettled: () => invalidateSpec(queryClient, props.spec.id),
  }));
  const blocked = (): { reason: string; code: string } | undefined => {
    if (props.spec.status !== "ready") return undefined;
    if (props.projectLoaded && !props.githubRepo) return { code: "project_repo_missing", reason: "This project has no GitHub repository to open the pull request in." };
    if (integrations.data && !githubActive()) return { code: "github_not_connected", reason: "GitHub is not connected." };
    return undefined;
  };
  /** The 400s stay next to the button with what to do; the 409s went to a notice. */
  const failure = () => {
    const e = last() === "plan" ? plan.error : execute.error;
    if (!e || (e instanceof ApiError && e.status === 409)) return undefined;
    return { message: errorMessage(e), action: e instanceof ApiError ? ACTIONS[e.code]?.(props.spec) : undefined };
  };
  return (
    <Show when={props.spec.status === "collecting" || props.spec.status === "ready"}>
      <section class="panel spec-actions" aria-label="Plan and execute">
        <button class={props.spec.status === "collecting" ? "button button--primary" : "button"} type="button" disabled={plan.isPending || execute.isPending} onClick={() => plan.mutate()}>
          <Show when={plan.isPending}>
            <Spinner />
          </Show>
          {props.spec.status === "ready" ? "Plan again" : "Plan"}
        </button>
        <Show when={plan.isPending}>
          <span class="muted" role="status">
            Writing the PRD and the tasks…
          </span>
        </Show>
        <Show when={props.spec.status === "ready"}>
          <button class="button button--primary" type="button" disabled={!!blocked() || execute.isPending || plan.isPending} onClick={() => execute.mutate()}>
            <Show when={execute.isPending}>
              <Spinner />
            </Show>
            Execute
          </button>
          <Show when={blocked()}>
            {(b) => (
              <span class="muted" data-testid="execute-blocked">
                {b().reason} <A href={ACTIONS[b().code]!(props.spec).href}>{ACTIONS[b().code]!(props.spec).label}</A>
              </span>
            )}
          </Show>
        </Show>
        <Show when={failure()}>
          {(f) => (
            <p class="error-note" role="alert" data-testid="spec-action-error">
              {f().message}{" "}
              <Show when={f().action}>{(a) => <A href={a().href}>{a().label}</A>}</Show>
            </p>
          )}
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
