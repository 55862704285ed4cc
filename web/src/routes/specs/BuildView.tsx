import { createMutation, createQuery, useQueryClient } from "@tanstack/solid-query";
import { createSignal, For, onCleanup, Show } from "solid-js";
import type { Spec } from "../../../../worker/contract/specs";
import { QueryView } from "../../components/QueryView";
import { Spinner } from "../../components/Spinner";
import { api, errorMessage } from "../../lib/api";
import { useEvents } from "../../stores/events";
import { executionQuery, invalidateSpec, phaseStates, TIMELINE } from "../../stores/specs";

const PHASE_LABEL = { explore: "Explore", implement: "Implement", verify: "Verify", pr: "Pull request" } as const;
const STATE_LABEL = { pending: "pending", running: "running", done: "done", failed: "failed" } as const;

/** The live build: the phase timeline, the runner's state and heartbeat, attempts, the steps and errors as they happen. */
export function BuildView(props: { spec: Spec }) {
  const events = useEvents();
  const queryClient = useQueryClient();
  const live = () => props.spec.status === "executing" || props.spec.status === "queued";
  const status = createQuery(() => executionQuery(api, events.snapshotReady, props.spec.id, live));
  const [now, setNow] = createSignal(Date.now());
  const timer = setInterval(() => setNow(Date.now()), 1_000);
  onCleanup(() => clearInterval(timer));
  const ago = (iso: string | null) => (iso ? `${Math.max(0, Math.round((now() - Date.parse(iso)) / 1000))} s ago` : "not yet");
  // The runner stopped while opening the pull request: the branch has the work, and the pull request can be opened by hand (idempotent).
  const openByHand = () => props.spec.status === "failed" && !!props.spec.branchName && !props.spec.pullRequestUrl && props.spec.currentPhase === "pr";
  const openPr = createMutation(() => ({
    mutationFn: () => api.post(`/api/specs/${encodeURIComponent(props.spec.id)}/create-pr`),
    onSettled: () => invalidateSpec(queryClient, props.spec.id),
  }));
  return (
    <section class="panel" aria-label="Build" data-testid="build-view">
      <h2>Build</h2>
      <Show when={props.spec.status === "merged"}>
        <p class="spec-outcome spec-outcome--merged" role="status" data-testid="spec-outcome">
          Merged
        </p>
      </Show>
      <Show when={props.spec.status === "closed"}>
        <p class="spec-outcome" role="status" data-testid="spec-outcome">
          Closed without merging
        </p>
      </Show>
      <Show when={props.spec.status === "pr_created"}>
        <p class="muted" role="status">
          The pull request is open: review and merge it on GitHub; this page follows it.
        </p>
      </Show>
      <Show when={props.spec.status === "failed"}>
        <div class="error-note" role="alert" data-testid="spec-outcome">
          <p>{props.spec.error ?? "The execution failed."}</p>
          <Show when={openByHand()}>
            <p>
              <button class="button" type="button" disabled={openPr.isPending} onClick={() => openPr.mutate()}>
                <Show when={openPr.isPending}>
                  <Spinner />
                </Show>
                Open the pull request
              </button>{" "}
              The branch {props.spec.branchName} has the work.
            </p>
          </Show>
          <Show when={openPr.isError}>
            <p>The pull request was not opened: {errorMessage(openPr.error)}</p>
          </Show>
        </div>
      </Show>
      <QueryView query={status} loading="Loading the build…" errorLead="The build status could not be loaded: ">
        {(st) => {
          const phases = () => phaseStates(st().log);
          // The final reason is shown above as the outcome; the notice lists the others.
          const errors = () => st().log.filter((e) => e.kind === "error" && e.message !== props.spec.error);
          const retries = () => st().log.filter((e) => e.event === "spec.phase_retry").length;
          return (
            <>
              <ol class="phase-timeline" aria-label="Phases">
                <For each={TIMELINE}>
                  {(p) => (
                    <li class={`phase phase--${phases()[p]}`} data-testid={`phase-${p}`} data-state={phases()[p]} aria-current={phases()[p] === "running" ? "step" : undefined}>
                      <span class="phase__dot" aria-hidden="true" />
                      {PHASE_LABEL[p]} <span class="muted">{STATE_LABEL[phases()[p]]}</span>
                    </li>
                  )}
                </For>
              </ol>
              <Show when={st().runner} fallback={<p class="muted">Waiting for the runner to pick the spec up…</p>}>
                {(r) => (
                  <p class="muted" role="status" data-testid="runner">
                    <Show when={live()} fallback={props.spec.status === "failed" || props.spec.status === "cancelled" ? "Stopped on" : "Finished on"}>
                      Runner <strong class={`runner runner--${r().state}`}>{r().state}</strong> · heartbeat {ago(r().heartbeatAt)} · last work {ago(r().lastWorkAt)} ·
                    </Show>{" "}
                    attempt {st().attempts} of {st().maxAttempts}
                    <Show when={retries() > 0}>
                      {" "}
                      · <span class="runner--idle">retried {retries()} time{retries() === 1 ? "" : "s"}</span>
                    </Show>
                  </p>
                )}
              </Show>
              <Show when={live() && st().runner?.state === "dead"}>
                <p class="muted">The runner stopped answering; the watch retries the phase from its last checkpoint.</p>
              </Show>
              <Show when={errors().length > 0}>
                <div class="error-note" role={live() ? "alert" : undefined} data-testid="build-errors">
                  <Show when={!live() && props.spec.status !== "failed"}>
                    <p>
                      <strong>Errors along the way (the build recovered from them):</strong>
                    </p>
                  </Show>
                  <For each={errors()}>
                    {(e) => (
                      <p>
                        <Show when={e.phase}>
                          <strong>{e.phase}: </strong>
                        </Show>
                        {e.message}
                      </p>
                    )}
                  </For>
                </div>
              </Show>
              <Show when={st().log.length > 0} fallback={<p class="muted">Nothing has happened yet.</p>}>
                <ol class="build-log" aria-label="Build log">
                  <For each={st().log}>
                    {(e) => (
                      <li class={`build-log__entry build-log__entry--${e.kind}${e.event === "spec.phase_retry" ? " build-log__entry--retry" : ""}`}>
                        <time datetime={e.at}>{new Date(e.at).toLocaleTimeString()}</time>
                        <Show when={e.phase}>
                          <span class="build-log__phase">{e.phase}</span>
                        </Show>
                        <Show when={e.kind === "step" && e.event !== e.phase}>
                          <span class="muted">{e.event}</span>
                        </Show>
                        <span>{e.message}</span>
                      </li>
                    )}
                  </For>
                </ol>
              </Show>
            </>
          );
        }}
      </QueryView>
    </section>
  );
}
