/**
 * GET /api/health: stored daily health rows for a date range (default: the last 30 days).
 */
import { Hono } from "hono";
import type { AppDeps } from "../lib/deps.ts";
import { InvalidInput } from "../lib/errors.ts";
import { listHealthDays } from "../db/health.ts";
import { localDate } from "../sync/health.ts";
import { queryOf } from "./validation.ts";
import { errorSchema, healthAnswerSchema, healthQuery } from "./schemas.ts";
import type { ApiOperation } from "./openapi.ts";

/** Longest range one request may ask for (ten years of days). */
export const MAX_HEALTH_DAYS = 3660;

function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Routes: GET /api/health. */
export function healthRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const clock = deps.clock ?? (() => new Date());
  app.get("/api/health", queryOf(healthQuery), async (c) => {
    const q = c.req.valid("query");
    // "Today" is the local date, as the health sync counts days (a day stored at 00:30 local time is today's).
    const today = localDate(clock());
    const to = q.to ?? (q.from && q.from > today ? q.from : today);
    const from = q.from ?? addDays(to, -29);
    const days = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
    if (days > MAX_HEALTH_DAYS) {
      throw new InvalidInput(`from: the range ${from}..${to} is ${days} days; ask for at most ${MAX_HEALTH_DAYS}`);
    }
    return c.json({ from, to, days: await listHealthDays(deps.db, from, to) });
  });
  return app;
}

/** OpenAPI description of these routes. */
export const healthDocs: ApiOperation[] = [{
  method: "get",
  path: "/api/health",
  tags: ["health"],
  summary: "Stored daily health rows (summary, sleep, weight) for a date range",
  query: healthQuery,
  responses: {
    200: { description: "the stored days in the range", schema: healthAnswerSchema },
    400: { description: "invalid query parameter", schema: errorSchema },
    422: { description: "range too long", schema: errorSchema },
  },
}];
