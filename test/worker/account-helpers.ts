import { env } from "cloudflare:test";
import { api } from "./integrations-helpers";

export interface UserColumn {
  table: string;
  column: string;
  onDelete: string;
}

/** Every column of every table that references `users` (and `users.id` itself), read from the live schema, not a list that can go stale. */
export async function userColumns(): Promise<UserColumn[]> {
  const tables = await env.DB.prepare(
    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'",
  ).all<{ name: string }>();
  const columns: UserColumn[] = [{ table: "users", column: "id", onDelete: "-" }];
  for (const { name } of tables.results) {
    const keys = await env.DB.prepare(`PRAGMA foreign_key_list("${name}")`).all<{ table: string; from: string; on_delete: string }>();
    for (const key of keys.results) if (key.table === "users") columns.push({ table: name, column: key.from, onDelete: key.on_delete });
  }
  return columns;
}

/** `table.column` → how many rows hold this user id. */
export async function rowCounts(userId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const { table, column } of await userColumns()) {
    const row = await env.DB.prepare(`SELECT count(*) AS n FROM "${table}" WHERE "${column}" = ?`).bind(userId).first<{ n: number }>();
    counts[`${table}.${column}`] = row?.n ?? 0;
  }
  return counts;
}

export function deleteAccount(token: string, body: unknown): Promise<Response> {
  return api(token, "DELETE", "/api/me", body);
}

export function exportAccount(token: string): Promise<Response> {
  return api(token, "GET", "/api/me/export");
}
