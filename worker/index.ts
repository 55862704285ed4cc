import { Hono } from "hono";
import { AppError, problem, renderError } from "./errors";
import type { Env } from "./env";
import { auth } from "./auth/routes";
import { me } from "./auth/me";
import { health } from "./health/routes";
import { integrations } from "./integrations/routes";
import { accessLog, corsForPublicUrl, limitBody, securityHeaders, withConfig, withRequestId } from "./http/middleware";
import type { AppBindings } from "./http/types";
import { runScheduled } from "./ops/cron";
import { openApiDocument } from "./openapi";
import { eventsHistory, realtime } from "./realtime/routes";
import { dispatchQueue } from "./ops/queues";
import { sandbox } from "./sandbox";
import { tools } from "./tools/routes";

const app = new Hono<AppBindings>();

app.use("*", withRequestId, accessLog, securityHeaders, withConfig);
app.use("/api/*", corsForPublicUrl, limitBody);

app.route("/api/health", health);
app.route("/api/realtime", realtime);
app.route("/api/events", eventsHistory);
app.route("/api/auth", auth);
app.route("/api/me", me);
app.route("/api/integrations", integrations);
app.route("/api/tools", tools);
app.get("/api/openapi.json", openApiDocument(app));

app.route("/sandbox", sandbox);

app.all("/api/*", (c) => {
  throw new AppError(404, "not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`);
});
app.notFound((c) => problem(c, new AppError(404, "not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`)));
app.onError(renderError);

export default {
  fetch: app.fetch,
  queue: (batch, env, ctx) => dispatchQueue(batch, env, ctx),
  scheduled: (_controller, env, ctx) => ctx.waitUntil(runScheduled(env)),
} satisfies ExportedHandler<Env>;

export { UserHub } from "./realtime/hub";
export { AgentSession } from "./agent/session";
