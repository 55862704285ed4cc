import { A, useNavigate, useParams } from "@solidjs/router";
import { createMutation, createQuery, useQueryClient } from "@tanstack/solid-query";
import { createEffect, createMemo, createSignal, For, on, onCleanup, Show } from "solid-js";
import type { ProviderName } from "../../../worker/contract/integrations";
import type { Template, TemplateVariable } from "../../../worker/contract/templates";
import { ConfirmButton } from "../components/ConfirmButton";
import { EmptyState, PageHeader } from "../components/EmptyState";
import { showNotice } from "../components/Notice";
import { Spinner } from "../components/Spinner";
import { ApiError, api, errorMessage } from "../lib/api";
import { onRestoredFromCache } from "../lib/page-lifecycle";
import { useAuth } from "../stores/auth-context";
import { useEvents } from "../stores/events";
import { connectMutation, integrationsQuery } from "../stores/integrations";
import {
  checkValues,
  deleteTemplateMutation,
  humanize,
  patchTemplateMutation,
  previewQuery,
  PROVIDER_LABEL,
  variableErrors,
  startTemplateMutation,
  templateQuery,
} from "../stores/templates";
import { templateBadge } from "./TemplatesPage";
import "./templates/templates.css";

/** How long typing pauses before the preview is composed again. */
const PREVIEW_DEBOUNCE_MS = 250;

/** `/templates/:id`: fill in the variables, see what the template needs and the prompt it makes, and start it. */
export function TemplatePage() {
  const params = useParams<{ id: string }>();
  const events = useEvents();
  const template = createQuery(() => templateQuery(api, events.snapshotReady, params.id));
  const notFound = () => template.error instanceof ApiError && template.error.status === 404;
  return (
    <>
      <p class="template-back">
        <A href="/templates">← All templates</A>
      </p>
      <Show when={notFound()}>
        <EmptyState icon="template" title="No such template">
          <p>This template does not exist, or it is private to someone else. Pick one from the list.</p>
        </EmptyState>
      </Show>
      <Show when={template.isError && !notFound()}>
        <p class="error-note" role="alert">
          The template could not be loaded: {errorMessage(template.error)}{" "}
          <button class="button" type="button" disabled={template.isFetching} onClick={() => void template.refetch()}>
            Retry
          </button>
        </p>
      </Show>
      <Show when={template.isPending}>
        <p class="muted" role="status">
          <Spinner /> Loading the template…
        </p>
      </Show>
      <Show when={template.data} keyed>
        {(t) => <TemplateForm template={t} />}
      </Show>
    </>
  );
}

