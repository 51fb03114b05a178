/**
 * Key/value settings (schedule, last run, ...), stored in the `settings` table.
 */
import type { Db } from "./client.ts";
import { InvalidInput } from "../lib/errors.ts";

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

/** Settings that take effect while running, without a restart. */
export interface RuntimeSettings {
  /** Least time between two requests to Garmin, in ms (GARMINSYNC_REQUEST_DELAY_MS until one is saved). */
  requestDelayMs(): number;
  /** Validates (0-600000), saves and applies at once. */
  setRequestDelayMs(ms: number): Promise<void>;
}

const REQUEST_DELAY_KEY = "request_delay_ms";

/** Reads the stored runtime settings (falling back to the configuration) and returns their live view. */
export async function loadRuntimeSettings(db: Db, defaults: { requestDelayMs: number }): Promise<RuntimeSettings> {
  const stored = Number(await getSetting(db, REQUEST_DELAY_KEY));
  let delay = Number.isInteger(stored) && stored >= 0 ? stored : defaults.requestDelayMs;
  return {
    requestDelayMs: () => delay,
    async setRequestDelayMs(ms) {
      if (!Number.isInteger(ms) || ms < 0 || ms > 600_000) {
        throw new InvalidInput("request_delay_ms must be a whole number of milliseconds from 0 to 600000");
      }
      await setSettings(db, { [REQUEST_DELAY_KEY]: String(ms) });
      delay = ms;
    },
  };
}
