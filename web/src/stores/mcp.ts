import type { QueryFunctionContext } from "@tanstack/solid-query";
import type { McpConsent, McpGrantList } from "../../../worker/contract/mcp";
import type { ApiClient } from "../lib/api";
import type { SnapshotReady } from "./integrations";

/** MCP: the consent request a client made, and the clients given access. */
export const mcpKeys = {
  consent: (handle: string) => ["mcp", "consent", handle] as const,
  grants: ["mcp", "grants"] as const,
};

export function consentQuery(client: ApiClient, handle: string) {
  return {
    queryKey: mcpKeys.consent(handle),
    retry: false,
    // A consent is answered once: refetching after that would only say it expired.
    refetchOnWindowFocus: false,
    queryFn: ({ signal }: QueryFunctionContext) => client.get<McpConsent>(`/api/mcp/consent/${encodeURIComponent(handle)}`, { signal }),
  };
}

export function grantsQuery(client: ApiClient, ready: SnapshotReady) {
  return {
    queryKey: mcpKeys.grants,
    queryFn: async ({ signal }: QueryFunctionContext) => (await ready(), client.get<McpGrantList>("/api/mcp/grants", { signal })),
  };
}

/** OAuth error codes a client can cause, in words (RFC 6749 §4.1.2.1). */
export function describeOAuthError(code: string, description?: string): string {
  const known: Record<string, string> = {
    invalid_request: "The app's request to connect was malformed",
    unauthorized_client: "This app is not allowed to connect",
    invalid_client: "This app is not registered with TaskPilot",
    invalid_scope: "The app asked for access TaskPilot does not give",
    invalid_target: "The app asked for access to a server other than this TaskPilot",
    unsupported_response_type: "The app asked for a kind of answer TaskPilot does not give",
  };
  const lead = known[code] ?? "The app's request to connect could not be accepted";
  return description ? `${lead}: ${description}` : `${lead}.`;
}
