import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ListResourcesRequestSchema, ListToolsRequestSchema, ReadResourceRequestSchema, McpError, ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { getConfig } from "../config";
import { database } from "../db/client";
import { findKbDocument, listKbDocuments, readKbText } from "../db/kb";
import type { Env } from "../env";
import { defaultRuntime, type ToolRuntime } from "../tools/http";
import { liveToolContext, toolsForUser } from "../tools/live";
import { toolMenu } from "../tools/meta";

/**
 * One MCP server per request (stateless Streamable HTTP), for one user: the
 * same live tool set the agent gets at this moment (the same registry,
 * schemas, meta tools past the threshold, retries and refresh), and the
 * user's indexed knowledge-base documents as resources.
 */

export const KB_RESOURCE_PREFIX = "taskpilot://kb/";

export function mcpServer(env: Env, userId: string, runtime: ToolRuntime = defaultRuntime()): Server {
  const server = new Server(
    { name: "taskpilot", title: "TaskPilot", version: "1.0.0" },
    {
      // Stateless: no stream stays open to push `tools/list_changed` on; a client sees a change at its next tools/list.
      capabilities: { tools: { listChanged: false }, resources: {} },
      // The SDK's default validator (Ajv) compiles schemas with `new Function`, which Workers forbid.
      jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
      instructions:
        "Tools act on the Gmail, Google Calendar, Slack and GitHub accounts the person connected in TaskPilot, and on their knowledge base; a tool error names the integration to reconnect when that is what it needs.",
    },
  );
  const menu = async () => toolMenu(await toolsForUser(env, userId), getConfig(env).agentMetaToolsThreshold);

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: (await menu()).tools.map((t) => ({ name: t.name, description: t.description, inputSchema: { type: "object" as const, ...t.parameters } })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const outcome = await (await menu()).call(request.params.name, request.params.arguments ?? {}, liveToolContext(env, userId, runtime));
    if (outcome.ok) {
      return { content: [{ type: "text" as const, text: JSON.stringify(outcome.result) }], structuredContent: outcome.result as Record<string, unknown> };
    }
    // A refusal is the tool's answer, not a protocol failure: the client's model reads the provider's words and what to do.
    return { isError: true, content: [{ type: "text" as const, text: outcome.error.message }], structuredContent: { error: outcome.error } };
  });

  server.setRequestHandler(ListResourcesRequestSchema, async () => {
    const docs = await listKbDocuments(database(env), userId);
    return {
      resources: docs
        .filter((d) => d.status === "indexed")
        .map((d) => ({ uri: `${KB_RESOURCE_PREFIX}${d.id}`, name: d.title, title: d.title, mimeType: "text/plain", description: "A document of the TaskPilot knowledge base" })),
    };
  });

  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const uri = request.params.uri;
    const id = uri.startsWith(KB_RESOURCE_PREFIX) ? uri.slice(KB_RESOURCE_PREFIX.length) : "";
    const doc = id && id.length <= 64 ? await findKbDocument(database(env), userId, id) : undefined;
    if (!doc || doc.status !== "indexed") throw new McpError(ErrorCode.InvalidParams, `No knowledge-base document at ${uri.slice(0, 200)}.`);
    return { contents: [{ uri, mimeType: "text/plain", text: await readKbText(database(env), doc.id) }] };
  });

  return server;
}
