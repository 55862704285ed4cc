import { EmptyState, PageHeader } from "../components/EmptyState";

export function TemplatesPage() {
  return (
    <>
      <PageHeader title="Templates" subtitle="Reusable prompts that start a chat in one step." />
      <EmptyState icon="template" title="No templates yet">
        <p>
          Templates with variables will be listed here, yours and public ones. Fill in the variables, see which
          integrations a template needs, and start it straight into a running chat.
        </p>
      </EmptyState>
    </>
  );
}
