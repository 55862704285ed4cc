import type { QueryFunctionContext } from "@tanstack/solid-query";
import type { AuditEntry } from "../../../worker/contract/audit";
import type { ApiClient } from "../lib/api";

export const auditKeys = { mine: ["audit", "mine"] as const };

export function myAuditQuery(client: ApiClient) {
  return {
    queryKey: auditKeys.mine,
    queryFn: ({ signal }: QueryFunctionContext) => client.get<{ entries: AuditEntry[]; nextBefore: string | null }>("/api/me/audit?limit=50", { signal }),
  };
}


