// PLACEHOLDER owned by the auth helper: replaced with the real /garmin/auth routes.
import { Hono } from "hono";
import type { AppDeps } from "../lib/deps.ts";

/** Routes mounted at /garmin/auth: login, mfa, import, status, logout. */
export function authRoutes(_deps: AppDeps): Hono {
  return new Hono();
}
