/**
 * The one error handler of the app. Typed errors from lib/errors.ts answer with their own status and
 * `{error, ...extra}`; Hono's HTTP exceptions (malformed JSON, body too large) keep their status; anything else is
 * a bug: 500 with a generic message, the details only in the (redacted) log. API paths answer JSON, dashboard
 * paths the HTML error page.
 */
import type { Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { GarminSyncError } from "../lib/errors.ts";
import type { Logger } from "../lib/log.ts";
import { renderErrorPage } from "../ui/error_page.ts";

/** Paths that answer JSON (everything else is the dashboard). */
export function isApiPath(path: string): boolean {
  return path === "/api" || path.startsWith("/api/") || path === "/garmin" || path.startsWith("/garmin/") ||
    path === "/openapi.json" || path === "/healthz";
}

/** The message of the 404 for a route that does not exist (tests tell it apart from "no such activity"). */
export function unknownRouteMessage(method: string, path: string): string {
  return `no route ${method} ${path}: see GET /openapi.json for the API`;
}

/** Answers an error in the form the path calls for: JSON for the API, an HTML page for the dashboard. */
export function errorResponse(
  c: Context,
  status: number,
  message: string,
  extra: Record<string, unknown> = {},
): Response {
  const code = status as ContentfulStatusCode;
  if (isApiPath(c.req.path)) return c.json({ ...extra, error: message }, code);
  return c.html(renderErrorPage(status, message), code);
}

const HTTP_MESSAGES: Record<number, string> = {
  400: "the request is malformed: check its JSON and parameters",
  403: "forbidden: cross-site form posts are refused",
  413: "the request body is larger than 64 KiB: send less",
};

/** Installs `onError` and `notFound` on `app`. */
export function installErrorHandlers(app: Hono, log: Logger): void {
  app.onError((err, c) => {
    if (err instanceof GarminSyncError) {
      if (err.status >= 500) log.warn(`${c.req.method} ${c.req.path}: ${err.name}: ${err.message}`);
      return errorResponse(c, err.status, log.redact(err.message), err.extra);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      const message = status === 400 && /json/i.test(err.message)
        ? "the request body is not valid JSON: fix its syntax (and send Content-Type: application/json)"
        : HTTP_MESSAGES[status] ?? (err.message || `HTTP ${status}`);
      return errorResponse(c, status, message);
    }
    const detail = err instanceof Error ? err.stack ?? err.message : String(err);
    log.error(`${c.req.method} ${c.req.path} failed with an unexpected error: ${detail}`);
    return errorResponse(c, 500, "internal error: GarminSync hit a bug; the details are in its log");
  });
  app.notFound((c) =>
    errorResponse(
      c,
      404,
      isApiPath(c.req.path) ? unknownRouteMessage(c.req.method, c.req.path) : "this page does not exist",
    )
  );
}