function TemplateForm(props: { template: Template }) {
  const t = props.template;
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const events = useEvents();
  const auth = useAuth();
  // What was typed survives the trip to a provider's consent page and back (this tab only).
  const [values, setValues] = createSignal<Record<string, string>>({
    ...Object.fromEntries(t.variables.map((v) => [v.name, v.default ?? ""])),
    ...restoreValues(t),
  });
  createEffect(on(values, (now) => sessionStorage.setItem(valuesKey(t.id), JSON.stringify(now)), { defer: true }));
  const [touched, setTouched] = createSignal<Set<string>>(new Set());
  const [submitted, setSubmitted] = createSignal(false);
  const checked = createMemo(() => checkValues(t, values()));
  // The local check once a field is left (or Start pressed); otherwise what the server said of the value last sent.
  const shownError = (name: string) =>
    (submitted() || touched().has(name) ? checked().errors[name] : undefined) ?? variableErrors(start.error)[name] ?? variableErrors(preview.error)[name];

  // The preview follows the values once typing pauses, and only for values that pass the same checks the server makes.
  const [settled, setSettled] = createSignal(checked().send);
  createEffect(
    on(checked, (now) => {
      if (Object.keys(now.errors).length > 0) return;
      const timer = setTimeout(() => setSettled(now.send), PREVIEW_DEBOUNCE_MS);
      onCleanup(() => clearTimeout(timer));
    }),
  );
  const preview = createQuery(() => previewQuery(api, t, settled()));
  const integrations = createQuery(() => integrationsQuery(api, events.snapshotReady));
  const start = createMutation(() => startTemplateMutation(api, queryClient));
  const remove = createMutation(() => deleteTemplateMutation(api, queryClient));
  const patch = createMutation(() => patchTemplateMutation(api, queryClient));
  const toggleVisibility = async () => {
    const visibility = t.visibility === "public" ? "private" : "public";
    try {
      await patch.mutateAsync({ id: t.id, change: { visibility } });
      showNotice({ kind: "success", text: visibility === "public" ? "Everyone on this TaskPilot can use it now." : "Only you can see it now." });
    } catch (err) {
      showNotice({ kind: "error", text: `The template could not be changed: ${errorMessage(err)}` });
    }
  };

  const statusOf = (p: ProviderName) => integrations.data?.find((i) => i.provider === p)?.status ?? "disconnected";
  const own = () => t.ownerId !== null && t.ownerId === auth.user()?.id;

  const onStart = async (e: SubmitEvent) => {
    e.preventDefault();
    setSubmitted(true);
    const errors = checked().errors;
    const first = t.variables.find((v) => errors[v.name]);
    if (first) {
      document.getElementById(`var-${first.name}`)?.focus();
      return;
    }
    try {
      const started = await start.mutateAsync({ id: t.id, values: checked().send });
      if (!started.autoExecuted) showNotice({ kind: "success", text: "The chat is open with the prompt ready. Fill in what is missing, then send it.", testId: "start-draft-toast" });
      navigate(`/chat/${encodeURIComponent(started.sessionId)}`);
    } catch (err) {
      // A value the server refused is marked at its field; anything else is said in a toast.
      const refused = t.variables.find((v) => variableErrors(err)[v.name]);
      if (refused) document.getElementById(`var-${refused.name}`)?.focus();
      else showNotice({ kind: "error", text: `The chat could not be started: ${errorMessage(err)}` });
    }
  };

  const onDelete = async () => {
    try {
      await remove.mutateAsync(t.id);
      showNotice({ kind: "success", text: `“${t.title}” is deleted.` });
      navigate("/templates");
    } catch (err) {
      showNotice({ kind: "error", text: `The template could not be deleted: ${errorMessage(err)}` });
    }
  };

  return (
    <>
      <PageHeader title={t.title} subtitle={t.description || "A template with no description."} />
      <p class="template-meta">
        <span class={`template-badge template-badge--${templateBadge(t).toLowerCase()}`}>{templateBadge(t)}</span>
        <span class="muted">version {t.version}</span>
        <Show when={own()}>
          <button class="button button--small" type="button" disabled={patch.isPending} onClick={() => void toggleVisibility()}>
            <Show when={patch.isPending}>
              <Spinner />
            </Show>
            {t.visibility === "public" ? "Make private" : "Make public"}
          </button>
          <ConfirmButton
            action="Delete"
            label={`Delete ${t.title}`}
            title={`Delete “${t.title}”?`}
            disabled={remove.isPending}
            busy={remove.isPending}
            class="button button--small button--danger"
            onConfirm={() => void onDelete()}
          >
            Conversations started from it stay as they are.
          </ConfirmButton>
        </Show>
      </p>
      <div class="panel-grid template-page">
        <form class="panel form" aria-labelledby="template-values-heading" onSubmit={(e) => void onStart(e)} novalidate>
          <h2 id="template-values-heading">Fill in</h2>
          <Show when={t.variables.length === 0}>
            <p class="muted">This template has nothing to fill in.</p>
          </Show>
          <For each={t.variables}>
            {(v) => (
              <VariableField
                variable={v}
                value={values()[v.name] ?? ""}
                error={shownError(v.name)}
                onInput={(value) => {
                  if (start.isError) start.reset();
                  setValues((all) => ({ ...all, [v.name]: value }));
                }}
                onBlur={() => setTouched((all) => new Set(all).add(v.name))}
              />
            )}
          </For>
          <button class="button button--primary" type="submit" disabled={start.isPending}>
            <Show when={start.isPending}>
              <Spinner />
            </Show>
            Start
          </button>
          <p class="field__hint">
            With everything filled in and connected, the chat opens with the first turn already running; otherwise it opens with the prompt ready to edit.
          </p>
        </form>

        <section class="panel" aria-labelledby="template-needs-heading">
          <h2 id="template-needs-heading">Integrations</h2>
          <Show when={t.requiredIntegrations.length + t.optionalIntegrations.length === 0}>
            <p class="muted">This template needs no integration.</p>
          </Show>
          <Show when={integrations.isError}>
            <p class="error-note" role="alert">
              Whether they are connected could not be checked: {errorMessage(integrations.error)}{" "}
              <button class="button" type="button" disabled={integrations.isFetching} onClick={() => void integrations.refetch()}>
                Retry
              </button>
            </p>
          </Show>
          <ul class="template-needs">
            <For each={[...t.requiredIntegrations.map((p) => [p, true] as const), ...t.optionalIntegrations.map((p) => [p, false] as const)]}>
              {([provider, required]) => <IntegrationNeed provider={provider} required={required} status={statusOf(provider)} loading={integrations.isPending} returnTo={`/templates/${encodeURIComponent(t.id)}`} />}
            </For>
          </ul>
        </section>

        <section class="panel template-preview" aria-labelledby="template-preview-heading" aria-busy={preview.isFetching ? "true" : "false"}>
          <h2 id="template-preview-heading">
            Preview
            <Show when={preview.isFetching}>
              {" "}
              <Spinner />
            </Show>
          </h2>
          <Show when={preview.data && Object.keys(checked().errors).length > 0}>
            <p class="muted">This is for the last values that passed their checks.</p>
          </Show>
          <Show when={preview.isError}>
            <Show
              when={Object.keys(variableErrors(preview.error)).length === 0}
              fallback={<p class="muted">The preview waits for the values marked above to be fixed.</p>}
            >
              <p class="error-note" role="alert">
                The preview could not be composed: {errorMessage(preview.error)}{" "}
                <button class="button" type="button" disabled={preview.isFetching} onClick={() => void preview.refetch()}>
                  Retry
                </button>
              </p>
            </Show>
          </Show>
          <Show when={preview.data}>
            {(p) => (
              <>
                <p class={`confidence confidence--${p().confidence}`} data-testid="confidence">
                  Confidence: <strong>{p().confidence}</strong>
                </p>
                <Show when={p().reasons.length > 0}>
                  <ul class="template-reasons" data-testid="reasons">
                    <For each={p().reasons}>{(r) => <li>{r}</li>}</For>
                  </ul>
                </Show>
                <h3>First message</h3>
                <pre class="template-prompt" data-testid="prompt">
                  {p().prompt}
                </pre>
                <h3>Tools the agent will have</h3>
                <Show when={p().tools.length > 0} fallback={<p class="muted">None yet: connect the integrations above.</p>}>
                  <p class="template-tools">
                    <For each={p().tools}>{(name) => <code class="chip">{name}</code>}</For>
                  </p>
                </Show>
              </>
            )}
          </Show>
          <Show when={!preview.data && !preview.isError}>
            <p class="muted" role="status">
              <Spinner /> Composing the prompt…
            </p>
          </Show>
        </section>
      </div>
    </>
  );
}

