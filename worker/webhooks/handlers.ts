import { z } from "zod";
import { database } from "../db/client";
import { listIntegrationsByAccount } from "../db/integrations";
import type { WebhookDeliveryRow } from "../db/webhooks";
import type { Env } from "../env";
import { integrationFlight } from "../integrations/flight-stub";
import type { ProviderId } from "../integrations/providers";
import { settlePullRequest } from "../specs/merge";

/**
 * What each delivery does, by provider and event type. Every handler is
 * idempotent: processing the same delivery again has no second effect
 * (an integration already expired stays as it is and records nothing). A
 * handler that throws is retried by the queue, then dead-lettered and the
 * delivery marked `failed` with the error (a payload it cannot read fails
 * the same way, and can be replayed once the handler is fixed).
 */

/** One line for the deliveries view: what processing did. */
export type Outcome = string;

type Handler = (env: Env, payload: unknown, delivery: WebhookDeliveryRow) => Promise<Outcome>;

async function expireAll(env: Env, provider: ProviderId, match: { accountIds?: string[]; accountPrefix?: string }, reason: { code: string; message: string }): Promise<Outcome> {
  const rows = await listIntegrationsByAccount(database(env), provider, match);
  let expired = 0;
  for (const row of rows) {
    if (await integrationFlight(env, row.userId, provider).expireByProvider(row.userId, provider, reason)) expired += 1;
  }
  const name = provider === "github" ? "GitHub" : "Slack";
  return rows.length === 0 ? `no ${name} integration is connected to that account` : `${name} expired for ${expired} of ${rows.length} connected integration${rows.length === 1 ? "" : "s"}`;
}

function read<T extends z.ZodType>(schema: T, payload: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) throw new Error(`${what} is malformed: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(payload)"} ${i.message}`).join("; ")}`);
  return parsed.data;
}

const GithubAuthorization = z.object({ action: z.string(), sender: z.object({ id: z.union([z.number(), z.string()]), login: z.string().optional() }) });
const GithubPullRequest = z.object({
  action: z.string(),
  pull_request: z.object({ number: z.number(), merged: z.boolean().nullish(), html_url: z.string().optional(), head: z.object({ ref: z.string() }) }),
  repository: z.object({ full_name: z.string() }),
});

const GITHUB: Record<string, Handler> = {
  ping: async () => "ping: the hook is set up",
  github_app_authorization: async (env, payload) => {
    const event = read(GithubAuthorization, payload, "github_app_authorization");
    if (event.action !== "revoked") return `recorded (${event.action})`;
    return expireAll(env, "github", { accountIds: [String(event.sender.id)] }, {
      code: "revoked_by_provider",
      message: `GitHub says ${event.sender.login ?? "the user"} revoked TaskPilot's access; reconnect GitHub to use it again.`,
    });
  },
  pull_request: async (env, payload) => {
    const { action } = read(z.object({ action: z.string() }), payload, "pull_request");
    if (action !== "closed") return `recorded (${action})`;
    const event = read(GithubPullRequest, payload, "pull_request");
    const pr = event.pull_request;
    const merged = pr.merged === true;
    const settled = await settlePullRequest(env, { repo: event.repository.full_name, branch: pr.head.ref, number: pr.number, merged });
    return `pull request #${pr.number} ${merged ? "merged" : "closed"}: ${settled === 0 ? "no spec waiting on it" : `${settled} spec${settled === 1 ? "" : "s"} ${merged ? "merged" : "closed"}`}`;
  },
};

const SlackEnvelope = z.object({ type: z.string(), team_id: z.string().optional(), event: z.object({ type: z.string() }).passthrough().optional() });
const SlackTokensRevoked = z.object({
  team_id: z.string().min(1),
  event: z.object({ type: z.literal("tokens_revoked"), tokens: z.object({ oauth: z.array(z.string()).default([]), bot: z.array(z.string()).default([]) }) }),
});
const SlackUninstalled = z.object({ team_id: z.string().min(1), event: z.object({ type: z.literal("app_uninstalled") }) });

const SLACK_EVENTS: Record<string, Handler> = {
  tokens_revoked: async (env, payload) => {
    const event = read(SlackTokensRevoked, payload, "tokens_revoked");
    const users = [...event.event.tokens.oauth, ...event.event.tokens.bot];
    return expireAll(env, "slack", { accountIds: users.map((u) => `${event.team_id}:${u}`) }, {
      code: "revoked_by_provider",
      message: "Slack says TaskPilot's token was revoked; reconnect Slack to use it again.",
    });
  },
  app_uninstalled: async (env, payload) => {
    const event = read(SlackUninstalled, payload, "app_uninstalled");
    return expireAll(env, "slack", { accountPrefix: `${event.team_id}:` }, {
      code: "revoked_by_provider",
      message: "TaskPilot was uninstalled from the Slack workspace; reinstall and reconnect Slack to use it again.",
    });
  },
};

/** Runs the delivery's handler; an event type nobody handles is recorded and acknowledged. */
export async function handleDelivery(env: Env, delivery: WebhookDeliveryRow): Promise<Outcome> {
  let payload: unknown;
  try {
    payload = JSON.parse(delivery.payload);
  } catch {
    throw new Error("the stored payload is not JSON");
  }
  if (delivery.provider === "github") {
    const handler = GITHUB[delivery.eventType];
    return handler ? handler(env, payload, delivery) : `recorded: no handler for ${delivery.eventType}`;
  }
  const envelope = read(SlackEnvelope, payload, "the Slack event");
  const handler = envelope.type === "event_callback" && envelope.event ? SLACK_EVENTS[envelope.event.type] : undefined;
  return handler ? handler(env, payload, delivery) : `recorded: no handler for ${delivery.eventType}`;
}
