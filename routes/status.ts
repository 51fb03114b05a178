/**
 * GET /api/status (daemon, schedule, job and recent log rows in one answer) and GET /healthz (liveness).
 */
import { Hono } from "hono";
import type { AppDeps } from "../lib/deps.ts";
import { listLogs } from "../db/logs.ts";
import { storedSchedule } from "../daemon/scheduler.ts";
import { healthzSchema, statusSchema } from "./schemas.ts";
import type { ApiOperation } from "./openapi.ts";

/** Routes: GET /api/status, GET /healthz. */
export function statusRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const clock = deps.clock ?? (() => new Date());
  app.get("/api/status", async (c) => {
    const schedule = await (deps.scheduler ?? storedSchedule(deps)).info();
    const logs = await listLogs(deps.db, { limit: 10, offset: 0 });
    c.header("Cache-Control", "no-store");
    return c.json({
      daemon: {
        running: deps.scheduler !== undefined,
        enabled: schedule.enabled,
        schedule: schedule.cron_schedule,
        next_run: schedule.next_run,
        last_run: schedule.last_run,
        request_delay_ms: deps.settings.requestDelayMs(),
      },
      sync: deps.jobs.status(),
      recent_logs: logs.rows,
    });
  });
  app.get("/healthz", (c) => c.json({ status: "ok" as const, time: clock().toISOString() }));
  return app;
}

/** OpenAPI description of these routes. */
export const statusDocs: ApiOperation[] = [
  {
    method: "get",
    path: "/api/status",
    tags: ["status"],
    summary: "Daemon and schedule state, the current sync job and the 10 newest log rows",
    responses: { 200: { description: "status", schema: statusSchema } },
  },
  {
    method: "get",
    path: "/healthz",
    tags: ["status"],
    summary: "Liveness: answers without a token",
    open: true,
    responses: { 200: { description: "alive", schema: healthzSchema } },
  },
];
