import { Progress } from "@kobalte/core/progress";
import { For, Show } from "solid-js";
import type { KbDocument } from "../../../../worker/contract/kb";
import { formatBytes, reconcileUpload, uploadLabel, type KbUpload } from "../../stores/kb";

/** What a screen reader hears: each file's phase as it changes, not every percent. */
function announcement(rows: { upload: KbUpload; doc?: KbDocument }[]): string {
  return rows
    .map(({ upload, doc }) => {
      if (upload.phase === "failed") return `${upload.name}: ${(upload.error ?? "failed").replace(/\.$/, "")}`;
      if (upload.phase === "indexed") return `${upload.name}: ${uploadLabel(upload, doc)}`;
      if (upload.phase === "indexing") return `${upload.name}: indexing`;
      return `${upload.name}: ${upload.started ? "uploading" : "waiting to upload"}`;
    })
    .join(". ");
}

/** One row per file sent from this tab: a progress bar for the bytes, then for the indexing, then the outcome. */
export function UploadList(props: { uploads: KbUpload[]; documents: KbDocument[] | undefined; onClearFinished: () => void }) {
  const rowOf = (upload: KbUpload) => {
    const doc = upload.documentId ? props.documents?.find((d) => d.id === upload.documentId) : undefined;
    return { upload: reconcileUpload(upload, doc), doc };
  };
  const rows = () => props.uploads.map(rowOf);
  const finished = () => rows().some(({ upload }) => upload.phase === "indexed" || upload.phase === "failed");

  return (
    <Show when={props.uploads.length > 0}>
      <div class="kb-uploads">
        <div class="kb-uploads__head">
          <h3>Uploads</h3>
          <Show when={finished()}>
            <button class="button button--small" type="button" onClick={() => props.onClearFinished()}>
              Clear finished
            </button>
          </Show>
        </div>
        <ul class="kb-uploads__list" aria-label="Uploads">
          <For each={props.uploads}>
            {(upload) => {
              const row = () => rowOf(upload);
              return (
              <li class="kb-upload" data-testid="kb-upload" data-phase={row().upload.phase} data-name={row().upload.name} data-document-id={row().upload.documentId ?? undefined}>
                <Show
                  when={row().upload.phase !== "failed"}
                  fallback={
                    <>
                      <div class="kb-upload__head">
                        <span class="kb-upload__name">{row().upload.name}</span>
                        <span class="kb-upload__size muted">{formatBytes(row().upload.bytes)}</span>
                      </div>
                      <p class="kb-upload__error" data-testid="kb-upload-status">
                        {uploadLabel(row().upload, row().doc)}
                      </p>
                    </>
                  }
                >
                  <Progress
                    class="kb-upload__progress"
                    value={row().upload.percent}
                    minValue={0}
                    maxValue={100}
                    getValueLabel={() => uploadLabel(row().upload, row().doc)}
                  >
                    <div class="kb-upload__head">
                      <Progress.Label class="kb-upload__name">{row().upload.name}</Progress.Label>
                      <span class="kb-upload__size muted">{formatBytes(row().upload.bytes)}</span>
                      <Progress.ValueLabel class="kb-upload__status" data-testid="kb-upload-status" />
                    </div>
                    <Progress.Track class="kb-upload__track" data-phase={row().upload.phase}>
                      <Progress.Fill class="kb-upload__fill" />
                    </Progress.Track>
                  </Progress>
                </Show>
              </li>
              );
            }}
          </For>
        </ul>
        <p class="visually-hidden" aria-live="polite" data-testid="kb-upload-announcer">
          {announcement(rows())}
        </p>
      </div>
    </Show>
  );
}
