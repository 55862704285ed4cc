import { createSignal } from "solid-js";
import { Icon } from "../../components/Icon";
import { formatBytes, KB_ACCEPT } from "../../stores/kb";
import { KB_MAX_FILE_BYTES } from "../../../../worker/contract/kb";

/**
 * Where files come in: dropped on the zone (several at once), or picked
 * with the "Choose files" button, which is the keyboard's way in. The file
 * input itself stays out of the tab order: the button opens it.
 */
export function DropZone(props: { onFiles: (files: File[]) => void }) {
  const [over, setOver] = createSignal(false);
  let input: HTMLInputElement | undefined;
  // dragenter/dragleave fire for every child the pointer crosses: count them so the zone stays lit while inside.
  let depth = 0;

  const hasFiles = (e: DragEvent) => [...(e.dataTransfer?.types ?? [])].includes("Files");

  return (
    <div
      class="kb-drop"
      classList={{ "kb-drop--over": over() }}
      data-testid="kb-drop-zone"
      onDragEnter={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        depth++;
        setOver(true);
      }}
      onDragOver={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
      }}
      onDragLeave={() => {
        depth = Math.max(0, depth - 1);
        if (depth === 0) setOver(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        depth = 0;
        setOver(false);
        const files = [...(e.dataTransfer?.files ?? [])];
        if (files.length > 0) props.onFiles(files);
      }}
    >
      <Icon name="upload" size={28} class="kb-drop__icon" />
      <p class="kb-drop__lead">
        <strong>Drop files here</strong> or
      </p>
      <button class="button button--primary" type="button" aria-describedby="kb-drop-hint" onClick={() => input?.click()}>
        Choose files
      </button>
      <p class="muted kb-drop__hint" id="kb-drop-hint">
        Text, Markdown, HTML, JSON or PDF, up to {formatBytes(KB_MAX_FILE_BYTES)} each.
      </p>
      <input
        ref={input}
        class="visually-hidden"
        type="file"
        multiple
        accept={KB_ACCEPT}
        tabindex="-1"
        aria-label="Files to upload"
        data-testid="kb-file-input"
        onChange={(e) => {
          const files = [...(e.currentTarget.files ?? [])];
          // Cleared, so choosing the same file again is a change too.
          e.currentTarget.value = "";
          if (files.length > 0) props.onFiles(files);
        }}
      />
    </div>
  );
}
