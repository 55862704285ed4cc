import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { findUserById } from "../db/accounts";
import { database } from "../db/client";
import { recordMcpUse } from "../db/mcp";
import type { Env } from "../env";
import { mcpServer } from "./server";

/** What a grant carries (set by /api/mcp/consent when the person approves). */
export interface McpProps {
  userId: string;
}

interface McpContext extends ExecutionContext {
  props: McpProps;
  auth?: { clientId?: string };
}

/**
 * `/mcp` with a valid token (the provider checked signature, expiry,
 * revocation and audience): a stateless Streamable HTTP exchange with JSON
 * answers. An account deleted since the grant is refused like a revoked token.
 */
export const mcpApiHandler = {
  async fetch(request: Request, env: Env, ctx: McpContext): Promise<Response> {
    const userId = ctx.props?.userId;
    if (!userId || !(await findUserById(database(env), userId))) {
      return new Response(JSON.stringify({ error: "invalid_token", error_description: "The account this token was issued for no longer exists." }), {
        status: 401,
        headers: { "content-type": "application/json", "www-authenticate": 'Bearer error="invalid_token"' },
      });
    }
    if (ctx.auth?.clientId) ctx.waitUntil(recordMcpUse(database(env), userId, ctx.auth.clientId, Date.now()).catch(() => undefined));
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    const server = mcpServer(env, userId);
    await server.connect(transport);
    return transport.handleRequest(request);
  },
};
