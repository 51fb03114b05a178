/**
 * The zod schemas of the JSON API: the routes validate requests with them and `/openapi.json` is generated from
 * the same objects, so the description cannot drift from what the server accepts.
 */
import { z } from "zod";
import { localDate } from "../sync/health.ts";

const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/;

/** True for a YYYY-MM-DD that exists; false for any other text. */
function realDate(v: string): boolean {
  if (!DATE_SHAPE.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

/** A calendar date, YYYY-MM-DD, that really exists (2024-02-30 is rejected). */
export const isoDate = z.string().regex(DATE_SHAPE, "must be a date like 2024-05-31").refine(
  // One issue per bad value: text of the wrong shape was already named by the regex.
  (v) => !DATE_SHAPE.test(v) || realDate(v),
  "is not a real calendar date",
);

/** Earliest `since` a sync takes (older dates are typing mistakes, and a backfill from them would take days). */
export const MIN_SINCE = "2000-01-01";

/**
 * The first day of a health backfill: a real date from 2000-01-01 up to today (the local date, as the health sync
 * counts days).
 */
export const sinceDate = isoDate.superRefine((v, ctx) => {
  if (!realDate(v)) return;
  const today = localDate(new Date());
  if (v < MIN_SINCE) ctx.addIssue({ code: "custom", message: `must be ${MIN_SINCE} or later` });
  else if (v > today) ctx.addIssue({ code: "custom", message: `must not be in the future (today is ${today})` });
});

/** A positive whole number given as text (query string or path). */
function positiveInt(name: string, max = Number.MAX_SAFE_INTEGER) {
  return z.string().regex(/^\d{1,16}$/, `${name} must be a positive whole number`)
    .transform(Number).pipe(
      z.number().int().min(1, `${name} must be at least 1`).max(max, `${name} must be at most ${max}`),
    );
}

/** Largest page size any list answers with: paging keeps answers small. */
export const MAX_PER_PAGE = 500;

/** `page` (1-based) and `per_page` query parameters. */
export const pagingQuery = {
  page: positiveInt("page").optional().describe("1-based page number (default 1)"),
  per_page: positiveInt("per_page", MAX_PER_PAGE).optional().describe(
    `items per page (default 50, at most ${MAX_PER_PAGE})`,
  ),
};

/** The activity id in a path. */
export const activityIdParam = z.object({ id: positiveInt("id").describe("Garmin activity id") });

// ---- requests -------------------------------------------------------------------------------------------------

/** Body of the sync-start routes that include health (health, full); optional. */
export const syncStartBody = z.strictObject({
  since: sinceDate.optional().describe(
    `first day to fetch (health backfill), ${MIN_SINCE} to today; default: 30 days ago on the first run`,
  ),
});

/** Body of the activities and workouts starts (optional): they take no `since`, and say so instead of ignoring it. */
export const plainSyncBody = z.strictObject({
  since: z.never({
    error: "only health syncs take since: use POST /garmin/health or /api/sync/trigger, or leave it out",
  }).optional().describe("not accepted here (only health syncs take since)"),
});

/** Largest request delay that can be set (10 minutes between two requests to Garmin). */
export const MAX_REQUEST_DELAY_MS = 600_000;

/** Body of POST /api/schedule: every field may be left out to keep its current value (but one must be there). */
export const scheduleBody = z.strictObject({
  enabled: z.boolean().optional().describe("whether scheduled runs happen"),
  cron_schedule: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters").optional()
    .describe("cron expression (5 or 6 fields), validated by croner; runs at least 5 minutes apart"),
  request_delay_ms: z.number().int("must be a whole number of milliseconds").min(0, "must not be negative")
    .max(MAX_REQUEST_DELAY_MS, `must be at most ${MAX_REQUEST_DELAY_MS}`).optional()
    .describe("least time between two requests to Garmin, in ms; applies at once, also to a running sync"),
}).refine((b) => b.enabled !== undefined || b.cron_schedule !== undefined || b.request_delay_ms !== undefined, {
  message: "send at least one of enabled, cron_schedule, request_delay_ms",
});

export const logStatus = z.enum(["running", "success", "error", "partial", "interrupted", "skipped"]);

/** GET /api/logs query. */
export const logsQuery = z.object({
  status: logStatus.optional(),
  operation: z.string().min(1).max(40, "must be at most 40 characters").optional()
    .describe("activities, health, workouts, full, ..."),
  ...pagingQuery,
});

export const activityFilter = z.enum(["all", "missing", "downloaded", "no_file", "failed"]);
export const activitySort = z.enum(["start_time", "name", "type", "distance", "duration"]);

/** GET /api/activities query. */
export const activitiesQuery = z.object({
  filter: activityFilter.optional().describe("missing = not on disk yet (never tried, or failed); default all"),
  type: z.string().min(1).max(80, "must be at most 80 characters").optional().describe(
    "activity type key, e.g. running",
  ),
  from: isoDate.optional().describe("first local start date, inclusive"),
  to: isoDate.optional().describe("last local start date, inclusive"),
  sort: activitySort.optional().describe("default start_time"),
  order: z.enum(["asc", "desc"]).optional().describe("default desc"),
  ...pagingQuery,
}).refine((q) => !q.from || !q.to || q.from <= q.to, { message: "must not be after to", path: ["from"] });

/** GET /api/health query. */
export const healthQuery = z.object({
  from: isoDate.optional().describe("first day, inclusive (default: 29 days before `to`)"),
  to: isoDate.optional().describe(
    "last day, inclusive (default: today, the server's local date as the health sync counts days)",
  ),
}).refine((q) => !q.from || !q.to || q.from <= q.to, { message: "must not be after to", path: ["from"] });

// ---- answers --------------------------------------------------------------------------------------------------

const isoTime = z.string().describe("ISO-8601 UTC time");

/** The SyncJob object of the contract. */
export const syncJobSchema = z.object({
  status: z.enum(["idle", "in_progress", "completed", "failed"]),
  progress: z.number().min(0).max(1),
  job_type: z.enum(["activities", "health", "workouts", "full"]).nullable(),
  start_time: isoTime.nullable(),
  end_time: isoTime.nullable(),
  error_message: z.string().nullable(),
  details: z.string().nullable(),
  items_done: z.number().int(),
  items_total: z.number().int(),
}).meta({ id: "SyncJob" });

export const errorSchema = z.object({
  error: z.string().describe("what happened and what to do"),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional()
    .describe("each invalid field (validation errors only)"),
}).meta({ id: "Error" });

export const conflictSchema = z.object({ error: z.string(), job: syncJobSchema }).meta({ id: "SyncConflict" });

export const scheduleInfoSchema = z.object({
  enabled: z.boolean(),
  cron_schedule: z.string(),
  next_run: isoTime.nullable(),
  last_run: isoTime.nullable(),
}).meta({ id: "ScheduleInfo" });

export const scheduleAnswerSchema = scheduleInfoSchema.extend({
  next_runs: z.array(isoTime).describe("the next 5 run times (empty when disabled)"),
  request_delay_ms: z.number().int().describe("least time between two requests to Garmin, in ms"),
  applied: z.boolean().describe("true when a running daemon applied it at once; false when only saved"),
}).meta({ id: "Schedule" });

export const logRowSchema = z.object({
  id: z.number().int(),
  timestamp: isoTime,
  finished_at: isoTime.nullable(),
  operation: z.string(),
  status: logStatus,
  message: z.string().nullable(),
  activities_processed: z.number().int(),
  activities_downloaded: z.number().int(),
  items_processed: z.number().int(),
}).meta({ id: "SyncLog" });

/** A paged list of `item`. */
export function pageOf<T extends z.ZodType>(item: T, id: string) {
  return z.object({
    items: z.array(item),
    page: z.number().int(),
    per_page: z.number().int(),
    total: z.number().int(),
  }).meta({ id });
}

export const statusSchema = z.object({
  daemon: z.object({
    running: z.boolean().describe("true when this answer comes from the daemon (scheduler active)"),
    enabled: z.boolean(),
    schedule: z.string(),
    next_run: isoTime.nullable(),
    last_run: isoTime.nullable(),
    request_delay_ms: z.number().int().describe("least time between two requests to Garmin, in ms"),
  }),
  sync: syncJobSchema,
  recent_logs: z.array(logRowSchema),
}).meta({ id: "Status" });

export const activityRowSchema = z.object({
  activity_id: z.number().int(),
  name: z.string().nullable(),
  activity_type: z.string().nullable(),
  start_time_local: z.string().describe("YYYY-MM-DD HH:MM:SS, the device's local time"),
  start_time_gmt: z.string().nullable(),
  duration_s: z.number().nullable(),
  distance_m: z.number().nullable(),
  calories: z.number().nullable(),
  avg_hr: z.number().nullable(),
  max_hr: z.number().nullable(),
  state: z.enum(["missing", "downloaded", "no_file", "failed"]),
  file_name: z.string().nullable(),
  file_size: z.number().int().nullable(),
  sha256: z.string().nullable(),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
  last_attempt_at: isoTime.nullable(),
  downloaded_at: isoTime.nullable(),
  first_seen_at: isoTime,
  last_seen_at: isoTime,
}).meta({ id: "Activity" });

export const activityStatsSchema = z.object({
  total: z.number().int(),
  downloaded: z.number().int(),
  missing: z.number().int().describe("not on disk yet: never tried, or failed"),
  no_file: z.number().int(),
  failed: z.number().int(),
  last_sync: isoTime.nullable(),
}).meta({ id: "ActivityStats" });

export const retryAnswerSchema = z.object({
  activity: activityRowSchema,
  job: syncJobSchema,
  started: z.boolean().describe("true when an activities sync was started to fetch it now"),
}).meta({ id: "RetryAnswer" });

const nInt = z.number().int().nullable();
const nNum = z.number().nullable();
export const healthDaySchema = z.object({
  calendar_date: z.string(),
  steps: nInt,
  step_goal: nInt,
  distance_m: nNum,
  total_kcal: nNum,
  active_kcal: nNum,
  resting_hr: nInt,
  min_hr: nInt,
  max_hr: nInt,
  avg_stress: nInt,
  max_stress: nInt,
  body_battery_high: nInt,
  body_battery_low: nInt,
  body_battery_charged: nInt,
  body_battery_drained: nInt,
  sleep_seconds: nInt,
  deep_sleep_seconds: nInt,
  light_sleep_seconds: nInt,
  rem_sleep_seconds: nInt,
  awake_sleep_seconds: nInt,
  sleep_score: nInt,
  weight_g: nNum,
  bmi: nNum,
  body_fat: nNum,
  has_summary: z.boolean(),
  has_sleep: z.boolean(),
  has_weight: z.boolean(),
  complete: z.boolean().describe("fetched after the day was over"),
  fetched_at: isoTime,
}).meta({ id: "HealthDay" });

export const healthAnswerSchema = z.object({
  from: z.string(),
  to: z.string(),
  days: z.array(healthDaySchema).describe("stored days only, ascending; days with no row are missing"),
}).meta({ id: "HealthDays" });

export const workoutSchema = z.object({
  workout_id: z.number().int(),
  name: z.string().nullable(),
  sport_type: z.string().nullable(),
  description: z.string().nullable(),
  created_date: z.string().nullable(),
  updated_date: z.string().nullable(),
  estimated_duration_s: nNum,
  estimated_distance_m: nNum,
  first_seen_at: isoTime,
  fetched_at: isoTime,
}).meta({ id: "Workout" });

export const workoutsAnswerSchema = z.object({ items: z.array(workoutSchema), total: z.number().int() })
  .meta({ id: "Workouts" });

export const healthzSchema = z.object({ status: z.literal("ok"), time: isoTime }).meta({ id: "Healthz" });
