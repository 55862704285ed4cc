import { A } from "@solidjs/router";
import { EmptyState } from "../components/EmptyState";

export function NotFoundPage() {
  return (
    <EmptyState icon="alert" title="Page not found">
      <p>
        There is nothing at this address. <A href="/chat">Go to Chat</A>
      </p>
    </EmptyState>
  );
}
