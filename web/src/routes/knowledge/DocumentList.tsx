import { A } from "@solidjs/router";
import { createMutation, useQueryClient } from "@tanstack/solid-query";
import { For, Show } from "solid-js";
import type { KbDocument } from "../../../../worker/contract/kb";
import { EmptyState } from "../../components/EmptyState";
import { showNotice } from "../../components/Notice";
import { api } from "../../lib/api";
import { deleteKbDocumentMutation, describeKbError, formatBytes, mimeLabel } from "../../stores/kb";
import { ConfirmDeleteDocument } from "./ConfirmDeleteDocument";
import { StatusBadge } from "./StatusBadge";

/** The documents table: what each is, where its indexing stands, and Delete. */
export function DocumentList(props: { documents: KbDocument[] }) {
  const queryClient = useQueryClient();
  const remove = createMutation(() => deleteKbDocumentMutation(api, queryClient));

  const onDelete = async (doc: KbDocument) => {
    try {
      await remove.mutateAsync({ id: doc.id });
      showNotice({ kind: "success", text: `'${doc.title}' was deleted.`, testId: "kb-delete-toast" });
    } catch (e) {
      showNotice({ kind: "error", text: `'${doc.title}' could not be deleted: ${describeKbError(e)}` });
    }
  };

  return (
    <Show
      when={props.documents.length > 0}
      fallback={
        <EmptyState icon="book" title="Your knowledge base is empty">
          <p>
            Upload text, Markdown, HTML, JSON or PDF files above. You will see each document's indexing progress, search across them, and
            open the exact passage an answer cites.
          </p>
        </EmptyState>
      }
    >
      <div class="kb-table-wrap">
        <table class="kb-table" data-testid="kb-documents">
          <caption class="visually-hidden">Your documents, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Type</th>
              <th scope="col">Size</th>
              <th scope="col">Status</th>
              <th scope="col">Chunks</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            <For each={props.documents}>
              {(doc) => (
                <tr data-testid="kb-document" data-document-id={doc.id}>
                  <th scope="row" class="kb-table__title">
                    <A href={`/knowledge/${encodeURIComponent(doc.id)}`}>{doc.title}</A>
                    <Show when={doc.status === "failed" && doc.error}>
                      <p class="kb-table__error" data-testid="kb-document-error">
                        {doc.error}
                      </p>
                    </Show>
                  </th>
                  <td>{mimeLabel(doc.mimeType)}</td>
                  <td class="kb-table__num">{formatBytes(doc.bytes)}</td>
                  <td>
                    <StatusBadge document={doc} />
                  </td>
                  <td class="kb-table__num">
                    {doc.chunks.toLocaleString("en-US")}
                  </td>
                  <td class="kb-table__actions">
                    <ConfirmDeleteDocument
                      title={doc.title}
                      busy={remove.isPending && remove.variables?.id === doc.id}
                      onConfirm={() => void onDelete(doc)}
                    />
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </Show>
  );
}
