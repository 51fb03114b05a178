/**
 * Health sync: per calendar day the daily summary and sleep, plus weight for the whole range in one call, stored
 * with Garmin's raw JSON. The first run backfills from `since` (default: the last 30 days); later runs start at the
 * last complete day minus 2 days, because today's and yesterday's numbers still change after a watch syncs, and
 * also fetch any earlier day that is missing or incomplete (a failed day, an interrupted backfill).
 */
import type { Db } from "../db/client.ts";
import type { Logger } from "../lib/log.ts";
import type { GarminApi } from "./garmin/types.ts";
import type { ProgressReporter } from "./job_types.ts";
import { healthBounds, healthCoverage, type HealthDayInput, upsertHealthDay } from "../db/health.ts";
import { GarminRateLimited, GarminUnavailable, InvalidInput, NotAuthenticated, StorageError } from "../lib/errors.ts";

/** What the health sync needs. */
export interface HealthSyncContext {
  db: Db;
  api: GarminApi;
  log: Logger;
  clock?: () => Date;
}

/** How a health sync went. */
export interface HealthSyncResult {
  from: string;
  to: string;
  days: number;
  /** Of `days`, earlier ones fetched again because they were missing or incomplete. */
  holes: number;
  stored: number;
  failed: number;
  errors: { date: string; error: string }[];
  /** Why the weight call failed (stored weights were kept), or null. */
  weight_error: string | null;
}

/** Days re-fetched before the last complete one (its numbers and the next day's can still change). */
export const HEALTH_OVERLAP_DAYS = 2;
/** Days the first run backfills when no `since` is given (ending today). */
export const HEALTH_DEFAULT_DAYS = 30;
// Garmin's weight dateRange answers at most about a year per call.
const WEIGHT_CHUNK_DAYS = 365;
const MAX_UNAVAILABLE_IN_A_ROW = 3;

type Json = Record<string, unknown>;

