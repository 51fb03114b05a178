/**
 * Daily health rows (one per calendar day): what the health sync writes and the API/dashboard read.
 */
import type { Db } from "./client.ts";

/** One stored day (raw JSON not included). */
export interface HealthDayRow {
  calendar_date: string;
  steps: number | null;
  step_goal: number | null;
  distance_m: number | null;
  total_kcal: number | null;
  active_kcal: number | null;
  resting_hr: number | null;
  min_hr: number | null;
  max_hr: number | null;
  avg_stress: number | null;
  max_stress: number | null;
  body_battery_high: number | null;
  body_battery_low: number | null;
  body_battery_charged: number | null;
  body_battery_drained: number | null;
  sleep_seconds: number | null;
  deep_sleep_seconds: number | null;
  light_sleep_seconds: number | null;
  rem_sleep_seconds: number | null;
  awake_sleep_seconds: number | null;
  sleep_score: number | null;
  weight_g: number | null;
  bmi: number | null;
  body_fat: number | null;
  has_summary: boolean;
  has_sleep: boolean;
  has_weight: boolean;
  complete: boolean;
  fetched_at: string;
}

/** The numeric columns, in table order. */
export const HEALTH_NUMBER_COLUMNS = [
  "steps",
  "step_goal",
  "distance_m",
  "total_kcal",
  "active_kcal",
  "resting_hr",
  "min_hr",
  "max_hr",
  "avg_stress",
  "max_stress",
  "body_battery_high",
  "body_battery_low",
  "body_battery_charged",
  "body_battery_drained",
  "sleep_seconds",
  "deep_sleep_seconds",
  "light_sleep_seconds",
  "rem_sleep_seconds",
  "awake_sleep_seconds",
  "sleep_score",
  "weight_g",
  "bmi",
  "body_fat",
] as const;

const WEIGHT_COLUMNS = ["weight_g", "bmi", "body_fat", "has_weight", "weight_json"];

type NumberColumn = typeof HEALTH_NUMBER_COLUMNS[number];

/** What the health sync stores for one day. */
export type HealthDayInput =
  & { calendar_date: string }
  & Record<NumberColumn, number | null>
  & {
    has_summary: boolean;
    has_sleep: boolean;
    has_weight: boolean;
    complete: boolean;
    summary_json: string | null;
    sleep_json: string | null;
    weight_json: string | null;
  };

function toRow(r: Record<string, unknown>): HealthDayRow {
  const out: Record<string, unknown> = { calendar_date: String(r.calendar_date) };
  for (const c of HEALTH_NUMBER_COLUMNS) out[c] = r[c] === null || r[c] === undefined ? null : Number(r[c]);
  out.has_summary = Number(r.has_summary) === 1;
  out.has_sleep = Number(r.has_sleep) === 1;
  out.has_weight = Number(r.has_weight) === 1;
  out.complete = Number(r.complete) === 1;
  out.fetched_at = String(r.fetched_at);
  return out as unknown as HealthDayRow;
}

/** Stored days from `from` to `to` (inclusive, YYYY-MM-DD), oldest first. */
export async function listHealthDays(db: Db, from: string, to: string): Promise<HealthDayRow[]> {
  const r = await db.execute({
    sql: `SELECT calendar_date, ${HEALTH_NUMBER_COLUMNS.join(", ")}, has_summary, has_sleep, has_weight, complete, ` +
      "fetched_at FROM health_days WHERE calendar_date >= ? AND calendar_date <= ? ORDER BY calendar_date",
    args: [from, to],
  });
  return r.rows.map((row) => toRow(row as Record<string, unknown>));
}

/**
 * Writes one day, replacing what was stored for it; with `keepWeight` a stored day keeps its weight columns
 * (the weight call failed, so the new row knows nothing about weight).
 */
export async function upsertHealthDay(
  db: Db,
  d: HealthDayInput,
  now = new Date(),
  options: { keepWeight?: boolean } = {},
): Promise<void> {
  const cols = [
    "calendar_date",
    ...HEALTH_NUMBER_COLUMNS,
    "has_summary",
    "has_sleep",
    "has_weight",
    "complete",
    "summary_json",
    "sleep_json",
    "weight_json",
    "fetched_at",
  ];
  const args = [
    d.calendar_date,
    ...HEALTH_NUMBER_COLUMNS.map((c) => d[c]),
    d.has_summary ? 1 : 0,
    d.has_sleep ? 1 : 0,
    d.has_weight ? 1 : 0,
    d.complete ? 1 : 0,
    d.summary_json,
    d.sleep_json,
    d.weight_json,
    now.toISOString(),
  ];
  await db.execute({
    sql: `INSERT INTO health_days (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")}) ` +
      `ON CONFLICT(calendar_date) DO UPDATE SET ${
        cols.slice(1).filter((c) => !(options.keepWeight && WEIGHT_COLUMNS.includes(c)))
          .map((c) => `${c} = excluded.${c}`).join(", ")
      }`,
    args,
  });
}

/** The latest day fetched after it was over, and the latest day stored at all (null when none). */
export async function healthBounds(db: Db): Promise<{ last_complete: string | null; last_stored: string | null }> {
  const r = await db.execute(
    "SELECT (SELECT MAX(calendar_date) FROM health_days WHERE complete = 1) AS c, " +
      "(SELECT MAX(calendar_date) FROM health_days) AS s",
  );
  const row = r.rows[0];
  return {
    last_complete: row.c === null ? null : String(row.c),
    last_stored: row.s === null ? null : String(row.s),
  };
}

/**
 * The oldest stored day (null when none) and which days from `from` to `to` (inclusive) are stored complete
 * (fetched after they were over): the health sync re-fetches every other day of that window.
 */
export async function healthCoverage(
  db: Db,
  from: string,
  to: string,
): Promise<{ first_stored: string | null; complete: Set<string> }> {
  const [first, days] = await db.batch([
    "SELECT MIN(calendar_date) AS d FROM health_days",
    {
      sql: "SELECT calendar_date FROM health_days WHERE calendar_date >= ? AND calendar_date <= ? AND complete = 1",
      args: [from, to],
    },
  ], "read");
  const d = first.rows[0]?.d;
  return {
    first_stored: d === null || d === undefined ? null : String(d),
    complete: new Set(days.rows.map((r) => String(r.calendar_date))),
  };
}
