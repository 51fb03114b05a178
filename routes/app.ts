/**
 * `createApp(deps)`: the Hono app of the daemon. Middleware order: security headers, the Host check (DNS
 * rebinding, without a token), the 64 KiB body limit (and JSON-only API bodies), the cross-site check, the API
 * token; then one module per resource, the auth routes, and the dashboard last (so no page can shadow an API path).
 */
import { Hono } from "hono";
import type { AppDeps } from "../lib/deps.ts";
import { errorResponse, installErrorHandlers, isApiPath } from "./errors.ts";
import { bodyGuard } from "./validation.ts";
import {
  crossSiteGuard,
  requireApiToken,
  requireKnownHost,
  securityHeaders,
  sessionDocs,
  sessionRoutes,
} from "./security.ts";
import { syncDocs, syncRoutes } from "./sync.ts";
import { statusDocs, statusRoutes } from "./status.ts";
import { scheduleDocs, scheduleRoutes } from "./schedule.ts";
import { logsDocs, logsRoutes } from "./logs.ts";
import { activityDocs, activityRoutes } from "./activities.ts";
import { healthDocs, healthRoutes } from "./health.ts";
import { workoutDocs, workoutRoutes } from "./workouts.ts";
import { authDocs } from "./auth_docs.ts";
import { type ApiOperation, openapiRoutes } from "./openapi.ts";
import { authRoutes } from "./auth.ts";
import { pageRoutes } from "./pages.ts";

/** Largest request body accepted (the contract: over 64 KiB answers 413). */
export const MAX_BODY_BYTES = 64 * 1024;

/** Version of the API description. */
export const API_VERSION = "1.0.0";

/** Every documented operation (the source of /openapi.json). */
export function apiOperations(): ApiOperation[] {
  const openapi: ApiOperation = {
    method: "get",
    path: "/openapi.json",
    tags: ["status"],
    summary: "This API description (OpenAPI 3.1)",
    responses: { 200: { description: "the description", contentType: "application/json" } },
  };
  return [
    ...syncDocs,
    ...statusDocs,
    ...scheduleDocs,
    ...logsDocs,
    ...activityDocs,
    ...healthDocs,
    ...workoutDocs,
    ...authDocs,
    ...sessionDocs,
    openapi,
  ];
}

/** Builds the app from its dependencies; no module-level state, so tests build as many as they like. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  installErrorHandlers(app, deps.log);
  app.use("*", securityHeaders());
  app.use("*", requireKnownHost(deps.config));
  app.use(
    "*",
    bodyGuard({
      maxBytes: MAX_BODY_BYTES,
      onTooLarge: (c) => errorResponse(c, 413, "the request body is larger than 64 KiB: send less"),
      isApiPath,
    }),
  );
  app.use("*", crossSiteGuard());
  app.use("*", requireApiToken(deps.config));
  app.route("/", sessionRoutes(deps.config, deps.clock));
  app.route("/", statusRoutes(deps));
  app.route("/", syncRoutes(deps));
  app.route("/", scheduleRoutes(deps));
  app.route("/", logsRoutes(deps));
  app.route("/", activityRoutes(deps));
  app.route("/", healthRoutes(deps));
  app.route("/", workoutRoutes(deps));
  app.route("/", openapiRoutes(deps, apiOperations, API_VERSION));
  app.route("/garmin/auth", authRoutes(deps));
  app.route("/", pageRoutes(deps));
  return app;
}
