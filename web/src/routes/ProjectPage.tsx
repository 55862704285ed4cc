import { A, useNavigate, useParams } from "@solidjs/router";
import { createMutation, createQuery, useQueryClient } from "@tanstack/solid-query";
import { createSignal, For, Show } from "solid-js";
import type { Spec } from "../../../worker/contract/specs";
import { ConfirmButton } from "../components/ConfirmButton";
import { EmptyState } from "../components/EmptyState";
import { showNotice } from "../components/Notice";
import { FormDialog } from "../components/FormDialog";
import { QueryView } from "../components/QueryView";
import { Spinner } from "../components/Spinner";
import { Field } from "../components/Field";
import { FormError, SubmitButton } from "../components/FormParts";
import { useSubmit } from "../components/useForm";
import { ApiError, api, errorMessage } from "../lib/api";
import { useEvents } from "../stores/events";
import { projectQuery, specKeys, specsQuery, STATUS_LABEL } from "../stores/specs";
import { ProjectDialog } from "./ProjectsPage";
import "./specs/specs.css";

/** `/projects/:id`: the project's specs, a new spec, and (development only) purge. */
export function ProjectPage() {
  const params = useParams<{ id: string }>();
  const events = useEvents();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const project = createQuery(() => projectQuery(api, events.snapshotReady, params.id));
  const notFound = () => project.error instanceof ApiError && project.error.status === 404;
  const remove = createMutation(() => ({
    mutationFn: () => api.delete(`/api/projects/${encodeURIComponent(params.id)}`),
    onSuccess: () => {
      const id = params.id;
      navigate("/projects");
      showNotice({ kind: "success", text: "The project was deleted." });
      queryClient.removeQueries({ queryKey: specKeys.project(id), exact: true });
      queryClient.removeQueries({ queryKey: specKeys.specs(id), exact: true });
      void queryClient.invalidateQueries({ queryKey: specKeys.projects, exact: true });
      void queryClient.invalidateQueries({ queryKey: specKeys.apps });
    },
    onError: (e: Error) => showNotice({ kind: "error", text: `The project was not deleted: ${errorMessage(e)}` }),
  }));
  return (
    <>
      <p class="template-back">
        <A href="/projects">← All projects</A>
      </p>
      <Show when={notFound()}>
        <EmptyState icon="folder" title="No such project">
          <p>
            This project does not exist, or it is someone else's. <A href="/projects">See your projects.</A>
          </p>
        </EmptyState>
      </Show>
      <Show when={!notFound()}>
        <QueryView query={project} loading="Loading the project…" errorLead="The project could not be loaded: ">
          {(p) => (
            <>
              <header class="page-header project-header">
                <div>
                  <h1>{p().name}</h1>
                  <p class="muted" data-testid="project-repo">
                    <Show when={p().githubRepo} fallback="No repository: specs can be planned, not executed. Edit the project to link one.">
                      {(repo) => (
                        <>
                          <code>{repo()}</code> · branches from <code>{p().defaultBranch}</code>
                        </>
                      )}
                    </Show>
                  </p>
                </div>
                <div class="project-header__actions">
                  <ProjectDialog project={p()} />
                  <ConfirmButton action="Delete" label={`Delete ${p().name}`} title={`Delete ${p().name}?`} disabled={remove.isPending} busy={remove.isPending} onConfirm={() => remove.mutate()}>
                    The project and all its specs are deleted here. Branches and pull requests on GitHub stay.
                  </ConfirmButton>
                </div>
              </header>
              <NewSpecForm projectId={p().id} />
            </>
          )}
        </QueryView>
      </Show>
      <Show when={!notFound()}>
        <ProjectSpecs projectId={params.id} />
      </Show>
    </>
  );
}

function ProjectSpecs(props: { projectId: string }) {
  const events = useEvents();
  const specs = createQuery(() => specsQuery(api, events.snapshotReady, props.projectId));
  return (
    <>
      <QueryView query={specs} loading="Loading specs…" errorLead="The specs could not be loaded: ">
        {(data) => (
          <>
            <h2 class="project-specs__title">Specs</h2>
            <Show
              when={data().specs.length > 0}
              fallback={
                <EmptyState icon="folder" title="No specs yet">
                  <p>Write what you want built above; refine it in chat, then plan and execute it.</p>
                </EmptyState>
              }
            >
              <ul class="spec-list" aria-label="Specs">
                <For each={data().specs}>{(s) => <SpecRow spec={s} />}</For>
              </ul>
            </Show>
            <Show when={data().purgeAllowed}>
              <PurgeDialog />
            </Show>
          </>
        )}
      </QueryView>
    </>
  );
}

