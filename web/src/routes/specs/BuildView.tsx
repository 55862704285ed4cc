import { createQuery } from "@tanstack/solid-query";
import { createSignal, For, onCleanup, Show } from "solid-js";
import type { Spec } from "../../../../worker/contract/specs";
import { QueryView } from "../../components/QueryView";
import { api } from "../../lib/api";
import { useEvents } from "../../stores/events";
import { executionQuery, phaseStates, TIMELINE } from "../../stores/specs";

const PHASE_LABEL = { explore: "Explore", implement: "Implement", verify: "Verify", pr: "Pull request" } as const;

/** The live build: the phase timeline, the runner's state and heartbeat, attempts, the steps and errors as they happen. */
export function BuildView(props: { spec: Spec }) {
  const events = useEvents();
  const live = () => props.spec.status === "executing" || props.spec.status === "queued";
  const status = createQuery(() => executionQuery(api, events.snapshotReady, props.spec.id, live));
  const [now, setNow] = createSignal(Date.now());
  const timer = setInterval(() => setNow(Date.now()), 1_000);
  onCleanup(() => clearInterval(timer));
  const ago = (iso: string | null) => (iso ? `${Math.max(0, Math.round((now() - Date.parse(iso)) / 1000))} s ago` : "never");
  return (
    <section class="panel" aria-label="Build" data-testid="build-view">
      <h2>Build</h2>
      <QueryView query={status} loading="Loading the build…" errorLead="The build status could not be loaded: ">
        {(st) => {
          const phases = () => phaseStates(st().log);
          return (
            <>
              <ol class="phase-timeline">
                <For each={TIMELINE}>
                  {(p) => (
                    <li class={`phase phase--${phases()[p]}`} data-testid={`phase-${p}`} data-state={phases()[p]}>
                      <span class="phase__dot" aria-hidden="true" />
                      {PHASE_LABEL[p]} <span class="visually-hidden">{phases()[p]}</span>
                    </li>
                  )}
                </For>
              </ol>
              <Show when={st().runner}>
                {(r) => (
                  <p class="muted" role="status">
                    Runner <strong class={`runner runner--${r().state}`}>{r().state}</strong>
                    <Show when={live()}> · heartbeat {ago(r().heartbeatAt)} · last work {ago(r().lastWorkAt)}</Show> · attempt {st().attempts} of {st().maxAttempts}
                  </p>
                )}
              </Show>
              <Show when={props.spec.status === "merged"}>
                <p class="spec-outcome spec-outcome--merged">Merged.</p>
              </Show>
              <Show when={props.spec.status === "closed"}>
                <p class="spec-outcome">Closed without merging.</p>
              </Show>
              <ol class="build-log" aria-label="Build log">
                <For each={st().log}>
                  {(e) => (
                    <li class={`build-log__entry build-log__entry--${e.kind}${e.event === "spec.phase_retry" ? " build-log__entry--retry" : ""}`}>
                      <time datetime={e.at}>{new Date(e.at).toLocaleTimeString()}</time>
                      <Show when={e.phase}>
                        <span class="build-log__phase">{e.phase}</span>
                      </Show>
                      <span>{e.message}</span>
                    </li>
                  )}
                </For>
              </ol>
            </>
          );
        }}
      </QueryView>
    </section>
  );
}
