/**
 * The composition of the Garmin client: `createGarmin(...)` wires transport, stored session, API and auth;
 * `ensureSession` is what a sync calls first; `refreshIfStale` is what a daemon calls on a timer.
 */
import type { Db } from "../../db/client.ts";
import type { Config } from "../../lib/config.ts";
import { NotAuthenticated } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import { createGarminApi } from "./api.ts";
import { createGarminAuth, type GarminAuthService } from "./auth.ts";
import { captureTicketInBrowser } from "./browser_login.ts";
import { ANDROID_SERVICE_URL, ANDROID_SSO_CLIENT_ID } from "./constants.ts";
import { createTransport, type Pacer } from "./http.ts";
import { createSession, EXPIRED_MESSAGE } from "./session.ts";
import { createTokenCodec } from "./token_crypto.ts";
import type { ConsumerCache } from "./tokens.ts";
import type { BrowserLoginOptions, GarminApi, GarminAuth, GarminAuthExtras, LoginResult } from "./types.ts";

/** Knobs for tests and tuning; defaults suit the real Garmin. */
export interface GarminHttpOptions {
  retryBaseMs?: number;
  retryMaxMs?: number;
  maxAttempts?: number;
  timeoutMs?: number;
  downloadTimeoutMs?: number;
  maxRateLimitRetries?: number;
  maxPauseMs?: number;
}

/** Options of `createGarmin`. */
export interface CreateGarminOptions {
  db: Db;
  config: Config;
  log: Logger;
  clock?: () => Date;
  http?: GarminHttpOptions;
  /** Share one pacer between clients of the same process (pacing is per process). */
  pacer?: Pacer;
  /** Cross-process refresh lease length and poll interval. */
  lease?: { leaseMs?: number; pollMs?: number };
  /** How long a login waits for its MFA code (default 10 min). */
  pendingTtlMs?: number;
  /** Wait between the portal sign-in page and its POST (default 5 × request delay). */
  portalPauseMs?: number;
  /**
   * Least time between two requests to Garmin, read at every request so a changed setting applies without a
   * restart (default `() => config.requestDelayMs`). Ignored when `pacer` is given (the pacer has its own).
   */
  requestDelayMs?: () => number;
}

/** The auth side with every extra the CLI, API and daemon use. */
export type FullGarminAuth = GarminAuthService & GarminAuthExtras;

/** The Garmin client. */
export interface Garmin {
  api: GarminApi;
  auth: FullGarminAuth;
}

/** Builds the Garmin client on the database, configuration and logger. */
export function createGarmin(options: CreateGarminOptions): Garmin {
  const { db, config, log } = options;
  const clock = options.clock ?? (() => new Date());
  const requestDelayMs = options.requestDelayMs ?? (() => config.requestDelayMs);
  const consumer: ConsumerCache = {};
  const transport = createTransport({
    garminUrl: config.garminUrl,
    requestDelayMs,
    log,
    pacer: options.pacer,
    ...options.http,
  });
  if (config.garminPassword) log.addSecret(config.garminPassword);
  if (config.secretKey) log.addSecret(config.secretKey);
  const session = createSession({
    db,
    transport,
    log,
    codec: createTokenCodec(config.secretKey),
    clock,
    leaseMs: options.lease?.leaseMs,
    pollMs: options.lease?.pollMs,
    consumer,
  });
  const api = createGarminApi({ db, transport, session, log });
  const auth = createGarminAuth({
    db,
    transport,
    session,
    api,
    log,
    clock,
    pendingTtlMs: options.pendingTtlMs,
    portalPauseMs: () => options.portalPauseMs ?? requestDelayMs() * 5,
    consumer,
  });

  async function loginWithBrowser(o: BrowserLoginOptions = {}): Promise<LoginResult> {
    const signInUrl = transport.url(
      "sso",
      `/mobile/sso/en_US/sign-in?${new URLSearchParams({
        clientId: ANDROID_SSO_CLIENT_ID,
        service: ANDROID_SERVICE_URL,
      })}`,
    );
    const { ticket, serviceUrl } = await captureTicketInBrowser({
      signInUrl,
      executablePath: o.executablePath ?? config.browserPath,
      headless: o.headless ?? false,
      timeoutMs: o.timeoutMs ?? 10 * 60_000,
      log,
      onPage: o.onPage,
      notify: o.notify,
    });
    return await auth.completeWithTicket(ticket, serviceUrl, "browser");
  }

  return { api, auth: { ...auth, loginWithBrowser } };
}

