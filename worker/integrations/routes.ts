import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { requireUser } from "../auth/middleware";
import { INTEGRATION_AUTH_PER_USER, INTEGRATION_REFRESH_PER_USER, limitPerUser } from "../auth/rate-limit";
import { StartAuthBody } from "../contract/integrations";
import { database } from "../db/client";
import { findIntegration, listIntegrationEvents, listIntegrationRows } from "../db/integrations";
import { AppError } from "../errors";
import type { AppBindings } from "../http/types";
import { jsonBody, queryParams } from "../http/validate";
import { browserNonceFor, clearBrowserCookie, presentedBrowserNonce, setBrowserCookie } from "./browser-cookie";
import { completeCallback, startAuthorization } from "./connect";
import { disconnectIntegration } from "./disconnect";
import { forceRefresh } from "./refresh";
import { isProviderId, PROVIDER_IDS, type ProviderId } from "./providers";
import { toIntegration, toIntegrationEvent } from "./view";
import "./cron";

type ProviderBindings = AppBindings & { Variables: AppBindings["Variables"] & { provider: ProviderId; requestedAt: number } };

/** `{provider}` must be one of the four; anything else is 404 `unknown_provider`, before any work. */
const knownProvider: MiddlewareHandler<ProviderBindings> = async (c, next) => {
  const name = c.req.param("provider") ?? "";
  if (!isProviderId(name)) {
    throw new AppError(404, "unknown_provider", `Unknown provider "${name.slice(0, 40)}". Use one of: ${PROVIDER_IDS.join(", ")}.`);
  }
  c.set("provider", name);
  await next();
};

/**
 * A repeated or oversized callback parameter is treated as absent, so that
 * it ends in the same redirect-with-error as a missing one instead of a
 * JSON error page the user's browser would be stranded on.
 */
const single = (max: number) =>
  z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (typeof v === "string" && v.length <= max ? v : undefined));

const CallbackParams = z.object({
  code: single(2048),
  state: single(512),
  error: single(256),
  error_description: single(2048),
});

export const integrations = new Hono<ProviderBindings>()
  // The browser arrives here by the provider's redirect, without our bearer token: the state names the user,
  // and the binding cookie proves it is the browser that asked for the authorization URL.
  .get("/:provider/callback", knownProvider, queryParams(CallbackParams), async (c) => {
    const { location, browserCookie } = await completeCallback(c.env, c.get("config"), c.get("provider"), c.req.valid("query"), presentedBrowserNonce(c));
    if (browserCookie === "clear") clearBrowserCookie(c);
    c.header("Cache-Control", "no-store");
    c.header("Referrer-Policy", "no-referrer");
    return c.redirect(location, 302);
  })
  // When the request arrived, before authentication: a refresh that starts while it is being checked still answers it (refresh.ts).
  .use("/:provider/refresh", async (c, next) => {
    c.set("requestedAt", Date.now());
    await next();
  })
  .use("*", requireUser)
  .get("/", async (c) => {
    const rows = await listIntegrationRows(database(c.env), c.get("userId"));
    return c.json({ integrations: PROVIDER_IDS.map((p) => toIntegration(p, rows.find((r) => r.provider === p))) });
  })
  .use("/:provider/*", knownProvider)
  .use("/:provider/auth", limitPerUser(INTEGRATION_AUTH_PER_USER))
  .use("/:provider/refresh", limitPerUser(INTEGRATION_REFRESH_PER_USER))
  .get("/:provider/status", async (c) => {
    const provider = c.get("provider");
    return c.json(toIntegration(provider, await findIntegration(database(c.env), c.get("userId"), provider)));
  })
  .post("/:provider/auth", jsonBody(StartAuthBody), async (c) => {
    const nonce = browserNonceFor(c);
    const url = await startAuthorization(c.env, c.get("config"), c.get("userId"), c.get("provider"), c.req.valid("json").returnTo, nonce);
    setBrowserCookie(c, nonce);
    c.header("Cache-Control", "no-store");
    return c.json({ authorizationUrl: url });
  })
  .post("/:provider/disconnect", async (c) => {
    return c.json(await disconnectIntegration(c.env, c.get("config"), c.get("userId"), c.get("provider")));
  })
  .post("/:provider/refresh", async (c) => {
    const provider = c.get("provider");
    await forceRefresh(c.env, c.get("userId"), provider, c.get("requestedAt"));
    return c.json(toIntegration(provider, await findIntegration(database(c.env), c.get("userId"), provider)));
  })
  .get("/:provider/events", async (c) => {
    const rows = await listIntegrationEvents(database(c.env), c.get("userId"), c.get("provider"));
    return c.json({ events: rows.map(toIntegrationEvent) });
  });
