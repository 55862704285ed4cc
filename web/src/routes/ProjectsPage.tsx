import { A, useNavigate } from "@solidjs/router";
import { createMutation, createQuery, useQueryClient } from "@tanstack/solid-query";
import { createSignal, createUniqueId, For, Show } from "solid-js";
import type { Project } from "../../../worker/contract/specs";
import { EmptyState, PageHeader } from "../components/EmptyState";
import { FormDialog } from "../components/FormDialog";
import { QueryView } from "../components/QueryView";
import { Field } from "../components/Field";
import { FormError, SubmitButton } from "../components/FormParts";
import { useSubmit } from "../components/useForm";
import { ApiError, api } from "../lib/api";
import { useEvents } from "../stores/events";
import { projectsQuery, specKeys } from "../stores/specs";
import "./specs/specs.css";

/** `/projects`: the repositories specs become pull requests in. */
export function ProjectsPage() {
  const events = useEvents();
  const projects = createQuery(() => projectsQuery(api, events.snapshotReady));
  return (
    <>
      <PageHeader title="Projects" subtitle="GitHub repositories that specs turn into pull requests.">
        <ProjectDialog />
      </PageHeader>
      <QueryView query={projects} loading="Loading projects…" errorLead="The projects could not be loaded: ">
        {(list) => (
          <Show
            when={list().length > 0}
            fallback={
              <EmptyState icon="folder" title="No projects yet">
                <p>
                  Link a GitHub repository to create a project. Write a spec, refine it in chat, plan it, and watch it execute phase by phase until the
                  pull request opens.
                </p>
              </EmptyState>
            }
          >
            <ul class="spec-list" aria-label="Projects">
              <For each={list()}>
                {(p) => (
                  <li class="panel spec-list__item">
                    <A href={`/projects/${p.id}`} class="spec-list__title">
                      {p.name}
                    </A>
                    <span class="muted">{p.githubRepo ? `${p.githubRepo} · ${p.defaultBranch}` : "no repository"}</span>
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

/** The repository check's refusals: shown under the field they are about, with what to do about them. */
const REPO_CODES = ["repo_not_found", "repo_read_only", "github_not_connected", "project_repo_missing"];

/**
 * Link a repository (or, given a project, edit it): the server checks the
 * repository through your GitHub (it exists, you can push), and its answer
 * shows under the field it is about.
 */
export function ProjectDialog(props: { project?: Project }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const submit = useSubmit();
  const editing = () => !!props.project;
  const id = createUniqueId();
  const [open, setOpen] = createSignal(false);
  const [name, setName] = createSignal("");
  const [repo, setRepo] = createSignal("");
  const [branch, setBranch] = createSignal("");
  const [checkError, setCheckError] = createSignal<{ code: string; message: string }>();
  const repoError = () => (checkError() && checkError()!.code !== "branch_not_found" ? checkError() : undefined);
  const branchError = () => (checkError()?.code === "branch_not_found" ? checkError()!.message : submit.fieldError("defaultBranch"));
  const onOpenChange = (o: boolean) => {
    setOpen(o);
    if (!o) return;
    setName(props.project?.name ?? "");
    setRepo(props.project?.githubRepo ?? "");
    setBranch(props.project?.githubRepo ? props.project.defaultBranch : "");
    setCheckError(undefined);
  };
  const save = createMutation(() => ({
    mutationFn: (body: { name: string; githubRepo?: string; defaultBranch?: string }) =>
      props.project ? api.patch<{ project: Project }>(`/api/projects/${encodeURIComponent(props.project.id)}`, body) : api.post<{ project: Project }>("/api/projects", body),
    onSuccess: ({ project }: { project: Project }) => {
      queryClient.setQueryData(specKeys.project(project.id), project);
      return queryClient.invalidateQueries({ queryKey: specKeys.projects });
    },
  }));

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    setCheckError(undefined);
    void submit.run(async () => {
      try {
        const p = props.project;
        // Editing sends what changed: an unchanged repository is not checked again.
        const repoChanged = !p || repo().trim() !== (p.githubRepo ?? "") || (branch().trim() !== "" && branch().trim() !== p.defaultBranch);
        const { project } = await save.mutateAsync({
          name: name().trim(),
          ...(repo().trim() && repoChanged ? { githubRepo: repo().trim() } : {}),
          ...(branch().trim() && repoChanged ? { defaultBranch: branch().trim() } : {}),
        });
        setOpen(false);
        if (!p) navigate(`/projects/${project.id}`);
      } catch (err) {
        if (err instanceof ApiError && (REPO_CODES.includes(err.code) || err.code === "branch_not_found")) {
          setCheckError({ code: err.code, message: err.message });
          return;
        }
        throw err;
      }
    });
  };

  return (
    <FormDialog
      trigger={editing() ? "Edit project" : "Link a repository"}
      triggerClass={editing() ? "button" : "button button--primary"}
      title={editing() ? "Edit the project" : "Link a repository"}
      open={open()}
      onOpenChange={onOpenChange}
    >
      <form class="form" onSubmit={onSubmit} novalidate>
        <FormError message={submit.formError()} />
        <Field label="Name" name="name" required maxLength={100} value={name()} onInput={setName} error={submit.fieldError("name")} />
        <div class="field" classList={{ "field--invalid": Boolean(repoError() || submit.fieldError("githubRepo")) }}>
          <label for={id}>GitHub repository</label>
          <input
            id={id}
            name="githubRepo"
            placeholder="owner/name"
            autocomplete="off"
            spellcheck={false}
            value={repo()}
            onInput={(e) => (setRepo(e.currentTarget.value), setCheckError(undefined))}
            aria-invalid={repoError() || submit.fieldError("githubRepo") ? "true" : undefined}
            aria-describedby={repoError() || submit.fieldError("githubRepo") ? `${id}-error` : `${id}-hint`}
          />
          <Show when={!repoError() && !submit.fieldError("githubRepo")}>
            <p id={`${id}-hint`} class="field__hint">
              Checked through your GitHub connection: it must exist and you must be able to push to it.
              {editing() ? "" : " Leave empty to plan without a repository."}
            </p>
          </Show>
          <Show when={submit.fieldError("githubRepo")}>
            <p id={`${id}-error`} class="field__error" role="alert">
              {submit.fieldError("githubRepo")}
            </p>
          </Show>
          <Show when={repoError()}>
            {(err) => (
              <p id={`${id}-error`} class="field__error" role="alert" data-testid="repo-error">
                {err().message}{" "}
                <Show when={err().code === "github_not_connected"}>
                  <A href="/integrations">Connect GitHub</A>
                </Show>
              </p>
            )}
          </Show>
        </div>
        <Field label="Default branch" name="defaultBranch" hint="Leave empty for the repository's default." value={branch()} onInput={(v) => (setBranch(v), setCheckError(undefined))} error={branchError()} />
        <SubmitButton busy={submit.busy()}>{editing() ? "Save project" : "Link repository"}</SubmitButton>
      </form>
    </FormDialog>
  );
}
