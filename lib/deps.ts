/**
 * What `createApp(deps)` and the CLI commands receive from the composition root (main.ts).
 */
import type { Config } from "./config.ts";
import type { Db } from "../db/client.ts";
import type { Logger } from "./log.ts";
import type { GarminApi, GarminAuth } from "../sync/garmin/types.ts";
import type { JobManager } from "../sync/job_types.ts";
import type { RuntimeSettings } from "../db/settings.ts";

/** The schedule as stored and applied. */
export interface ScheduleInfo {
  enabled: boolean;
  cron_schedule: string;
  next_run: string | null;
  last_run: string | null;
}

/** The in-process cron schedule (croner). */
export interface Scheduler {
  info(): Promise<ScheduleInfo>;
  /** Validates, saves and applies at once; throws InvalidInput (nothing saved) on a bad cron. */
  update(enabled: boolean, cronSchedule: string): Promise<ScheduleInfo>;
  /** Next `n` run times for a cron expression (for the settings preview). */
  preview(cronSchedule: string, n: number): string[];
  stop(): void;
}

/** Everything the app and commands need, passed in (no module-level state). */
export interface AppDeps {
  config: Config;
  db: Db;
  log: Logger;
  jobs: JobManager;
  garmin: { api: GarminApi; auth: GarminAuth };
  /** Settings that apply while running (the request delay). */
  settings: RuntimeSettings;
  /** Present when running as the daemon. */
  scheduler?: Scheduler;
  clock?: () => Date;
}
