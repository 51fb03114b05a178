// PLACEHOLDER owned by the dashboard helper: replaced with the real server-rendered pages.
import { Hono } from "hono";
import type { AppDeps } from "../lib/deps.ts";

/** Dashboard pages mounted at /. */
export function pageRoutes(_deps: AppDeps): Hono {
  return new Hono();
}
