import { Hono } from "hono";
import { requireUser } from "../auth/middleware";
import type { AppBindings } from "../http/types";
import { toolsForUser } from "./live";
import { describeTool } from "./registry";

/** `GET /api/tools`: the tools this user may call now — the same list the agent gets on its next turn. */
export const tools = new Hono<AppBindings>().use("*", requireUser).get("/", async (c) => {
  const set = await toolsForUser(c.env, c.get("userId"));
  return c.json({ tools: set.tools.map(describeTool) });
});