function SpecRow(props: { spec: Spec }) {
  return (
    <li class="panel spec-list__item">
      <A href={`/specs/${props.spec.id}`} class="spec-list__title">
        {props.spec.title}
      </A>
      <span class={`spec-status spec-status--${props.spec.status}`}>{STATUS_LABEL[props.spec.status]}</span>
      <Show when={props.spec.pullRequestUrl}>
        {(url) => (
          <a href={url()} target="_blank" rel="noopener noreferrer">
            PR #{props.spec.pullRequestNumber}
          </a>
        )}
      </Show>
    </li>
  );
}

function NewSpecForm(props: { projectId: string }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const submit = useSubmit();
  const [prompt, setPrompt] = createSignal("");
  const [title, setTitle] = createSignal("");
  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void submit.run(async () => {
      const { spec } = await api.post<{ spec: Spec }>("/api/specs", { projectId: props.projectId, prompt: prompt(), ...(title().trim() ? { title: title().trim() } : {}) });
      await queryClient.invalidateQueries({ queryKey: specKeys.specs(props.projectId) });
      navigate(`/specs/${spec.id}`);
    });
  };
  return (
    <form class="form panel spec-form" onSubmit={onSubmit} novalidate aria-label="New spec">
      <h2>New spec</h2>
      <FormError message={submit.formError()} />
      <label class="field">
        <span>What should be built?</span>
        <textarea
          name="prompt"
          rows={4}
          value={prompt()}
          onInput={(e) => setPrompt(e.currentTarget.value)}
          onKeyDown={(e) => {
            // Ctrl/Cmd+Enter writes the spec from the keyboard; Enter alone is a new line.
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) (e.preventDefault(), e.currentTarget.form?.requestSubmit());
          }}
          placeholder="Add a health endpoint in src/health.ts that answers JSON with the version." aria-invalid={submit.fieldError("prompt") ? "true" : undefined} />
        <span class="field__hint">Say what you want built, as you would to a colleague; the chat on the next page refines it. Ctrl+Enter writes it.</span>
        <Show when={submit.fieldError("prompt")}>
          <span class="field__error" role="alert">{submit.fieldError("prompt")}</span>
        </Show>
      </label>
      <Field label="Title (optional)" name="title" maxLength={120} hint="Without one, the prompt's first line." value={title()} onInput={setTitle} error={submit.fieldError("title")} />
      <SubmitButton busy={submit.busy()}>Write spec</SubmitButton>
    </form>
  );
}

/** Development only (ALLOW_JOB_PURGE): deletes every spec of yours, after typing DELETE. */
function PurgeDialog() {
  const queryClient = useQueryClient();
  const [open, setOpen] = createSignal(false);
  const [typed, setTyped] = createSignal("");
  const purge = createMutation(() => ({
    mutationFn: () => api.delete<{ deleted: number }>("/api/specs"),
    onSuccess: (r: { deleted: number }) => {
      setOpen(false);
      setTyped("");
      showNotice({ kind: "success", text: `Purged ${r.deleted} spec${r.deleted === 1 ? "" : "s"}.` });
      void queryClient.invalidateQueries({ queryKey: specKeys.allSpecs });
      void queryClient.invalidateQueries({ queryKey: specKeys.apps });
    },
  }));
  return (
    <FormDialog trigger="Purge specs (development)" triggerClass="button button--danger" title="Purge every spec?" open={open()} onOpenChange={(o) => (setOpen(o), o || (setTyped(""), purge.reset()))}>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          if (typed() === "DELETE") purge.mutate();
        }}
      >
        <p class="muted">Development only. This deletes all your specs in every project, with their chats and build logs; branches and pull requests on GitHub stay.</p>
        <label class="field">
          <span>Type DELETE to confirm</span>
          <input name="confirm" autocomplete="off" spellcheck={false} value={typed()} onInput={(e) => setTyped(e.currentTarget.value)} />
        </label>
        <Show when={purge.isError}>
          <p class="error-note" role="alert">
            {errorMessage(purge.error)}
          </p>
        </Show>
        <div class="confirm-dialog__actions">
          <button class="button button--danger" type="submit" disabled={typed() !== "DELETE" || purge.isPending}>
            <Show when={purge.isPending}>
              <Spinner />
            </Show>
            Purge specs
          </button>
        </div>
      </form>
    </FormDialog>
  );
}
