import { EmptyState, PageHeader } from "../components/EmptyState";

export function AppsPage() {
  return (
    <>
      <PageHeader title="Apps" subtitle="What your specs have produced." />
      <EmptyState icon="grid" title="No apps yet">
        <p>Every spec whose PRD is ready shows up here with its plan, its branch and the pull request it opened.</p>
      </EmptyState>
    </>
  );
}
