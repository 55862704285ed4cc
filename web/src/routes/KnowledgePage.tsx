import { EmptyState, PageHeader } from "../components/EmptyState";

export function KnowledgePage() {
  return (
    <>
      <PageHeader title="Knowledge" subtitle="Documents your agent can search and cite." />
      <EmptyState icon="book" title="Your knowledge base is empty">
        <p>
          Upload text, Markdown, HTML, JSON or PDF files here. You will see each document's indexing progress, search
          across them, and open the exact passage an answer cites.
        </p>
      </EmptyState>
    </>
  );
}
