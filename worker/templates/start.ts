import type { AgentSession } from "../agent/session";
import type { IntegrationStatus } from "../contract/integrations";
import type { PreviewResponse, Template, VariableValues } from "../contract/templates";
import type { Env } from "../env";
import { AppError } from "../errors";
import { PROVIDER_IDS } from "../integrations/providers";
import { toolsForUser } from "../tools/live";
import { composeCached, type LiveTools } from "./compose";

/** The user's live tool set as the generator keys and reads it: the same computation the agent's next turn makes. */
export async function liveToolsOf(env: Env, userId: string): Promise<LiveTools> {
  const set = await toolsForUser(env, userId);
  const status = new Map<string, IntegrationStatus>(PROVIDER_IDS.map((p) => [p, "active"]));
  for (const u of set.unavailable) status.set(u.provider, u.status);
  const integration = new Map(set.tools.map((t) => [t.name, t.source.integration]));
  return { tools: set.tools.map((t) => t.name), status, integrationOf: (name) => integration.get(name), revision: set.revision ?? "" };
}

export async function previewTemplate(env: Env, userId: string, template: Template, values: VariableValues): Promise<PreviewResponse> {
  return composeCached(template, values, await liveToolsOf(env, userId));
}

/**
 * A session linked to the template (its id is all the chat's URL holds),
 * seeded with the composed prompt. High confidence: the first turn is
 * running when this returns. Otherwise the prompt waits in the chat as a
 * draft, with what is missing listed.
 */
export async function startTemplate(
  env: Env,
  userId: string,
  template: Template,
  values: VariableValues,
  sessionId: string,
  session: DurableObjectStub<AgentSession>,
): Promise<{ sessionId: string; autoExecuted: boolean }> {
  const composed = await previewTemplate(env, userId, template, values);
  const autoExecuted = composed.confidence === "high";
  const outcome = await session.startFromTemplate(userId, sessionId, {
    templateId: template.id,
    title: template.title,
    instructions: composed.system,
    prompt: composed.prompt,
    draft: autoExecuted
      ? null
      : {
          templateId: template.id,
          prompt: composed.prompt,
          missingVariables: composed.missingVariables,
          missingIntegrations: composed.missingIntegrations,
          reasons: composed.reasons,
        },
  });
  if (!outcome.ok) throw new AppError(outcome.status, outcome.code, outcome.detail);
  return { sessionId, autoExecuted };
}