const valuesKey = (id: string) => `taskpilot:template-values:${id}`;

/** The values this tab last typed for the template, for its variables only. */
function restoreValues(t: Template): Record<string, string> {
  try {
    const saved = JSON.parse(sessionStorage.getItem(valuesKey(t.id)) ?? "{}") as Record<string, unknown>;
    return Object.fromEntries(t.variables.flatMap((v) => (typeof saved[v.name] === "string" ? [[v.name, saved[v.name] as string]] : [])));
  } catch {
    return {};
  }
}

function VariableField(props: { variable: TemplateVariable; value: string; error: string | undefined; onInput: (value: string) => void; onBlur: () => void }) {
  const v = props.variable;
  const id = `var-${v.name}`;
  const describedBy = () => [props.error ? `${id}-error` : undefined, v.help ? `${id}-help` : undefined].filter(Boolean).join(" ") || undefined;
  const common = () => ({
    id,
    name: v.name,
    required: v.required,
    "aria-invalid": props.error ? ("true" as const) : undefined,
    "aria-describedby": describedBy(),
    onBlur: props.onBlur,
  });
  return (
    <div class="field" classList={{ "field--invalid": Boolean(props.error) }}>
      <label for={id}>
        {humanize(v.name)}
        <Show when={v.required} fallback={<span class="muted"> (optional)</span>}>
          <span aria-hidden="true"> *</span>
        </Show>
      </label>
      <Show
        when={v.type === "enum"}
        fallback={
          <input
            {...common()}
            type={v.type === "number" ? "text" : v.type === "date" ? "date" : v.type === "email" ? "email" : "text"}
            inputMode={v.type === "number" ? "decimal" : undefined}
            placeholder={v.type === "repo" ? "owner/name" : v.type === "email" ? "name@example.com" : undefined}
            autocomplete="off"
            value={props.value}
            onInput={(e) => props.onInput(e.currentTarget.value)}
          />
        }
      >
        <select {...common()} value={props.value} onChange={(e) => props.onInput(e.currentTarget.value)}>
          <Show when={!v.required || !v.default}>
            <option value="">Choose…</option>
          </Show>
          <For each={v.options ?? []}>{(o) => <option value={o}>{o}</option>}</For>
        </select>
      </Show>
      <Show when={v.help}>
        <p id={`${id}-help`} class="field__hint">
          {v.help}
        </p>
      </Show>
      <Show when={props.error}>
        <p id={`${id}-error`} class="field__error" role="alert">
          {props.error}
        </p>
      </Show>
    </div>
  );
}

function IntegrationNeed(props: { provider: ProviderName; required: boolean; status: string; loading: boolean; returnTo: string }) {
  const connect = createMutation(() => connectMutation(api, props.provider, undefined, props.returnTo));
  onRestoredFromCache(() => connect.reset());
  const active = () => props.status === "active";
  const name = PROVIDER_LABEL[props.provider];
  return (
    <li class="template-need" data-provider={props.provider} data-status={props.status}>
      <span class="template-need__name">
        {name}
        <span class="muted">{props.required ? " · required" : " · optional"}</span>
      </span>
      <Show when={!props.loading} fallback={<Spinner />}>
        <Show
          when={active()}
          fallback={
            <button
              class="button button--small button--primary"
              type="button"
              aria-label={`Connect ${name}`}
              disabled={connect.isPending || connect.isSuccess}
              onClick={() => connect.mutate()}
            >
              <Show when={connect.isPending || connect.isSuccess}>
                <Spinner />
              </Show>
              {props.status === "disconnected" ? "Connect" : "Reconnect"}
            </button>
          }
        >
          <span class="status-badge status-badge--active">Connected</span>
        </Show>
      </Show>
      <Show when={connect.error}>
        <p class="field__error" role="alert">
          {errorMessage(connect.error)}
        </p>
      </Show>
    </li>
  );
}
