import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import type { Env } from "../env";
import * as schema from "./schema";

export type Database = DrizzleD1Database<typeof schema>;

const handles = new WeakMap<D1Database, Database>();

/**
 * The one drizzle handle over D1; every query of the worker goes through it.
 * Built once per D1 binding (so once per isolate, not once per call): the
 * handle keeps no per-request state, only the binding and the schema.
 */
export function database(env: Pick<Env, "DB">): Database {
  let db = handles.get(env.DB);
  if (!db) {
    db = drizzle(env.DB, { schema });
    handles.set(env.DB, db);
  }
  return db;
}

export { schema };
