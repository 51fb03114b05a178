/**
 * The sync log: GET /api/logs (filters, paging), DELETE /api/logs (clear finished rows).
 */
import { Hono } from "hono";
import type { AppDeps } from "../lib/deps.ts";
import { clearLogs, listLogs } from "../db/logs.ts";
import { queryOf } from "./validation.ts";
import { errorSchema, logRowSchema, logsQuery, pageOf } from "./schemas.ts";
import type { ApiOperation } from "./openapi.ts";
import { z } from "zod";

const logsPage = pageOf(logRowSchema, "SyncLogPage");
const clearedSchema = z.object({ deleted: z.number().int() }).meta({ id: "LogsCleared" });

/** Routes: GET /api/logs, DELETE /api/logs. */
export function logsRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.get("/api/logs", queryOf(logsQuery), async (c) => {
    const q = c.req.valid("query");
    const page = q.page ?? 1;
    const perPage = q.per_page ?? 50;
    const { rows, total } = await listLogs(deps.db, {
      status: q.status,
      operation: q.operation,
      limit: perPage,
      offset: (page - 1) * perPage,
    });
    return c.json({ items: rows, page, per_page: perPage, total });
  });
  app.delete("/api/logs", async (c) => {
    const deleted = await clearLogs(deps.db);
    deps.log.info(`sync log cleared (${deleted} rows)`);
    return c.json({ deleted });
  });
  return app;
}

/** OpenAPI description of these routes. */
export const logsDocs: ApiOperation[] = [
  {
    method: "get",
    path: "/api/logs",
    tags: ["logs"],
    summary: "The sync log, newest first",
    query: logsQuery,
    responses: {
      200: { description: "one page", schema: logsPage },
      400: { description: "invalid query parameter", schema: errorSchema },
    },
  },
  {
    method: "delete",
    path: "/api/logs",
    tags: ["logs"],
    summary: "Clear the sync log (a run in progress keeps its row)",
    responses: { 200: { description: "how many rows were deleted", schema: clearedSchema } },
  },
];