function why(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The local calendar date of `d` as YYYY-MM-DD. */
export function localDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** `date` (YYYY-MM-DD) moved by `days`. */
export function addDays(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

function validDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const t = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
}

/** How far back (in days, today included) a run looks for stored days that are missing or incomplete. */
export const HEALTH_HOLE_LOOKBACK_DAYS = 366;

/** The days one health run fetches: `days` oldest first, from `from` to `to` (today); `holes` of them fill gaps. */
export interface HealthPlan {
  from: string;
  to: string;
  days: string[];
  holes: number;
}

function dayRange(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

/**
 * The days a run fetches. With `since`: every day from it to today. Without: the last complete day − 2 through
 * today (those numbers still change), plus every earlier day since the oldest stored one (at most
 * HEALTH_HOLE_LOOKBACK_DAYS back) that is missing or was stored before it was over: a day that failed once or an
 * interrupted `--since` backfill is fetched again on the next run instead of staying a hole. With nothing stored:
 * the last 30 days.
 */
export async function healthRange(db: Db, today: string, since?: string): Promise<HealthPlan> {
  if (since !== undefined) {
    if (!validDate(since)) {
      throw new InvalidInput(`since (--since) must be a date like 2024-01-31, not ${JSON.stringify(since)}`);
    }
    if (since > today) throw new InvalidInput(`since (--since) ${since} is in the future (today is ${today})`);
    return { from: since, to: today, days: dayRange(since, today), holes: 0 };
  }
  const b = await healthBounds(db);
  const anchor = b.last_complete ?? b.last_stored;
  if (!anchor) {
    const from = addDays(today, -(HEALTH_DEFAULT_DAYS - 1));
    return { from, to: today, days: dayRange(from, today), holes: 0 };
  }
  let overlap = addDays(anchor, -HEALTH_OVERLAP_DAYS);
  if (overlap > today) overlap = today;
  const holes: string[] = [];
  const windowStart = addDays(today, -(HEALTH_HOLE_LOOKBACK_DAYS - 1));
  if (windowStart < overlap) {
    const before = addDays(overlap, -1);
    const cov = await healthCoverage(db, windowStart, before);
    const start = cov.first_stored && cov.first_stored > windowStart ? cov.first_stored : windowStart;
    for (let d = start; d <= before; d = addDays(d, 1)) if (!cov.complete.has(d)) holes.push(d);
  }
  const days = [...holes, ...dayRange(overlap, today)];
  return { from: days[0], to: today, days, holes: holes.length };
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

// Garmin reports "no stress data" as -1/-2.
function stress(v: unknown): number | null {
  const n = num(v);
  return n === null || n < 0 ? null : n;
}

function summaryColumns(s: Json | null) {
  const cols = {
    steps: num(s?.totalSteps),
    step_goal: num(s?.dailyStepGoal),
    distance_m: num(s?.totalDistanceMeters),
    total_kcal: num(s?.totalKilocalories),
    active_kcal: num(s?.activeKilocalories),
    resting_hr: num(s?.restingHeartRate),
    min_hr: num(s?.minHeartRate),
    max_hr: num(s?.maxHeartRate),
    avg_stress: stress(s?.averageStressLevel),
    max_stress: stress(s?.maxStressLevel),
    body_battery_high: num(s?.bodyBatteryHighestValue),
    body_battery_low: num(s?.bodyBatteryLowestValue),
    body_battery_charged: num(s?.bodyBatteryChargedValue),
    body_battery_drained: num(s?.bodyBatteryDrainedValue),
  };
  // A goal alone (Garmin sends one for days without data) does not make a summary.
  const has = Object.entries(cols).some(([k, v]) => k !== "step_goal" && v !== null);
  return { cols, has };
}

function sleepColumns(s: Json | null) {
  const dto = (s?.dailySleepDTO ?? null) as Json | null;
  const scores = (dto?.sleepScores ?? null) as { overall?: { value?: unknown } } | null;
  const cols = {
    sleep_seconds: num(dto?.sleepTimeSeconds),
    deep_sleep_seconds: num(dto?.deepSleepSeconds),
    light_sleep_seconds: num(dto?.lightSleepSeconds),
    rem_sleep_seconds: num(dto?.remSleepSeconds),
    awake_sleep_seconds: num(dto?.awakeSleepSeconds),
    sleep_score: num(scores?.overall?.value),
  };
  return { cols, has: cols.sleep_seconds !== null };
}

/** Weigh-ins grouped by calendar day (the latest of a day gives its numbers). */
function weightsByDay(resp: Json | null): Map<string, Json[]> {
  const out = new Map<string, Json[]>();
  const list = Array.isArray(resp?.dateWeightList) ? resp.dateWeightList as Json[] : [];
  for (const w of list) {
    if (!w || typeof w !== "object") continue;
    let day = typeof w.calendarDate === "string" ? w.calendarDate : null;
    if (!day && typeof w.date === "number") day = new Date(w.date).toISOString().slice(0, 10);
    if (!day) continue;
    const arr = out.get(day) ?? [];
    arr.push(w);
    out.set(day, arr);
  }
  return out;
}

function weightColumns(entries: Json[] | undefined) {
  if (!entries?.length) return { cols: { weight_g: null, bmi: null, body_fat: null }, has: false, json: null };
  const when = (w: Json) => num(w.timestampGMT) ?? num(w.date) ?? 0;
  const latest = entries.reduce((a, b) => (when(b) >= when(a) ? b : a));
  const cols = { weight_g: num(latest.weight), bmi: num(latest.bmi), body_fat: num(latest.bodyFat) };
  return { cols, has: cols.weight_g !== null, json: JSON.stringify(entries) };
}

function fatal(e: unknown): boolean {
  return e instanceof NotAuthenticated || e instanceof GarminRateLimited || e instanceof StorageError;
}

/**
 * Fetches and stores the health days of the range (see `healthRange`), one progress step per day (moved by each of
 * its requests). A day that fails
 * keeps what was stored for it and is reported; errors every further call would hit too stop the run.
 */
export async function syncHealth(
  ctx: HealthSyncContext,
  reporter: ProgressReporter,
  options: { since?: string } = {},
): Promise<HealthSyncResult> {
  const clock = ctx.clock ?? (() => new Date());
  const signal = reporter.signal;
  const { from, to, days, holes } = await healthRange(ctx.db, localDate(clock()), options.since);
  const result: HealthSyncResult = {
    from,
    to,
    days: days.length,
    holes,
    stored: 0,
    failed: 0,
    errors: [],
    weight_error: null,
  };
  reporter.setTotal(days.length);
  reporter.detail(`health ${from} .. ${to}: weight`);

  // Progress moves with every request: the weight call(s) and the first day's two requests share the first step,
  // each later day's summary is half a step and its sleep finishes it.
  const chunks: [string, string][] = [];
  for (let a = from; a <= to; a = addDays(a, WEIGHT_CHUNK_DAYS)) {
    chunks.push([a, addDays(a, WEIGHT_CHUNK_DAYS - 1) < to ? addDays(a, WEIGHT_CHUNK_DAYS - 1) : to]);
  }
  const firstDayRequests = chunks.length + 2;

  // Weight: one call for the range (chunked only past a year). If it fails, stored weights are kept.
  let weights: Map<string, Json[]> | null = new Map();
  try {
    for (const [i, [a, b]] of chunks.entries()) {
      for (const [day, list] of weightsByDay(await ctx.api.weightRange(a, b, signal))) weights.set(day, list);
      reporter.partial?.((i + 1) / firstDayRequests);
    }
  } catch (e) {
    if (signal.aborted) return result;
    if (fatal(e)) throw e;
    weights = null;
    const message = ctx.log.redact(why(e));
    result.weight_error = message;
    ctx.log.warn(`weight for ${from}..${to} could not be fetched (stored weights kept): ${message}`);
  }

  let unavailableInARow = 0;
  for (const [i, date] of days.entries()) {
    if (signal.aborted) break;
    try {
      const summary = await ctx.api.dailySummary(date, signal);
      reporter.partial?.(i === 0 ? (firstDayRequests - 1) / firstDayRequests : 0.5, `health ${date}: sleep`);
      const sleep = await ctx.api.sleep(date, signal);
      const s = summaryColumns(summary);
      const z = sleepColumns(sleep);
      const w = weightColumns(weights?.get(date));
      const row: HealthDayInput = {
        calendar_date: date,
        ...s.cols,
        ...z.cols,
        ...w.cols,
        has_summary: s.has,
        has_sleep: z.has,
        has_weight: w.has,
        // Fetched after the day ended (local time): from now on it only changes when a late watch sync lands,
        // which the overlap re-fetch covers.
        complete: date < localDate(clock()),
        summary_json: summary ? JSON.stringify(summary) : null,
        sleep_json: sleep ? JSON.stringify(sleep) : null,
        weight_json: w.json,
      };
      await upsertHealthDay(ctx.db, row, clock(), { keepWeight: weights === null });
      result.stored++;
      unavailableInARow = 0;
      reporter.advance(1, `health ${date}`);
    } catch (e) {
      if (signal.aborted) break;
      if (fatal(e)) throw e;
      const message = ctx.log.redact(why(e));
      result.failed++;
      result.errors.push({ date, error: message });
      ctx.log.warn(`health for ${date} could not be fetched (stored data kept): ${message}`);
      reporter.advance(1, `health ${date} failed: ${message}`);
      if (e instanceof GarminUnavailable) {
        if (++unavailableInARow >= MAX_UNAVAILABLE_IN_A_ROW) {
          throw new GarminUnavailable(
            `${unavailableInARow} days in a row failed because Garmin Connect is unavailable (${message}); ` +
              `stopped the run: try again later`,
          );
        }
      } else unavailableInARow = 0;
    }
  }
  return result;
}
