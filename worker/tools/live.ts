import { getConfig } from "../config";
import type { IntegrationStatus } from "../contract/integrations";
import { database } from "../db/client";
import { listIntegrationRows } from "../db/integrations";
import type { Env } from "../env";
import { log } from "../http/log";
import { timedRuntime } from "../metrics/instrument";
import { getAccessToken, getAccessTokenAfterUnauthorized } from "../integrations/refresh";
import { PROVIDER_IDS, resolveProvider, type ProviderId } from "../integrations/providers";
import type { ToolSet } from "./call";
import type { ToolContext, ToolSource } from "./define";
import { defaultRuntime, type Connection, type ToolRuntime } from "./http";
import { toolRegistry, type RegisteredTool, type ToolRegistry } from "./registry";

/**
 * The registry against the live state: which tools a user may call at this
 * moment (computed per turn from the integrations that are `active` now, so
 * an integration that expired or was disconnected since the last turn has
 * its tools withdrawn), and the context their handlers run in.
 */

export async function toolsForUser(env: Env, userId: string, registry: ToolRegistry = toolRegistry): Promise<ToolSet> {
  const rows = await listIntegrationRows(database(env), userId);
  const status = new Map(rows.map((r) => [r.provider, r.status as IntegrationStatus]));
  const featureAvailable = new Map<string, boolean>();
  const tools: RegisteredTool[] = [];
  for (const tool of registry.list()) {
    const source = tool.source;
    if (source.integration) {
      if (status.get(source.integration) === "active") tools.push(tool);
      continue;
    }
    if (!featureAvailable.has(source.id)) featureAvailable.set(source.id, await featureIsAvailable(env, userId, source));
    if (featureAvailable.get(source.id)) tools.push(tool);
  }
  const unavailable = PROVIDER_IDS.filter((p) => status.get(p) !== "active").map((provider) => ({ provider, status: status.get(provider) ?? "disconnected" }));
  const revision = rows.map((r) => `${r.provider}:${r.id}:${r.status}:${r.connectedAt?.getTime() ?? ""}`).sort().join("|");
  return { tools, unavailable, revision };
}

/** A feature that cannot say whether it is available (its storage is down) is left out of this turn, not the whole tool list with it. */
async function featureIsAvailable(env: Env, userId: string, source: ToolSource): Promise<boolean> {
  if (!source.available) return true;
  try {
    return await source.available(env, userId);
  } catch (e) {
    log("warn", "tool_source_unavailable", { source: source.id, userId, error: e instanceof Error ? e.message : String(e) });
    return false;
  }
}

/** The context tool handlers run in for one user: provider connections over the integration's tokens, one per provider per context. */
export function liveToolContext(env: Env, userId: string, runtime: ToolRuntime = defaultRuntime()): ToolContext {
  const cfg = getConfig(env);
  const connections = new Map<ProviderId, Connection>();
  return {
    userId,
    env,
    runtime,
    connection(provider) {
      let conn = connections.get(provider);
      if (!conn) {
        conn = {
          provider,
          apiUrl: resolveProvider(cfg, provider).apiUrl,
          // Each request counted and timed for GET /api/metrics (worker/metrics/).
          runtime: timedRuntime(env, provider, runtime),
          credentials: {
            accessToken: () => getAccessToken(env, userId, provider),
            afterUnauthorized: (rejected) => getAccessTokenAfterUnauthorized(env, userId, provider, rejected),
          },
        };
        connections.set(provider, conn);
      }
      return conn;
    },
  };
}
