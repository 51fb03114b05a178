/**
 * The cron schedule of the daemon (croner). The schedule lives in the settings table so a change made through
 * the API or the dashboard survives a restart and applies at once: the Cron handle is stopped and replaced.
 * A tick that finds a sync running is skipped and logged, never queued.
 */
import { Cron } from "croner";
import type { Config } from "../lib/config.ts";
import { cronError } from "../lib/config.ts";
import type { Db } from "../db/client.ts";
import type { Logger } from "../lib/log.ts";
import type { ScheduleInfo, Scheduler } from "../lib/deps.ts";
import type { JobManager } from "../sync/job_types.ts";
import { InvalidInput, SyncAlreadyRunning } from "../lib/errors.ts";
import { getSetting, setSettings } from "../db/settings.ts";
import { addLog } from "../db/logs.ts";

/** Settings keys the schedule is stored under. */
export const SCHEDULE_KEYS = { enabled: "schedule_enabled", cron: "cron_schedule", lastRun: "last_run_at" } as const;

/** Throws InvalidInput with croner's reason when `expr` is not a usable cron expression. */
export function assertCron(expr: string): void {
  const reason = cronError(expr);
  if (reason) {
    throw new InvalidInput(
      `cron_schedule ${JSON.stringify(expr)} is not a valid cron expression (${reason}): ` +
        `use five fields "minute hour day month weekday", e.g. "0 */6 * * *", or six with seconds first`,
    );
  }
}

/** Least time between two scheduled runs by default: each is a full sync against Garmin. */
export const DEFAULT_MIN_INTERVAL_MS = 5 * 60_000;

