/**
 * GET /api/workouts: the stored workouts.
 */
import { Hono } from "hono";
import type { AppDeps } from "../lib/deps.ts";
import { listWorkouts } from "../db/workouts.ts";
import { workoutsAnswerSchema } from "./schemas.ts";
import type { ApiOperation } from "./openapi.ts";

/** Routes: GET /api/workouts. */
export function workoutRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.get("/api/workouts", async (c) => {
    const items = await listWorkouts(deps.db);
    return c.json({ items, total: items.length });
  });
  return app;
}

/** OpenAPI description of these routes. */
export const workoutDocs: ApiOperation[] = [{
  method: "get",
  path: "/api/workouts",
  tags: ["workouts"],
  summary: "The stored workouts (list and detail synced from Garmin)",
  responses: { 200: { description: "every stored workout", schema: workoutsAnswerSchema } },
}];
