import { Content as DialogContent, Dialog } from "@kobalte/core/dialog";
import { A, useNavigate, useParams } from "@solidjs/router";
import { createMutation, createQuery, useQueryClient } from "@tanstack/solid-query";
import { createSignal, For, Show } from "solid-js";
import type { Spec } from "../../../worker/contract/specs";
import { ConfirmButton } from "../components/ConfirmButton";
import { EmptyState } from "../components/EmptyState";
import { showNotice } from "../components/Notice";
import { QueryView } from "../components/QueryView";
import { Field } from "../components/Field";
import { FormError, SubmitButton } from "../components/FormParts";
import { useSubmit } from "../components/useForm";
import { api, errorMessage } from "../lib/api";
import { useEvents } from "../stores/events";
import { projectQuery, specKeys, specsQuery, STATUS_LABEL } from "../stores/specs";
import "./specs/specs.css";

/** `/projects/:id`: the project's specs, a new spec, and (development only) purge. */
export function ProjectPage() {
  const params = useParams<{ id: string }>();
  const events = useEvents();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const project = createQuery(() => projectQuery(api, events.snapshotReady, params.id));
  const specs = createQuery(() => specsQuery(api, events.snapshotReady, params.id));
  const remove = createMutation(() => ({
    mutationFn: () => api.delete(`/api/projects/${encodeURIComponent(params.id)}`),
    onSuccess: () => (queryClient.invalidateQueries({ queryKey: specKeys.projects }), navigate("/projects")),
    onError: (e: Error) => showNotice({ kind: "error", text: `The project was not deleted: ${errorMessage(e)}` }),
  }));
  return (
    <>
      <p class="template-back">
        <A href="/projects">← All projects</A>
      </p>
      <QueryView query={project} loading="Loading the project…" errorLead="The project could not be loaded: ">
        {(p) => (
          <>
            <header class="page-header">
              <h1>{p().name}</h1>
              <p class="muted">{p().githubRepo ? `${p().githubRepo} · branches from ${p().defaultBranch}` : "No repository: specs can be planned, not executed."}</p>
              <ConfirmButton action="Delete" label={`Delete ${p().name}`} title={`Delete ${p().name}?`} disabled={remove.isPending} busy={remove.isPending} onConfirm={() => remove.mutate()}>
                <p>The project and all its specs are deleted here. Branches and pull requests on GitHub stay.</p>
              </ConfirmButton>
            </header>
            <NewSpecForm projectId={p().id} />
          </>
        )}
      </QueryView>
      <QueryView query={specs} loading="Loading specs…" errorLead="The specs could not be loaded: ">
        {(data) => (
          <>
            <Show when={data().specs.length > 0} fallback={<EmptyState icon="folder" title="No specs yet"><p>Write what you want built above; refine it in chat, then plan and execute it.</p></EmptyState>}>
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
    <form class="form panel" onSubmit={onSubmit} novalidate aria-label="New spec">
      <h2>New spec</h2>
      <FormError message={submit.formError()} />
      <label class="field">
        <span>What should be built?</span>
        <textarea name="prompt" rows={4} value={prompt()} onInput={(e) => setPrompt(e.currentTarget.value)} placeholder="Add a health endpoint in src/health.ts that answers JSON with the version." aria-invalid={submit.fieldError("prompt") ? "true" : undefined} />
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
    <Dialog open={open()} onOpenChange={(o) => (setOpen(o), o || setTyped(""))}>
      <Dialog.Trigger class="button button--danger">Purge specs (development)</Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay class="dialog-overlay" />
        <div class="dialog-positioner">
          <DialogContent class="confirm-dialog">
            <Dialog.Title as="h2">Purge every spec?</Dialog.Title>
            <Dialog.Description>This deletes all your specs in every project, with their chats and build logs. Type DELETE to confirm.</Dialog.Description>
            <form
              class="form"
              onSubmit={(e) => {
                e.preventDefault();
                if (typed() === "DELETE") purge.mutate();
              }}
            >
              <label class="field">
                <span>Type DELETE</span>
                <input name="confirm" autocomplete="off" value={typed()} onInput={(e) => setTyped(e.currentTarget.value)} />
              </label>
              <Show when={purge.isError}>
                <p class="error-note" role="alert">
                  {errorMessage(purge.error)}
                </p>
              </Show>
              <div class="confirm-dialog__actions">
                <Dialog.CloseButton class="button">Cancel</Dialog.CloseButton>
                <button class="button button--danger" type="submit" disabled={typed() !== "DELETE" || purge.isPending}>
                  Purge
                </button>
              </div>
            </form>
          </DialogContent>
        </div>
      </Dialog.Portal>
    </Dialog>
  );
}
