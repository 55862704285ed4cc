import { Hono } from "hono";
import { findUserById } from "../db/accounts";
import { database } from "../db/client";
import { AppError } from "../errors";
import type { AppBindings } from "../http/types";
import { requireUser } from "./middleware";
import { publicUser } from "./session";

/** `/api/me`: the signed-in user's own account. */
export const me = new Hono<AppBindings>().use("*", requireUser).get("/", async (c) => {
  const user = await findUserById(database(c.env), c.get("userId"));
  // A valid token for a deleted account: answer like a bad token so the client signs out.
  if (!user) throw new AppError(401, "invalid_token", "The access token is not valid.");
  return c.json({ user: publicUser(user) });
});
