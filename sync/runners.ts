/**
 * The three sync runners the job manager runs: each makes sure there is a Garmin session first (failing at once
 * with the how-to-log-in message when there is none), does its work reporting progress, and sums it up.
 */
import type { Db } from "../db/client.ts";
import type { Config } from "../lib/config.ts";
import type { Logger } from "../lib/log.ts";
import { SyncInterrupted } from "../lib/errors.ts";
import type { GarminApi, GarminAuth } from "./garmin/types.ts";
import { listingFraction, type Runner, type RunSummary } from "./jobs.ts";
import { downloadMissing, refreshActivityList } from "./activities.ts";
import { syncHealth } from "./health.ts";
import { syncWorkouts } from "./workouts.ts";

// How many individual failures a run's message names before "and N more".
const NAMED_ERRORS = 3;

/** "3 of 120 downloads failed: 1: why; 2: why; 3: why (and 4 more)". */
function failures(failed: number, of: number, what: string, errors: { id: string | number; error: string }[]): string {
  const named = errors.slice(0, NAMED_ERRORS).map((e) => `${e.id}: ${e.error}`).join("; ");
  const more = errors.length > NAMED_ERRORS ? ` (and ${errors.length - NAMED_ERRORS} more)` : "";
  return `${failed} of ${of} ${what} failed: ${named}${more}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Builds the activities, health and workouts runners for the job manager. */
export function createSyncRunners(o: {
  db: Db;
  config: Config;
  log: Logger;
  garmin: { api: GarminApi; auth: GarminAuth };
  ensureSession: () => Promise<void>;
  clock?: () => Date;
}): Record<"activities" | "health" | "workouts", Runner> {
  const base = { db: o.db, api: o.garmin.api, log: o.log, clock: o.clock };

  async function activities(reporter: Parameters<Runner>[0]): Promise<RunSummary> {
    await o.ensureSession();
    const ctx = { ...base, config: o.config };
    reporter.detail("listing activities");
    const listed = await refreshActivityList(
      ctx,
      reporter.signal,
      // Each page is one request: it moves progress within the listing's share (its length is not known up front).
      (p) => reporter.partial?.(listingFraction(p.pages), `listing activities: ${p.fetched} listed, ${p.new} new`),
    );
    const r = await downloadMissing(ctx, reporter);
    if (reporter.signal.aborted) throw new SyncInterrupted();
    const parts = [
      `${plural(listed.new, "new activity", "new activities")} listed`,
      `${r.downloaded} downloaded`,
    ];
    if (r.no_file) parts.push(`${r.no_file} without an original file`);
    const summary: RunSummary = {
      status: r.failed ? "partial" : "success",
      message: r.failed
        ? `${
          failures(r.failed, r.attempted, "downloads", r.errors.map((e) => ({ id: e.activity_id, error: e.error })))
        }` +
          ` (${parts.join(", ")})`
        : parts.join(", "),
      activities_processed: r.attempted,
      activities_downloaded: r.downloaded,
      items_processed: r.attempted,
    };
    return summary;
  }

  async function health(reporter: Parameters<Runner>[0], options: { since?: string }): Promise<RunSummary> {
    await o.ensureSession();
    const r = await syncHealth(base, reporter, options);
    if (reporter.signal.aborted) throw new SyncInterrupted();
    const filled = r.holes ? `, including ${plural(r.holes, "earlier missing day")}` : "";
    const done = `${plural(r.stored, "day")} stored (${r.from} .. ${r.to}${filled})`;
    const problems: string[] = [];
    if (r.failed) {
      problems.push(failures(r.failed, r.days, "days", r.errors.map((e) => ({ id: e.date, error: e.error }))));
    }
    if (r.weight_error) problems.push(`weight could not be fetched (stored weights kept): ${r.weight_error}`);
    return {
      status: problems.length ? "partial" : "success",
      message: [...problems, done].join("; "),
      items_processed: r.stored,
    };
  }

  async function workouts(reporter: Parameters<Runner>[0]): Promise<RunSummary> {
    await o.ensureSession();
    const r = await syncWorkouts(base, reporter);
    if (reporter.signal.aborted) throw new SyncInterrupted();
    const done = `${plural(r.listed, "workout")} listed, ${r.new} new, ${r.updated} updated`;
    return {
      status: r.failed ? "partial" : "success",
      message: r.failed
        ? `${
          failures(
            r.failed,
            r.new + r.updated + r.failed,
            "workout details",
            r.errors.map((e) => ({
              id: e.workout_id,
              error: e.error,
            })),
          )
        }; ${done}`
        : done,
      items_processed: r.new + r.updated,
    };
  }

  return { activities, health, workouts };
}