/**
 * Makes sure a session is stored before a sync: when none is and GARMIN_EMAIL + GARMIN_PASSWORD are set, logs in
 * with them. MFA, a block or refused credentials fail at once saying so, and are remembered in the database: later
 * syncs fail fast without contacting Garmin until a login succeeds (blocks: for 12 hours). A login waiting for its
 * MFA code is never disturbed. No session and no credentials → NotAuthenticated.
 */
export async function ensureSession(garmin: { auth: GarminAuth }, config: Config): Promise<void> {
  if (await garmin.auth.hasSession()) return;
  if (config.garminEmail && config.garminPassword) {
    const auth = garmin.auth as GarminAuth & Partial<Pick<GarminAuthService, "autoLogin">>;
    const result = auth.autoLogin
      ? await auth.autoLogin(config.garminEmail, config.garminPassword)
      : await auth.login(config.garminEmail, config.garminPassword);
    if (result.status === "mfa_required") {
      throw new NotAuthenticated(
        "Garmin asks for an MFA code to log in with GARMIN_EMAIL/GARMIN_PASSWORD, which a sync cannot enter: run " +
          "`garminsync login` (it prompts for the code) or log in from the dashboard, then sync again",
      );
    }
    return;
  }
  const status = await garmin.auth.status();
  if (status.state === "expired") {
    throw new NotAuthenticated(`${EXPIRED_MESSAGE}; or set GARMIN_EMAIL and GARMIN_PASSWORD`);
  }
  throw new NotAuthenticated(
    "not logged in to Garmin Connect: run `garminsync login` (or --browser, --ticket, --import), log in from the " +
      "dashboard, or set GARMIN_EMAIL and GARMIN_PASSWORD",
  );
}

/**
 * A startup step: when GARMINSYNC_SECRET_KEY is set and the stored tokens are still in plaintext (saved before the
 * key was set), encrypts them now instead of at the next refresh. True when it did. (The session also does this on
 * its first load, so a process that never calls this still encrypts before it uses the tokens.)
 */
export async function secureStoredTokens(garmin: { auth: GarminAuth }): Promise<boolean> {
  const auth = garmin.auth as GarminAuth & Partial<Pick<GarminAuthService, "secureStoredTokens">>;
  return auth.secureStoredTokens ? await auth.secureStoredTokens() : false;
}

/** For a daemon timer: refreshes an idle session once `maxAgeMs` (default 24 h) after its last refresh. */
export async function refreshIfStale(garmin: { auth: GarminAuth }, maxAgeMs?: number): Promise<boolean> {
  const auth = garmin.auth as GarminAuth & Partial<GarminAuthExtras>;
  return auth.refreshIfStale ? await auth.refreshIfStale(maxAgeMs) : false;
}

/**
 * For the daemon: checks every `everyMs` (default 1 h) and refreshes an idle session once a day, so the
 * refresh token's window keeps rolling when no sync runs. Failures are logged, never thrown. Call `stop()` on
 * shutdown.
 */
export function startIdleRefresh(
  garmin: { auth: GarminAuth },
  log: Logger,
  options: { everyMs?: number; maxAgeMs?: number } = {},
): { stop(): void } {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      if (await refreshIfStale(garmin, options.maxAgeMs)) log.info("refreshed the idle Garmin session");
    } catch (e) {
      log.warn(`could not refresh the idle Garmin session: ${e instanceof Error ? e.message : e}`);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(tick, options.everyMs ?? 3600_000);
  return { stop: () => clearInterval(timer) };
}
