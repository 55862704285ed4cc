import { Hono } from "hono";
import { AppError, problem, renderError } from "./errors";
import type { Env } from "./env";
import { auth } from "./auth/routes";
import { me } from "./auth/me";
import { health } from "./health/routes";
import { integrations } from "./integrations/routes";
import { accessLog, corsForPublicUrl, limitBody, securityHeaders, withConfig, withRequestId } from "./http/middleware";
import type { AppBindings } from "./http/types";
import { openApiDocument } from "./openapi";
import { scheduled } from "./ops/cron";
import { eventsHistory, realtime } from "./realtime/routes";
import { dispatchQueue } from "./ops/queues";
import { tools } from "./tools/routes";
import { sessions } from "./agent/routes";
import { kb } from "./kb/routes";
import { templates } from "./templates/routes";
import { webhooks } from "./webhooks/routes";
import { admin } from "./admin/routes";
import { auditRefusals } from "./audit/middleware";
import { apps, projects, specs } from "./specs/routes";
import { authorize } from "./mcp/consent";
import { withMcp } from "./mcp/provider";
import { mcp } from "./mcp/routes";
import { metricsRoutes } from "./metrics/routes";
import { flushingMetrics } from "./metrics/instrument";

/**
 * The production entry (`[env.production]` in wrangler.toml). It never
 * imports worker/sandbox: the development entry, worker/dev/index.ts, adds the
 * sandbox providers to this same app, so a production bundle has no sandbox
 * code that a wrong variable could switch on.
 */
export const app = new Hono<AppBindings>();

app.use("*", withRequestId, accessLog, securityHeaders, withConfig, auditRefusals);
app.use("/api/*", corsForPublicUrl, limitBody);

app.route("/api/health", health);
app.route("/api/realtime", realtime);
app.route("/api/events", eventsHistory);
app.route("/api/auth", auth);
app.route("/api/me", me);
app.route("/api/integrations", integrations);
app.route("/api/tools", tools);
app.route("/api/sessions", sessions);
app.route("/api/kb", kb);
app.route("/api/templates", templates);
app.route("/api/projects", projects);
app.route("/api/specs", specs);
app.route("/api/apps", apps);
app.route("/api/mcp", mcp);
app.route("/api/admin", admin);
app.route("/api/metrics", metricsRoutes);
app.route("/authorize", authorize);
app.route("/webhooks", webhooks);
app.get("/api/openapi.json", openApiDocument(app));

app.all("/api/*", (c) => {
  throw new AppError(404, "not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`);
});
app.notFound((c) => problem(c, new AppError(404, "not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`)));
app.onError(renderError);

export default {
  // The MCP authorization server in front of the app: /mcp (with a token), /token, /register (POST) and the metadata are its.
  // What a request recorded goes to the metrics store once, after the response (worker/metrics/).
  fetch: flushingMetrics(withMcp({ fetch: (request, env, ctx) => app.fetch(request, env, ctx) })),
  queue: (batch, env, ctx) => dispatchQueue(batch, env, ctx),
  scheduled,
} satisfies ExportedHandler<Env>;

export { UserHub } from "./realtime/hub";
export { IntegrationFlight } from "./integrations/flight";
export { AgentSession } from "./agent/session";
export { MetricsStore } from "./metrics/store";
