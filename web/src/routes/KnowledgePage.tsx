import { createQuery, useQueryClient } from "@tanstack/solid-query";
import { PageHeader } from "../components/EmptyState";
import { QueryView } from "../components/QueryView";
import { api } from "../lib/api";
import { useEvents } from "../stores/events";
import { kbDocumentsQuery, kbUploader, kbUploadsQuery } from "../stores/kb";
import { DocumentList } from "./knowledge/DocumentList";
import { DropZone } from "./knowledge/DropZone";
import { SearchPanel } from "./knowledge/SearchPanel";
import { UploadList } from "./knowledge/UploadList";
import "./knowledge/knowledge.css";

/**
 * `/knowledge`: add documents (each with its own progress bar, from the
 * bytes sent to the end of indexing), search them, and the list of what is
 * there. Indexing frames keep the list current (see server-state.ts).
 */
export function KnowledgePage() {
  const events = useEvents();
  const queryClient = useQueryClient();
  const documents = createQuery(() => kbDocumentsQuery(api, events.snapshotReady));
  const uploads = createQuery(() => kbUploadsQuery(queryClient));
  const uploader = kbUploader(api, queryClient);

  return (
    <>
      <PageHeader title="Knowledge" subtitle="Documents your agent can search and cite." />
      <div class="panel-grid">
        <section class="panel kb-add" aria-labelledby="kb-add-heading">
          <h2 id="kb-add-heading">Add documents</h2>
          <DropZone onFiles={(files) => uploader.add(files)} />
          <UploadList uploads={uploads.data?.items ?? []} documents={documents.data} onClearFinished={() => uploader.clearFinished()} />
        </section>
        <SearchPanel />
        <section class="panel kb-docs" aria-labelledby="kb-docs-heading">
          <h2 id="kb-docs-heading">Documents</h2>
          <QueryView
            query={documents}
            errorLead="The documents could not be loaded: "
            loading="Loading your documents…"
          >
            {(list) => <DocumentList documents={list()} />}
          </QueryView>
        </section>
      </div>
    </>
  );
}
