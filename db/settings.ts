/**
 * Key/value settings (schedule, last run, ...), stored in the `settings` table.
 */
import type { Db } from "./client.ts";

/** Returns the stored value of `key`, or undefined. */
export async function getSetting(db: Db, key: string): Promise<string | undefined> {
  const r = await db.execute({ sql: "SELECT value FROM settings WHERE key = ?", args: [key] });
  return r.rows.length ? String(r.rows[0].value) : undefined;
}

/** Stores several settings in one transaction. */
export async function setSettings(db: Db, values: Record<string, string>, now = new Date()): Promise<void> {
  await db.batch(
    Object.entries(values).map(([key, value]) => ({
      sql:
        "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
      args: [key, value, now.toISOString()],
    })),
    "write",
  );
}
