/**
 * Starting a sync and polling it: one job at a time, no queue, no job id.
 */
import { Hono } from "hono";
import type { AppDeps } from "../lib/deps.ts";
import type { JobKind } from "../sync/job_types.ts";
import { jsonBody } from "./validation.ts";
import { conflictSchema, errorSchema, plainSyncBody, syncJobSchema, syncStartBody } from "./schemas.ts";
import type { ApiOperation } from "./openapi.ts";

/** Only syncs that fetch health days take `since`; the others refuse it instead of ignoring it. */
function bodyFor(kind: JobKind) {
  return kind === "health" || kind === "full" ? syncStartBody : plainSyncBody;
}

const START_PATHS: [string, JobKind][] = [
  ["/garmin/activities", "activities"],
  ["/garmin/health", "health"],
  ["/garmin/workouts", "workouts"],
  ["/api/sync/trigger", "full"],
];

/** Routes: POST /garmin/{activities,health,workouts}, POST /api/sync/trigger, GET /garmin/sync/status. */
export function syncRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  for (const [path, kind] of START_PATHS) {
    app.post(path, jsonBody(bodyFor(kind)), (c) => {
      const { since } = c.req.valid("json");
      // start() is synchronous check-and-set: of simultaneous requests exactly one wins, the rest throw
      // SyncAlreadyRunning, which the error handler answers as 409 {error, job}.
      const job = deps.jobs.start(kind, { since, trigger: "api" });
      return c.json(job, 202);
    });
  }
  app.get("/garmin/sync/status", (c) => {
    c.header("Cache-Control", "no-store");
    return c.json(deps.jobs.status());
  });
  return app;
}

/** OpenAPI description of these routes. */
export const syncDocs: ApiOperation[] = [
  ...START_PATHS.map(([path, kind]): ApiOperation => ({
    method: "post",
    path,
    tags: ["sync"],
    summary: kind === "full"
      ? "Start a full sync (activities, then health, then workouts)"
      : `Start ${kind === "activities" ? "an" : "a"} ${kind} sync in the background`,
    body: bodyFor(kind),
    bodyRequired: false,
    responses: {
      202: { description: "started; poll GET /garmin/sync/status", schema: syncJobSchema },
      409: { description: "a sync is already running (only one at a time)", schema: conflictSchema },
      422: {
        description: bodyFor(kind) === syncStartBody
          ? "invalid body (since: not a real date, before 2000-01-01 or in the future)"
          : "invalid body (since is refused: only health syncs take it)",
        schema: errorSchema,
      },
    },
  })),
  {
    method: "get",
    path: "/garmin/sync/status",
    tags: ["sync"],
    summary: "The current (or last) sync job; idle in a fresh process",
    responses: { 200: { description: "the job", schema: syncJobSchema } },
  },
];