function spell(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} minute${ms === 60_000 ? "" : "s"}`;
  return `${ms / 1000} s`;
}

/**
 * Throws InvalidInput when two of the next runs of `expr` (the next 6 checked, from `from`) are closer than
 * `minIntervalMs`. Checking several gaps catches crons that are sparse in one place and dense in another
 * ("0,1 * * * *").
 */
export function assertCronInterval(expr: string, minIntervalMs: number, from = new Date()): void {
  if (minIntervalMs <= 0) return;
  const c = new Cron(expr, { paused: true });
  let runs: Date[];
  try {
    runs = c.nextRuns(6, from);
  } finally {
    c.stop();
  }
  for (let i = 1; i < runs.length; i++) {
    const gap = runs[i].getTime() - runs[i - 1].getTime();
    if (gap < minIntervalMs) {
      throw new InvalidInput(
        `cron_schedule ${JSON.stringify(expr)} runs ${spell(gap)} apart (${runs[i - 1].toISOString()} and ` +
          `${runs[i].toISOString()}); scheduled runs must be at least ${spell(minIntervalMs)} apart, since each is ` +
          `a full sync against Garmin: use e.g. "*/15 * * * *" or "0 */6 * * *"`,
      );
    }
  }
}

/** The next `n` run times of `expr` after `from` (ISO strings); InvalidInput when the expression is bad. */
export function nextRuns(expr: string, n: number, from?: Date): string[] {
  assertCron(expr);
  const c = new Cron(expr, { paused: true });
  try {
    return c.nextRuns(n, from).map((d) => d.toISOString());
  } finally {
    c.stop();
  }
}

/** Reads the stored schedule (defaults: enabled, `config.schedule`); `next_run` computed from the cron. */
export async function readSchedule(
  db: Db,
  config: Config,
  clock: () => Date = () => new Date(),
): Promise<ScheduleInfo> {
  const [enabledRaw, cronRaw, lastRun] = await Promise.all([
    getSetting(db, SCHEDULE_KEYS.enabled),
    getSetting(db, SCHEDULE_KEYS.cron),
    getSetting(db, SCHEDULE_KEYS.lastRun),
  ]);
  // A stored cron that no longer parses (hand-edited DB, older croner) falls back to the configured default.
  const cron = cronRaw && !cronError(cronRaw) ? cronRaw : config.schedule;
  const enabled = enabledRaw === undefined ? true : enabledRaw === "true";
  return {
    enabled,
    cron_schedule: cron,
    next_run: enabled ? (nextRuns(cron, 1, clock())[0] ?? null) : null,
    last_run: lastRun ?? null,
  };
}

/**
 * Validates then saves a schedule (one transaction); nothing is saved when the cron is bad, or (when enabled) fires
 * more often than every `minIntervalMs`.
 */
export async function saveSchedule(
  db: Db,
  enabled: boolean,
  cronSchedule: string,
  clock: () => Date = () => new Date(),
  minIntervalMs = DEFAULT_MIN_INTERVAL_MS,
): Promise<void> {
  const expr = cronSchedule.trim();
  assertCron(expr);
  // A disabled schedule never fires; the floor is checked again when it is enabled.
  if (enabled) assertCronInterval(expr, minIntervalMs, clock());
  await setSettings(db, { [SCHEDULE_KEYS.enabled]: String(enabled), [SCHEDULE_KEYS.cron]: expr }, clock());
}

/**
 * A Scheduler that only reads and saves the stored schedule, for a process that is not the daemon (the API
 * served elsewhere, the CLI): a running daemon picks the change up at its next start.
 */
export function storedSchedule(
  o: { db: Db; config: Config; clock?: () => Date; minIntervalMs?: number },
): Scheduler {
  const clock = o.clock ?? (() => new Date());
  return {
    info: () => readSchedule(o.db, o.config, clock),
    async update(enabled, cronSchedule) {
      await saveSchedule(o.db, enabled, cronSchedule, clock, o.minIntervalMs);
      return readSchedule(o.db, o.config, clock);
    },
    preview: (cronSchedule, n) => nextRuns(cronSchedule, n, clock()),
    stop() {},
  };
}

/** What the scheduler needs. `onTick` runs at the start of every scheduled tick (e.g. a token refresh). */
export interface SchedulerOptions {
  db: Db;
  jobs: JobManager;
  log: Logger;
  config: Config;
  clock?: () => Date;
  /** Least time between two runs a saved schedule may ask for (default 5 minutes; tests pass 0). */
  minIntervalMs?: number;
  onTick?: () => Promise<void> | void;
}

/**
 * Starts the stored schedule (loaded asynchronously; every method waits for it) and returns the handle.
 * Each tick starts a `full` sync and waits for it, so croner's `protect` sees the run as busy; a tick that
 * finds any sync running (scheduled or started through the API) writes a `skipped` log row instead.
 */
export function createScheduler(o: SchedulerOptions): Scheduler {
  const clock = o.clock ?? (() => new Date());
  let cron: Cron | undefined;
  let stopped = false;
  // Serialises updates so two quick saves cannot leave two Cron handles running.
  let chain: Promise<unknown> = Promise.resolve();

  async function skip(reason: string): Promise<void> {
    const when = clock().toISOString();
    o.log.warn(`scheduled sync at ${when} skipped: ${reason}`);
    try {
      await addLog(
        o.db,
        { operation: "full", status: "skipped", message: `scheduled run skipped: ${reason}` },
        clock(),
      );
    } catch (e) {
      o.log.error(`could not write the skipped-run log row: ${e instanceof Error ? e.message : e}`);
    }
  }

  function runningReason(): string {
    const job = o.jobs.status();
    const what = job.job_type === null
      ? "a sync"
      : `${job.job_type === "activities" ? "an" : "a"} ${job.job_type} sync`;
    return `${what} was already running (started ${job.start_time ?? "earlier"})`;
  }

  async function tick(): Promise<void> {
    if (stopped) return;
    if (o.onTick) {
      try {
        await o.onTick();
      } catch (e) {
        o.log.warn(`scheduled pre-run hook failed: ${e instanceof Error ? e.message : e}`);
      }
    }
    if (o.jobs.running()) return skip(runningReason());
    const started = clock();
    try {
      o.jobs.start("full", { trigger: "schedule" });
    } catch (e) {
      if (e instanceof SyncAlreadyRunning) return skip(runningReason());
      throw e;
    }
    await setSettings(o.db, { [SCHEDULE_KEYS.lastRun]: started.toISOString() }, started);
    await o.jobs.idle();
    const job = o.jobs.status();
    const secs = ((clock().getTime() - started.getTime()) / 1000).toFixed(1);
    const outcome = job.status === "failed" ? `failed: ${job.error_message ?? "unknown error"}` : job.status;
    // The job manager already logs the run's outcome; this adds only the next run time.
    o.log.debug(
      `scheduled full sync ${outcome} in ${secs} s${
        cron?.nextRun() ? `; next run ${cron.nextRun()!.toISOString()}` : ""
      }`,
    );
  }

  function apply(enabled: boolean, expr: string): void {
    cron?.stop();
    cron = undefined;
    if (stopped || !enabled) return;
    cron = new Cron(expr, {
      protect: () => void skip("the previous scheduled sync is still running"),
      catch: (e) => o.log.error(`scheduled sync failed to start: ${e instanceof Error ? e.message : e}`),
    }, tick);
  }

  const ready = (async () => {
    try {
      const info = await readSchedule(o.db, o.config, clock);
      if (info.enabled) {
        try {
          // GARMINSYNC_SCHEDULE (or a schedule saved before the floor existed) gets the same 5-minute floor as a
          // schedule saved through the API: a full sync every second against Garmin is never right.
          assertCronInterval(info.cron_schedule, o.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS, clock());
        } catch (e) {
          o.log.error(
            `scheduled syncs are off: ${e instanceof Error ? e.message : e}; fix GARMINSYNC_SCHEDULE or ` +
              `save a schedule on the Settings page`,
          );
          return;
        }
      }
      apply(info.enabled, info.cron_schedule);
      // A schedule saved through the API or dashboard wins over GARMINSYNC_SCHEDULE: say so, or a changed variable
      // would seem to do nothing.
      const saved = info.cron_schedule !== o.config.schedule
        ? ` (saved through the API/dashboard; GARMINSYNC_SCHEDULE "${o.config.schedule}" applies only until one is saved)`
        : "";
      o.log.info(
        info.enabled
          ? `schedule "${info.cron_schedule}" active; next run ${info.next_run}${saved}`
          : `schedule "${info.cron_schedule}" is disabled: no scheduled runs${saved}`,
      );
    } catch (e) {
      o.log.error(`could not load the schedule: ${e instanceof Error ? e.message : e}`);
    }
  })();

  async function info(): Promise<ScheduleInfo> {
    await ready;
    const stored = await readSchedule(o.db, o.config, clock);
    // The live handle is the truth for next_run (it is what will actually fire).
    const next = cron?.nextRun();
    return { ...stored, next_run: stored.enabled && next ? next.toISOString() : stored.next_run };
  }

  return {
    info,
    update(enabled, cronSchedule) {
      const run = chain.then(async () => {
        await ready;
        const expr = cronSchedule.trim();
        await saveSchedule(o.db, enabled, expr, clock, o.minIntervalMs);
        apply(enabled, expr);
        o.log.info(enabled ? `schedule changed to "${expr}"` : `schedule disabled ("${expr}" kept)`);
        return info();
      });
      chain = run.catch(() => {});
      return run;
    },
    preview: (cronSchedule, n) => nextRuns(cronSchedule, n, clock()),
    stop() {
      stopped = true;
      cron?.stop();
      cron = undefined;
    },
  };
}
