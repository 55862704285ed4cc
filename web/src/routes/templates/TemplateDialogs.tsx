import { A, useNavigate } from "@solidjs/router";
import { createMutation, useQueryClient } from "@tanstack/solid-query";
import { createSignal, For, Show } from "solid-js";
import type { Template } from "../../../../worker/contract/templates";
import { FormDialog } from "../../components/FormDialog";
import { Spinner } from "../../components/Spinner";
import { useSubmit } from "../../components/useForm";
import { api } from "../../lib/api";
import { createTemplateMutation, importTemplateMutation } from "../../stores/templates";

/** A template from a title and a body: the server infers one required text variable per `{{placeholder}}`. */
export function NewTemplateDialog() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const create = createMutation(() => createTemplateMutation(api, queryClient));
  const submit = useSubmit();
  const [open, setOpen] = createSignal(false);
  const [title, setTitle] = createSignal("");
  const [description, setDescription] = createSignal("");
  const [body, setBody] = createSignal("");
  const [visibility, setVisibility] = createSignal<"private" | "public">("private");

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void submit.run(async () => {
      const { template } = await create.mutateAsync({ title: title(), description: description(), body: body(), visibility: visibility() });
      setOpen(false);
      navigate(`/templates/${encodeURIComponent(template.id)}`);
    });
  };

  return (
    <FormDialog trigger="New template" title="New template" open={open()} onOpenChange={setOpen}>
      <form class="form" onSubmit={onSubmit} novalidate>
        <Show when={submit.formError()}>
          <p class="error-note" role="alert">
            {submit.formError()}
          </p>
        </Show>
        <label class="field">
          <span>Title</span>
          <input name="title" required maxLength={120} value={title()} onInput={(e) => setTitle(e.currentTarget.value)} aria-invalid={submit.fieldError("title") ? "true" : undefined} />
          <Show when={submit.fieldError("title")}>
            <span class="field__error" role="alert">{submit.fieldError("title")}</span>
          </Show>
        </label>
        <label class="field">
          <span>Description</span>
          <input name="description" maxLength={500} value={description()} onInput={(e) => setDescription(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>Prompt</span>
          <textarea
            name="body"
            rows={5}
            required
            placeholder="Summarise unread email from {{sender}}"
            value={body()}
            onInput={(e) => setBody(e.currentTarget.value)}
            aria-invalid={submit.fieldError("body") ? "true" : undefined}
          />
          <span class="field__hint">Write {"{{name}}"} where a value goes; each becomes a field to fill in. {"\\{{"} writes literal braces.</span>
          <Show when={submit.fieldError("body")}>
            <span class="field__error" role="alert">{submit.fieldError("body")}</span>
          </Show>
        </label>
        <label class="field">
          <span>Who can use it</span>
          <select name="visibility" value={visibility()} onChange={(e) => setVisibility(e.currentTarget.value as "private" | "public")}>
            <option value="private">Only me</option>
            <option value="public">Everyone on this TaskPilot</option>
          </select>
        </label>
        <button class="button button--primary" type="submit" disabled={submit.busy()}>
          <Show when={submit.busy()}>
            <Spinner />
          </Show>
          Create template
        </button>
      </form>
    </FormDialog>
  );
}

/** The older flat JSON shape, pasted; the report says what the conversion changed. */
export function ImportTemplateDialog() {
  const queryClient = useQueryClient();
  const importing = createMutation(() => importTemplateMutation(api, queryClient));
  const submit = useSubmit();
  const [open, setOpen] = createSignal(false);
  const [text, setText] = createSignal("");
  const [parseError, setParseError] = createSignal<string>();
  const [result, setResult] = createSignal<{ template: Template; report: string[] }>();
  // A problem with the whole body ("(body)") is already the form's message.
  const keyErrors = () => Object.entries(submit.fieldErrors()).filter(([path]) => path !== "(body)");

  const onOpenChange = (next: boolean) => {
    setOpen(next);
    if (!next) (setResult(undefined), setText(""), setParseError(undefined));
  };

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    let legacy: unknown;
    try {
      legacy = JSON.parse(text());
    } catch (err) {
      setParseError(`This is not JSON: ${(err as Error).message}`);
      return;
    }
    setParseError(undefined);
    void submit.run(async () => {
      setResult(await importing.mutateAsync(legacy));
    });
  };

  return (
    <FormDialog trigger="Import" title="Import a legacy template" open={open()} onOpenChange={onOpenChange}>
      <Show
        when={result()}
        fallback={
          <form class="form" onSubmit={onSubmit} novalidate>
            <Show when={submit.formError()}>
              <p class="error-note" role="alert">
                {submit.formError()}
              </p>
            </Show>
            {/* The JSON has no fields of its own on this form: each problem names the key it is about. */}
            <Show when={keyErrors().length > 0}>
              <div class="error-note" role="alert" data-testid="import-errors">
                <p>The template could not be imported. Fix these in the JSON:</p>
                <ul class="template-report">
                  <For each={keyErrors()}>
                    {([path, message]) => (
                      <li>
                        <code>{path}</code>: {message}
                      </li>
                    )}
                  </For>
                </ul>
              </div>
            </Show>
            <label class="field">
              <span>Template JSON</span>
              <textarea
                name="legacy"
                rows={8}
                placeholder={'{"name": "Standup", "prompt": "Post the standup to {channel}", "params": ["channel"], "integrations": "slack"}'}
                value={text()}
                onInput={(e) => setText(e.currentTarget.value)}
                aria-invalid={parseError() ? "true" : undefined}
              />
              <Show when={parseError()}>
                <span class="field__error" role="alert">{parseError()}</span>
              </Show>
            </label>
            <button class="button button--primary" type="submit" disabled={submit.busy() || text().trim() === ""}>
              <Show when={submit.busy()}>
                <Spinner />
              </Show>
              Import
            </button>
          </form>
        }
      >
        {(done) => (
          <div class="form" data-testid="import-report">
            <p>
              Imported <strong>{done().template.title}</strong>. What changed:
            </p>
            <ul class="template-report">
              <For each={done().report}>{(line) => <li>{line}</li>}</For>
            </ul>
            <A class="button button--primary" href={`/templates/${encodeURIComponent(done().template.id)}`} onClick={() => setOpen(false)}>
              Open the template
            </A>
          </div>
        )}
      </Show>
    </FormDialog>
  );
}
