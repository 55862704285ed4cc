import { OAuthProvider } from "@cloudflare/workers-oauth-provider";
import { getConfig } from "../config";
import type { Env } from "../env";
import { log } from "../http/log";
import { audit } from "../audit/audit";
import { mcpApiHandler } from "./handler";

/**
 * TaskPilot as the OAuth 2.1 authorization server of its own MCP endpoint
 * (`@cloudflare/workers-oauth-provider`, grants in the `OAUTH_KV`
 * namespace): authorization code with PKCE S256, dynamic client
 * registration (the library refuses redirect URIs a request could not
 * use: plain HTTP to another host, a private-use scheme alone), refresh
 * tokens, the RFC 8414 / RFC 9728 metadata, and tokens whose audience is this deployment's `/mcp`. Requests under `/mcp`
 * with a valid token reach `mcpApiHandler`; every other request reaches the
 * app unchanged (`defaultHandler`), which owns `/authorize` and reads the
 * helpers as `env.OAUTH_PROVIDER`.
 */

export const MCP_PATH = "/mcp";
export const MCP_SCOPE = "tools";
const ACCESS_TOKEN_TTL_SECONDS = 60 * 60;
const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;

const providers = new Map<string, OAuthProvider<Env>>();

/** One provider per origin (the token audience is `${PUBLIC_URL}/mcp`), built on first use in the isolate. */
export function mcpProvider(env: Env, defaultHandler: ExportedHandler<Env>): OAuthProvider<Env> {
  const origin = new URL(getConfig(env).publicUrl).origin;
  let provider = providers.get(origin);
  if (!provider) {
    provider = new OAuthProvider<Env>({
      apiRoute: MCP_PATH,
      apiHandler: mcpApiHandler as never,
      defaultHandler,
      authorizeEndpoint: "/authorize",
      tokenEndpoint: "/token",
      clientRegistrationEndpoint: "/register",
      scopesSupported: [MCP_SCOPE],
      accessTokenTTL: ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTTL: REFRESH_TOKEN_TTL_SECONDS,
      resourceMetadata: { resource: `${origin}${MCP_PATH}`, authorization_servers: [origin], resource_name: "TaskPilot" } as never,
      // Registration is anonymous (RFC 7591): recorded for operators, on no one's account.
      clientRegistrationCallback: async ({ clientMetadata, request }) => {
        const name = typeof clientMetadata.client_name === "string" ? clientMetadata.client_name : "unnamed";
        await audit(env, { action: "mcp.client_registered", actor: { type: "mcp_client" }, subjectUserId: null, from: { ip: request.headers.get("cf-connecting-ip"), userAgent: request.headers.get("user-agent") }, detail: { clientName: name } });
      },
      onError: ({ code, status, internal }) => void log(status >= 500 ? "error" : "info", "mcp_oauth_error", { code, status, internal: String(internal ?? "") }),
    });
    providers.set(origin, provider);
  }
  return provider;
}

/**
 * The worker's fetch: the MCP authorization server in front of the app.
 * `/register` is both the web app's sign-up page and OAuth dynamic client
 * registration (a POST): a GET or HEAD there is the page, served from the
 * built app as any other deep link is.
 */
export function withMcp(app: ExportedHandler<Env>) {
  return (request: Request, env: Env, ctx: ExecutionContext): Promise<Response> => {
    if ((request.method === "GET" || request.method === "HEAD") && new URL(request.url).pathname === "/register") return env.ASSETS.fetch(request);
    return mcpProvider(env, app).fetch(request, env, ctx);
  };
}
