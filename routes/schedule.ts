/**
 * GET/POST /api/schedule: the cron schedule, validated by croner, saved in the DB and applied at once by the
 * daemon's scheduler (or only saved when this process is not the daemon).
 */
import { Hono } from "hono";
import type { AppDeps, Scheduler } from "../lib/deps.ts";
import { storedSchedule } from "../daemon/scheduler.ts";
import { jsonBody } from "./validation.ts";
import { errorSchema, scheduleAnswerSchema, scheduleBody } from "./schemas.ts";
import type { ApiOperation } from "./openapi.ts";

/** Routes: GET /api/schedule, POST /api/schedule. */
export function scheduleRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const scheduler = (): Scheduler => deps.scheduler ?? storedSchedule(deps);

  async function answer(s: Scheduler) {
    const info = await s.info();
    return {
      ...info,
      next_runs: info.enabled ? s.preview(info.cron_schedule, 5) : [],
      applied: deps.scheduler !== undefined,
    };
  }

  app.get("/api/schedule", async (c) => c.json(await answer(scheduler())));
  app.post("/api/schedule", jsonBody(scheduleBody), async (c) => {
    const body = c.req.valid("json");
    const s = scheduler();
    const current = await s.info();
    // Throws InvalidInput (422, croner's reason) before anything is saved.
    await s.update(body.enabled ?? current.enabled, body.cron_schedule ?? current.cron_schedule);
    return c.json(await answer(s));
  });
  return app;
}

/** OpenAPI description of these routes. */
export const scheduleDocs: ApiOperation[] = [
  {
    method: "get",
    path: "/api/schedule",
    tags: ["schedule"],
    summary: "The stored schedule and its next 5 run times",
    responses: { 200: { description: "schedule", schema: scheduleAnswerSchema } },
  },
  {
    method: "post",
    path: "/api/schedule",
    tags: ["schedule"],
    summary: "Save the schedule; the daemon applies it at once (no restart)",
    body: scheduleBody,
    responses: {
      200: { description: "saved (and applied when this is the daemon)", schema: scheduleAnswerSchema },
      422: { description: "invalid body or cron expression (croner's reason); nothing was saved", schema: errorSchema },
    },
  },
];
