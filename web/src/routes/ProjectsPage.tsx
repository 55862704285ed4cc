import { A, useNavigate } from "@solidjs/router";
import { createMutation, createQuery, useQueryClient } from "@tanstack/solid-query";
import { createSignal, For, Show } from "solid-js";
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
        <LinkProjectDialog />
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

/** Link a repository: the server checks it through your GitHub (exists, you can push); its answer shows under the field. */
export function LinkProjectDialog() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const submit = useSubmit();
  const [open, setOpen] = createSignal(false);
  const [name, setName] = createSignal("");
  const [repo, setRepo] = createSignal("");
  const [branch, setBranch] = createSignal("");
  const [repoError, setRepoError] = createSignal<{ code: string; message: string }>();
  const create = createMutation(() => ({
    mutationFn: (body: { name: string; githubRepo?: string; defaultBranch?: string }) => api.post<{ project: Project }>("/api/projects", body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: specKeys.projects }),
  }));

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    setRepoError(undefined);
    void submit.run(async () => {
      try {
        const { project } = await create.mutateAsync({
          name: name().trim(),
          ...(repo().trim() ? { githubRepo: repo().trim() } : {}),
          ...(branch().trim() ? { defaultBranch: branch().trim() } : {}),
        });
        setOpen(false);
        navigate(`/projects/${project.id}`);
      } catch (err) {
        // The repository check's refusals belong under the repository field, with what to do about them.
        if (err instanceof ApiError && ["repo_not_found", "repo_read_only", "github_not_connected", "branch_not_found"].includes(err.code)) {
          setRepoError({ code: err.code, message: err.message });
          return;
        }
        throw err;
      }
    });
  };

  return (
    <FormDialog trigger="Link a repository" triggerClass="button button--primary" title="Link a repository" open={open()} onOpenChange={setOpen}>
      <form class="form" onSubmit={onSubmit} novalidate>
        <FormError message={submit.formError()} />
        <Field label="Name" name="name" required maxLength={100} value={name()} onInput={setName} error={submit.fieldError("name")} />
        <label class="field">
          <span>GitHub repository</span>
          <input
            name="githubRepo"
            placeholder="owner/name"
            autocomplete="off"
            value={repo()}
            onInput={(e) => (setRepo(e.currentTarget.value), setRepoError(undefined))}
            aria-invalid={repoError() || submit.fieldError("githubRepo") ? "true" : undefined}
          />
          <span class="field__hint">Checked through your GitHub connection: it must exist and you must be able to push to it. Leave empty to plan without a repository.</span>
          <Show when={submit.fieldError("githubRepo")}>
            <span class="field__error" role="alert">{submit.fieldError("githubRepo")}</span>
          </Show>
          <Show when={repoError()}>
            {(err) => (
              <span class="field__error" role="alert" data-testid="repo-error">
                {err().message}{" "}
                <Show when={err().code === "github_not_connected"}>
                  <A href="/integrations">Connect GitHub</A>
                </Show>
              </span>
            )}
          </Show>
        </label>
        <Field label="Default branch" name="defaultBranch" hint="Leave empty for the repository's default." value={branch()} onInput={setBranch} error={submit.fieldError("defaultBranch")} />
        <SubmitButton busy={submit.busy()}>Link repository</SubmitButton>
      </form>
    </FormDialog>
  );
}
