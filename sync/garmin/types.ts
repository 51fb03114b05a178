/**
 * The small interface the rest of GarminSync uses to talk to Garmin Connect. The implementation
 * (`sync/garmin/`) owns HTTP, pacing, retries, login flows and tokens; callers see only these calls.
 */

/** One item of `/activitylist-service/activities/search/activities` (only the fields we read are typed). */
export interface GarminActivitySummary {
  activityId: number;
  activityName?: string | null;
  startTimeLocal: string; // "YYYY-MM-DD HH:MM:SS"
  startTimeGMT?: string | null;
  activityType?: { typeKey?: string; typeId?: number } | null;
  duration?: number | null;
  distance?: number | null;
  calories?: number | null;
  averageHR?: number | null;
  maxHR?: number | null;
  manualActivity?: boolean | null;
  [key: string]: unknown;
}

/** One item of `/workout-service/workouts`. */
export interface GarminWorkoutSummary {
  workoutId: number;
  workoutName?: string | null;
  updatedDate?: string | null;
  updateDate?: string | null;
  createdDate?: string | null;
  sportType?: { sportTypeKey?: string } | null;
  [key: string]: unknown;
}

/** Data calls. Each throws a typed error from lib/errors.ts (NotAuthenticated, GarminNotFound, GarminRateLimited...). */
export interface GarminApi {
  /** Newest first; `start` is the offset, `limit` the page size. */
  listActivities(start: number, limit: number, signal?: AbortSignal): Promise<GarminActivitySummary[]>;
  /** The original-file ZIP bytes (`/download-service/files/activity/{id}`); GarminNotFound when Garmin has none. */
  downloadOriginal(activityId: number, signal?: AbortSignal): Promise<Uint8Array>;
  /** `/usersummary-service/usersummary/daily/{displayName}?calendarDate=`; null on 204/no data. */
  dailySummary(date: string, signal?: AbortSignal): Promise<Record<string, unknown> | null>;
  /** `/wellness-service/wellness/dailySleepData/{displayName}?date=`; null on 204/no data. */
  sleep(date: string, signal?: AbortSignal): Promise<Record<string, unknown> | null>;
  /** `/weight-service/weight/dateRange?startDate=&endDate=`. */
  weightRange(from: string, to: string, signal?: AbortSignal): Promise<Record<string, unknown> | null>;
  /** `/workout-service/workouts?start=&limit=`. */
  listWorkouts(start: number, limit: number, signal?: AbortSignal): Promise<GarminWorkoutSummary[]>;
  /** `/workout-service/workout/{id}`. */
  workout(workoutId: number, signal?: AbortSignal): Promise<Record<string, unknown>>;
  /** `/userprofile-service/socialProfile`. */
  socialProfile(signal?: AbortSignal): Promise<{ displayName: string; fullName?: string; [key: string]: unknown }>;
}

/** Result of a password login or MFA step. */
export type LoginResult = { status: "authenticated"; displayName?: string } | { status: "mfa_required" };

/** What `auth status` shows: never a token. */
export interface AuthStatus {
  authenticated: boolean;
  method: string | null;
  display_name: string | null;
  access_expires_at: string | null;
  refresh_expires_at: string | null;
  last_refresh_at: string | null;
  /**
   * "active" | "expired" | "key_mismatch" (encrypted tokens that GARMINSYNC_SECRET_KEY does not open) |
   * "unreadable" | null when nothing is stored.
   */
  state?: string | null;
}

/** Login, tokens and session management. */
export interface GarminAuth {
  /** Mobile JSON login (portal as fallback). Keeps a pending MFA login for 10 minutes. */
  login(email: string, password: string): Promise<LoginResult>;
  /** Finishes the pending login. InvalidMfaCode (pending stays), NoPendingLogin. */
  submitMfa(code: string): Promise<LoginResult>;
  /** python-garminconnect `garmin_tokens.json` object, or garth `{oauth1, oauth2}`. */
  importTokens(data: unknown): Promise<LoginResult>;
  /** A service ticket from a browser login; `serviceUrl` defaults to the mobile sign-in's. */
  loginWithTicket(ticket: string, serviceUrl?: string): Promise<LoginResult>;
  status(): Promise<AuthStatus>;
  logout(): Promise<void>;
  /** True when a usable (active) session is stored. Cheap: no network. */
  hasSession(): Promise<boolean>;
}

/** Options of a browser sign-in (`login --browser`). */
export interface BrowserLoginOptions {
  /** Chromium/Chrome binary; default the configured GARMINSYNC_BROWSER (config.browserPath), else /usr/bin/chromium. */
  executablePath?: string;
  /** Headless (tests, automation); default false: a window for a person. */
  headless?: boolean;
  /** How long to wait for the sign-in to finish (default 10 minutes). */
  timeoutMs?: number;
  /** Called with the Playwright page once the sign-in page is open (automation and tests fill the form here). */
  onPage?: (page: unknown) => Promise<void>;
  /** Progress messages for the person ("a browser window opened ..."). */
  notify?: (message: string) => void;
}

/** Optional extras of the full implementation (sync/garmin/garmin.ts), for the CLI, API and daemon. */
export interface GarminAuthExtras {
  /** Opens a browser on Garmin's sign-in page, captures the service ticket, exchanges it. */
  loginWithBrowser(options?: BrowserLoginOptions): Promise<LoginResult>;
  /** Refreshes the tokens now. */
  refreshNow(): Promise<void>;
  /** Refreshes when the last refresh is older than `maxAgeMs` (default 24 h); for a daemon timer. */
  refreshIfStale(maxAgeMs?: number): Promise<boolean>;
}
