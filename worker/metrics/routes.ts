import { Hono, type MiddlewareHandler } from "hono";
import { requireAdmin } from "../admin/routes";
import { bearerIsSecret, requireUser } from "../auth/middleware";
import { AppError } from "../errors";
import { log } from "../http/log";
import type { AppBindings } from "../http/types";
import { readAllShards } from "./record";
import { CONTENT_TYPE, renderMetrics, sumSamples } from "./render";

/**
 * A scraper with `Authorization: Bearer <METRICS_TOKEN>` (when the token is
 * configured), or a signed-in admin. Any other bearer is checked as an
 * access token: a wrong scrape token is 401 `invalid_token`, no credentials
 * 401 `unauthorized`, a signed-in non-admin 403 `admin_only`.
 */
const scraperOrAdmin: MiddlewareHandler<AppBindings> = async (c, next) => {
  if (await bearerIsSecret(c, c.get("config").metricsToken)) {
    await next();
    return;
  }
  await requireUser(c, async () => {
    await requireAdmin(c, next);
  });
};

/** `GET /api/metrics`: the Prometheus text exposition (format 0.0.4) of every registered metric, summed over the shards. */
export const metricsRoutes = new Hono<AppBindings>().get("/", scraperOrAdmin, async (c) => {
  let text: string;
  try {
    text = renderMetrics(sumSamples(await readAllShards(c.env)));
  } catch (e) {
    log("error", "metrics_read_failed", { requestId: c.get("requestId"), error: e instanceof Error ? e.message : String(e) });
    throw new AppError(503, "metrics_unavailable", "The metrics store could not be read; try the scrape again.");
  }
  return c.body(text, 200, { "content-type": CONTENT_TYPE, "cache-control": "no-store" });
});
