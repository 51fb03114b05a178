/**
 * `GarminApi` over the transport: connectapi calls with the DI (or legacy) Bearer token and the Android app's
 * native headers. A token within 15 minutes of expiry is refreshed first; a 401 refreshes once and retries
 * once. The display name (needed in some paths) comes from socialProfile and is cached in the auth row.
 */
import { setAuthDisplayName } from "../../db/auth.ts";
import type { Db } from "../../db/client.ts";
import { GarminBadResponse, NotAuthenticated } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import { NATIVE_HEADERS } from "./constants.ts";
import type { GarminResponse, Transport } from "./http.ts";
import type { BearerSource } from "./session.ts";
import type { GarminActivitySummary, GarminApi, GarminWorkoutSummary } from "./types.ts";

/** Dependencies of the API client. */
export interface ApiDeps {
  db: Db;
  transport: Transport;
  session: BearerSource;
  log: Logger;
  /** Write the display name into the stored row (default true; false while new tokens are being checked). */
  saveDisplayName?: boolean;
}

/** The API client plus a way to drop its cached display name (after a new login). */
export interface GarminApiClient extends GarminApi {
  forgetDisplayName(): void;
}

/** Creates the API client. */
export function createGarminApi(deps: ApiDeps): GarminApiClient {
  const { db, transport, session } = deps;
  let displayName: string | null = null;

  async function call(
    path: string,
    options: { signal?: AbortSignal; download?: boolean } = {},
  ): Promise<GarminResponse> {
    const send = (bearer: string) =>
      transport.request({
        host: "connectapi",
        path,
        headers: {
          ...NATIVE_HEADERS,
          Authorization: `Bearer ${bearer}`,
          Accept: options.download ? "*/*" : "application/json",
        },
        passStatuses: [401],
        download: options.download,
        signal: options.signal,
      });
    const bearer = await session.bearer(options.signal);
    const first = await send(bearer);
    if (first.status !== 401) return first;
    deps.log.info(`Garmin answered 401 for ${first.path}; refreshing the session once`);
    const renewed = await session.afterUnauthorized(bearer, options.signal);
    const second = await send(renewed);
    if (second.status !== 401) return second;
    throw new NotAuthenticated(
      `Garmin refuses the session even after a refresh (401 on ${second.path}): log in again with \`garminsync login\``,
    );
  }

  async function json<T>(path: string, signal?: AbortSignal): Promise<T> {
    return (await call(path, { signal })).json<T>();
  }

  async function profile(signal?: AbortSignal) {
    const p = await json<{ displayName?: unknown; fullName?: unknown; [k: string]: unknown }>(
      "/userprofile-service/socialProfile",
      signal,
    );
    if (!p || typeof p.displayName !== "string" || !p.displayName) {
      throw new GarminBadResponse("Garmin's socialProfile has no displayName");
    }
    if (p.displayName !== displayName) {
      displayName = p.displayName;
      if (deps.saveDisplayName !== false) await setAuthDisplayName(db, p.displayName);
    }
    return p as { displayName: string; fullName?: string; [k: string]: unknown };
  }

  async function name(signal?: AbortSignal): Promise<string> {
    if (displayName) return displayName;
    const row = await session.row();
    if (row?.display_name) return (displayName = row.display_name);
    return (await profile(signal)).displayName;
  }

  function array<T>(v: unknown, what: string): T[] {
    if (v === null) return [];
    if (!Array.isArray(v)) throw new GarminBadResponse(`Garmin's ${what} is not a list`);
    return v as T[];
  }

  function object(v: unknown): Record<string, unknown> | null {
    return v && typeof v === "object" ? v as Record<string, unknown> : null;
  }

  const q = (o: Record<string, string | number>) =>
    new URLSearchParams(Object.entries(o).map(([k, v]) => [k, String(v)])).toString();

  return {
    forgetDisplayName() {
      displayName = null;
    },
    async listActivities(start, limit, signal) {
      const v = await json<unknown>(
        `/activitylist-service/activities/search/activities?${q({ start, limit })}`,
        signal,
      );
      return array<GarminActivitySummary>(v, "activity list");
    },
    async downloadOriginal(activityId, signal) {
      const r = await call(`/download-service/files/activity/${encodeURIComponent(String(activityId))}`, {
        signal,
        download: true,
      });
      return r.bytes;
    },
    async dailySummary(date, signal) {
      const n = await name(signal);
      return object(
        await json(
          `/usersummary-service/usersummary/daily/${encodeURIComponent(n)}?${q({ calendarDate: date })}`,
          signal,
        ),
      );
    },
    async sleep(date, signal) {
      const n = await name(signal);
      return object(
        await json(
          `/wellness-service/wellness/dailySleepData/${encodeURIComponent(n)}?${
            q({ date, nonSleepBufferMinutes: 60 })
          }`,
          signal,
        ),
      );
    },
    async weightRange(from, to, signal) {
      return object(await json(`/weight-service/weight/dateRange?${q({ startDate: from, endDate: to })}`, signal));
    },
    async listWorkouts(start, limit, signal) {
      const v = await json<unknown>(`/workout-service/workouts?${q({ start, limit })}`, signal);
      return array<GarminWorkoutSummary>(v, "workout list");
    },
    async workout(workoutId, signal) {
      const v = object(await json(`/workout-service/workout/${encodeURIComponent(String(workoutId))}`, signal));
      if (!v) throw new GarminBadResponse(`Garmin sent no workout ${workoutId}`);
      return v;
    },
    socialProfile: profile,
  };
}
