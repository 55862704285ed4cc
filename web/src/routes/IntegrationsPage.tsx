import { EmptyState, PageHeader } from "../components/EmptyState";

export function IntegrationsPage() {
  return (
    <>
      <PageHeader title="Integrations" subtitle="The accounts your agents may act on." />
      <EmptyState icon="plug" title="No integrations connected yet">
        <p>
          Gmail, Google Calendar, Slack and GitHub will appear here as cards. Connect one through its consent page and its
          status, scopes and recent events show up live in every open tab.
        </p>
      </EmptyState>
    </>
  );
}
