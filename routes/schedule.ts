/**
 * GET/POST /api/schedule: the cron schedule, validated by croner, saved in the DB and applied at once by the
 * daemon's scheduler (or only saved when this process is not the daemon); and the request delay (runtime settings).
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
      request_delay_ms: deps.settings.requestDelayMs(),
      applied: deps.scheduler !== undefined,
    };
  }

  app.get("/api/schedule", async (c) => c.json(await answer(scheduler())));
  app.post("/api/schedule", jsonBody(scheduleBody), async (c) => {
    const body = c.req.valid("json");
    const s = scheduler();
    if (body.enabled !== undefined || body.cron_schedule !== undefined) {
      const current = await s.info();
      // Throws InvalidInput (422: croner's reason, or runs too close together) before anything is saved, so a bad
      // cron leaves the request delay unchanged too.
      await s.update(body.enabled ?? current.enabled, body.cron_schedule ?? current.cron_schedule);
    }
    if (body.request_delay_ms !== undefined) {
      await deps.settings.setRequestDelayMs(body.request_delay_ms);
      deps.log.info(`request delay set to ${body.request_delay_ms} ms`);
    }
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
    summary: "The stored schedule, its next 5 run times and the request delay",
    responses: { 200: { description: "schedule", schema: scheduleAnswerSchema } },
  },
  {
    method: "post",
    path: "/api/schedule",
    tags: ["schedule"],
    summary: "Save the schedule and/or the request delay; the daemon applies them at once (no restart)",
    body: scheduleBody,
    responses: {
      200: { description: "saved (and applied when this is the daemon)", schema: scheduleAnswerSchema },
      422: {
        description: "invalid body, cron expression (croner's reason) or runs closer than 5 minutes; nothing was saved",
        schema: errorSchema,
      },
    },
  },
];
