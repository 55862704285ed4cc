import { EmptyState, PageHeader } from "../components/EmptyState";

export function ChatPage() {
  return (
    <>
      <PageHeader title="Chat" subtitle="Conversations with an agent that uses your connected tools." />
      <EmptyState icon="chat" title="No conversations yet">
        <p>
          Your sessions will be listed here, grouped by day or by template. Each one keeps its messages, tool steps,
          checkpoints and the cost of every turn, so you can close the browser and pick up where you left off.
        </p>
      </EmptyState>
    </>
  );
}
