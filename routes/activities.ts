/**
 * Activities: paged list with filters, counts, the stored FIT file, and a per-activity retry.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppDeps } from "../lib/deps.ts";
import { NotFound, SyncAlreadyRunning } from "../lib/errors.ts";
import { activityStats, getActivity, listActivities, resetActivity } from "../db/activities.ts";
import { paramsOf, queryOf } from "./validation.ts";
import {
  activitiesQuery,
  activityIdParam,
  activityRowSchema,
  activityStatsSchema,
  errorSchema,
  pageOf,
  retryAnswerSchema,
} from "./schemas.ts";
import type { ApiOperation } from "./openapi.ts";

/** The registered media type of FIT files. */
export const FIT_CONTENT_TYPE = "application/vnd.ant.fit";

const activitiesPage = pageOf(activityRowSchema, "ActivityPage").extend({
  filter: z.string().describe("the filter applied"),
}).meta({ id: "ActivityPage" });

function unknownActivity(id: number): NotFound {
  return new NotFound(`no activity ${id} is stored: refresh the list with POST /garmin/activities, then try again`);
}

/** Routes under /api/activities. */
export function activityRoutes(deps: AppDeps): Hono {
  const app = new Hono();

  app.get("/api/activities", queryOf(activitiesQuery), async (c) => {
    const q = c.req.valid("query");
    const page = q.page ?? 1;
    const perPage = q.per_page ?? 50;
    const filter = q.filter ?? "all";
    const { rows, total } = await listActivities(deps.db, {
      filter,
      type: q.type,
      from: q.from,
      to: q.to,
      sort: q.sort,
      order: q.order,
      limit: perPage,
      offset: (page - 1) * perPage,
    });
    return c.json({ items: rows, page, per_page: perPage, total, filter });
  });

  // Registered before /:id so "stats" is never taken for an id (it would fail the id check anyway).
  app.get("/api/activities/stats", async (c) => c.json(await activityStats(deps.db)));

  app.get("/api/activities/:id", paramsOf(activityIdParam), async (c) => {
    const { id } = c.req.valid("param");
    const row = await getActivity(deps.db, id);
    if (!row) throw unknownActivity(id);
    return c.json(row);
  });

  app.get("/api/activities/:id/fit", paramsOf(activityIdParam), async (c) => {
    const { id } = c.req.valid("param");
    const row = await getActivity(deps.db, id);
    if (!row) throw unknownActivity(id);
    const name = row.file_name;
    if (row.state !== "downloaded" || !name) {
      throw new NotFound(
        `activity ${id} has no stored FIT file (state ${row.state}): ` +
          (row.state === "no_file"
            ? "Garmin has no original file for it (a manual entry)"
            : `download it with POST /api/activities/${id}/retry or \`garminsync download --missing\``),
      );
    }
    // The name comes from our own DB, but never let it leave the data folder.
    if (name.includes("/") || name.includes("\\") || name.startsWith(".")) {
      throw new NotFound(`activity ${id} has an unusable stored file name; run a sync to repair it`);
    }
    let file: Deno.FsFile;
    try {
      file = await Deno.open(`${deps.config.dataDir}/${name}`, { read: true });
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new NotFound(
          `the FIT file of activity ${id} (${name}) is no longer in the data folder: ` +
            "the next sync notices it and downloads it again",
        );
      }
      throw e;
    }
    const size = (await file.stat()).size;
    return c.body(file.readable, 200, {
      "Content-Type": FIT_CONTENT_TYPE,
      "Content-Length": String(size),
      "Content-Disposition": `attachment; filename="${name.replace(/[^\w.-]/g, "_")}"`,
      "Cache-Control": "private, max-age=3600",
    });
  });

  app.post("/api/activities/:id/retry", paramsOf(activityIdParam), async (c) => {
    const { id } = c.req.valid("param");
    if (!await resetActivity(deps.db, id)) throw unknownActivity(id);
    const activity = (await getActivity(deps.db, id))!;
    let started = false;
    if (activity.state === "missing") {
      try {
        deps.jobs.start("activities", { trigger: "retry" });
        started = true;
      } catch (e) {
        // A sync is already running: the activity is queued in the DB; that run or the next picks it up.
        if (!(e instanceof SyncAlreadyRunning)) throw e;
      }
    }
    return c.json({ activity, job: deps.jobs.status(), started }, started ? 202 : 200);
  });

  return app;
}

/** OpenAPI description of these routes. */
export const activityDocs: ApiOperation[] = [
  {
    method: "get",
    path: "/api/activities",
    tags: ["activities"],
    summary: "Stored activities, paged, filtered and sorted",
    query: activitiesQuery,
    responses: {
      200: { description: "one page", schema: activitiesPage },
      400: { description: "invalid query parameter", schema: errorSchema },
    },
  },
  {
    method: "get",
    path: "/api/activities/stats",
    tags: ["activities"],
    summary: "Counts per state and when the last activity sync finished",
    responses: { 200: { description: "counts", schema: activityStatsSchema } },
  },
  {
    method: "get",
    path: "/api/activities/{id}",
    tags: ["activities"],
    summary: "One stored activity",
    params: activityIdParam,
    responses: {
      200: { description: "the activity", schema: activityRowSchema },
      400: { description: "the id is not a positive whole number", schema: errorSchema },
      404: { description: "no such activity", schema: errorSchema },
    },
  },
  {
    method: "get",
    path: "/api/activities/{id}/fit",
    tags: ["activities"],
    summary: "The stored FIT file (as an attachment)",
    params: activityIdParam,
    responses: {
      200: { description: "the FIT file", contentType: FIT_CONTENT_TYPE },
      400: { description: "the id is not a positive whole number", schema: errorSchema },
      404: { description: "unknown activity, or its file is not downloaded", schema: errorSchema },
    },
  },
  {
    method: "post",
    path: "/api/activities/{id}/retry",
    tags: ["activities"],
    summary: "Mark a failed or missing activity for download again and start an activities sync",
    params: activityIdParam,
    responses: {
      200: { description: "reset; a sync is already running (or the file is already here)", schema: retryAnswerSchema },
      202: { description: "reset, and an activities sync was started", schema: retryAnswerSchema },
      400: { description: "the id is not a positive whole number", schema: errorSchema },
      404: { description: "no such activity", schema: errorSchema },
    },
  },
];
