import { EmptyState, PageHeader } from "../components/EmptyState";

export function ProjectsPage() {
  return (
    <>
      <PageHeader title="Projects" subtitle="GitHub repositories that specs turn into pull requests." />
      <EmptyState icon="folder" title="No projects yet">
        <p>
          Link a GitHub repository to create a project. Write a spec, refine it in chat, plan it, and watch it execute
          phase by phase until the pull request opens.
        </p>
      </EmptyState>
    </>
  );
}
