/**
 * Workouts sync: page the workout list, store each summary, and fetch a workout's detail only when it is new or
 * Garmin's `updatedDate` (or `updateDate`) changed since the stored one. Nothing else is re-fetched.
 */
import type { Db } from "../db/client.ts";
import type { Logger } from "../lib/log.ts";
import type { GarminApi, GarminWorkoutSummary } from "./garmin/types.ts";
import type { ProgressReporter } from "./job_types.ts";
import { listingFraction } from "./jobs.ts";
import { upsertWorkouts, type WorkoutInput, workoutVersions } from "../db/workouts.ts";
import {
  GarminBadResponse,
  GarminRateLimited,
  GarminUnavailable,
  NotAuthenticated,
  StorageError,
} from "../lib/errors.ts";

/** What the workouts sync needs. */
export interface WorkoutSyncContext {
  db: Db;
  api: GarminApi;
  log: Logger;
  clock?: () => Date;
}

/** How a workouts sync went. */
export interface WorkoutSyncResult {
  listed: number;
  pages: number;
  new: number;
  updated: number;
  failed: number;
  errors: { workout_id: number; error: string }[];
}

/** Workouts per list call. */
export const WORKOUT_PAGE_SIZE = 100;
const MAX_UNAVAILABLE_IN_A_ROW = 3;

type Json = Record<string, unknown>;

function why(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function str(v: unknown): string | null {
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : null;
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function versionOf(w: Json): string | null {
  return str(w.updatedDate) ?? str(w.updateDate);
}

function toInput(summary: GarminWorkoutSummary, detail: Json | null): WorkoutInput {
  const src: Json = { ...summary, ...(detail ?? {}) };
  const sport = (src.sportType ?? null) as { sportTypeKey?: unknown } | null;
  return {
    workout_id: summary.workoutId,
    name: str(src.workoutName),
    sport_type: str(sport?.sportTypeKey),
    description: str(src.description),
    created_date: str(src.createdDate),
    updated_date: versionOf(summary),
    estimated_duration_s: num(src.estimatedDurationInSecs),
    estimated_distance_m: num(src.estimatedDistanceInMeters),
    summary_json: JSON.stringify(summary),
    detail_json: detail ? JSON.stringify(detail) : null,
  };
}

function fatal(e: unknown): boolean {
  return e instanceof NotAuthenticated || e instanceof GarminRateLimited || e instanceof StorageError;
}

/**
 * Lists every workout and fetches the details that are new or changed; every list page moves progress within the
 * listing's share, then one step per detail fetched.
 */
export async function syncWorkouts(ctx: WorkoutSyncContext, reporter: ProgressReporter): Promise<WorkoutSyncResult> {
  const clock = ctx.clock ?? (() => new Date());
  const signal = reporter.signal;
  const listed: GarminWorkoutSummary[] = [];
  const seen = new Set<number>();
  let pages = 0;
  for (let start = 0;; start += WORKOUT_PAGE_SIZE) {
    signal.throwIfAborted();
    const page = await ctx.api.listWorkouts(start, WORKOUT_PAGE_SIZE, signal);
    pages++;
    if (!Array.isArray(page)) throw new GarminBadResponse("Garmin's workout list is not a list; try again later");
    for (const w of page) {
      if (!w || !Number.isSafeInteger(w.workoutId) || seen.has(w.workoutId)) continue;
      seen.add(w.workoutId);
      listed.push(w);
    }
    reporter.partial?.(listingFraction(pages), `listing workouts: ${listed.length} so far`);
    if (page.length < WORKOUT_PAGE_SIZE) break;
  }

  const stored = await workoutVersions(ctx.db);
  const unchanged: WorkoutInput[] = [];
  const toFetch: GarminWorkoutSummary[] = [];
  for (const w of listed) {
    const old = stored.get(w.workoutId);
    if (old && old.has_detail && old.updated_date === versionOf(w)) unchanged.push(toInput(w, null));
    else toFetch.push(w);
  }
  // Unchanged ones: the summary is refreshed (it came with the list), the stored detail kept.
  await upsertWorkouts(ctx.db, unchanged, clock());

  const result: WorkoutSyncResult = { listed: listed.length, pages, new: 0, updated: 0, failed: 0, errors: [] };
  reporter.setTotal(toFetch.length);
  let unavailableInARow = 0;
  for (const w of toFetch) {
    if (signal.aborted) break;
    try {
      const detail = await ctx.api.workout(w.workoutId, signal);
      await upsertWorkouts(ctx.db, [toInput(w, detail)], clock());
      if (stored.has(w.workoutId)) result.updated++;
      else result.new++;
      unavailableInARow = 0;
      reporter.advance(1, `workout ${str(w.workoutName) ?? w.workoutId}`);
    } catch (e) {
      if (signal.aborted) break;
      if (fatal(e)) throw e;
      // Nothing is written for it, so the stored version (if any) stays and the next run fetches it again.
      const message = ctx.log.redact(why(e));
      result.failed++;
      result.errors.push({ workout_id: w.workoutId, error: message });
      ctx.log.warn(`workout ${w.workoutId} could not be fetched: ${message}`);
      reporter.advance(1, `workout ${w.workoutId} failed: ${message}`);
      if (e instanceof GarminUnavailable) {
        if (++unavailableInARow >= MAX_UNAVAILABLE_IN_A_ROW) {
          throw new GarminUnavailable(
            `${unavailableInARow} workouts in a row failed because Garmin Connect is unavailable (${message}); ` +
              `stopped the run: try again later`,
          );
        }
      } else unavailableInARow = 0;
    }
  }
  return result;
}
