/**
 * Garmin Connect simulator: one loopback HTTP server that answers the paths of sso.garmin.com, connect.garmin.com,
 * connectapi.garmin.com, diauth.garmin.com and the OAuth-consumer URL, speaking the protocol of
 * `garmin_protocol.md` and `garmin_auth_2026.md`, with switchable faults. Used in-process by tests and standalone
 * by `sim/main.ts`. Built on `node:http` so that dropped connections and cut bodies really happen on the wire.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import type { Socket } from "node:net";
import {
  bodyBatteryReport,
  buildActivity,
  dailySummary,
  type DataOwner,
  fitSportOf,
  generateActivities,
  generateWorkouts,
  type HealthWindow,
  heartRate,
  hrv,
  isoDate,
  LOCAL_OFFSET_MIN,
  parseDate,
  prngFor,
  type SimWorkout,
  sleepData,
  stress,
  weighIn,
  workoutDetail,
  workoutSummary,
} from "./data.ts";
import { type FitTemplates, renderFit, zipEntry } from "./fit.ts";
import { verifyOAuth1 } from "./oauth1.ts";
import { controlRefusal, controlReply, isControlPath } from "./control.ts";
import {
  browserSignInPage,
  cloudflareChallengePage,
  cloudflareRateLimitPage,
  embedPage,
  tomcat401Page,
  unexpectedHtmlPage,
  widgetMfaPage,
  widgetSignInPage,
  widgetSuccessPage,
} from "./pages.ts";

/** The simulated Garmin account. */
export interface SimAccount {
  email: string;
  password: string;
  displayName: string;
  fullName: string;
  mfa: boolean;
  mfaCode: string;
}

/** Options of `startSimulator`; every field has a default. */
export interface SimOptions {
  /** Default 0 (a random free port). */
  port?: number;
  /** Default "127.0.0.1". */
  hostname?: string;
  /** Defaults: athlete@example.com / correct-horse-battery, demo_athlete, "Demo Athlete", no MFA, code "123456". */
  account?: Partial<SimAccount>;
  /** Default 25; deterministic from `seed`; newest first ending about "now"; one in 20 is a manual entry (no file). */
  activities?: number;
  /** Default 30: days of health data ending today (today's numbers change on every request). */
  healthDays?: number;
  /** Default 5. */
  workouts?: number;
  /** Default 1. */
  seed?: number;
  /** `expires_in` of issued access tokens (DI and OAuth2); default 3600. */
  accessTokenTtlSec?: number;
  /** Default 2592000 (30 days). */
  refreshTokenTtlSec?: number;
  /** Default 0: each original download waits this long before answering. */
  downloadDelayMs?: number;
  /** Default 60: record messages per generated FIT file. */
  fitRecords?: number;
  /** Clock; default `() => new Date()`. */
  now?: () => Date;
  /** Default true: no request logging. When false, one line per request on stderr. */
  quiet?: boolean;
  /** DI client ids the token endpoint refuses with 401 invalid_client (to exercise a client's fallback list). */
  rejectDiClientIds?: string[];
  /**
   * Default true, as Garmin does since June 2026: DI access tokens exchanged from a ticket whose service URL ends in
   * `/sso/embed` (the classic widget) are refused by connectapi with 401 "Token is not active".
   */
  rejectWidgetDiTokens?: boolean;
  /** Service-ticket lifetime in seconds; default 300. */
  ticketTtlSec?: number;
  /** How long a pending MFA login waits for its code, in seconds; default 600. */
  mfaTtlSec?: number;
}

/** One activity as the simulator holds it; `summary` is the list-item JSON (mutable by tests). */
export interface SimActivity {
  activityId: number;
  manual: boolean;
  summary: Record<string, unknown>;
}

/** One recorded request. */
export interface SimRequest {
  method: string;
  /** Path plus query string, as sent. */
  path: string;
  /** Status answered; 0 when the connection was dropped without an answer. */
  status: number;
  /** Clock time (ms) when the request arrived. */
  at: number;
}

/** A queued fault: the first queued fault whose `match` fits the request's path+query is applied. */
export type Fault =
  & { match: string | RegExp; times?: number }
  & (
    | { kind: "status"; status: number; body?: string; headers?: Record<string, string> }
    | { kind: "rate_limit"; retryAfter?: number | string }
    | { kind: "drop" }
    | { kind: "truncate" }
    | { kind: "slow"; delayMs: number }
    | { kind: "cloudflare" }
    | { kind: "captcha" }
    | { kind: "json_429" }
    | { kind: "html" }
    | { kind: "corrupt_zip" }
    | { kind: "not_fit" }
    | { kind: "bad_fit_crc" }
  );

/** Counters of successful (or, for password logins, attempted) auth operations. */
export interface SimCounters {
  /** Credential POSTs that reached the account check (mobile, portal and widget), whatever their outcome. */
  passwordLogins: number;
  /** MFA codes accepted. */
  mfaVerifications: number;
  /** Service tickets exchanged for DI tokens. */
  diExchanges: number;
  /** DI refresh-token grants answered with a new pair. */
  diRefreshes: number;
  /** OAuth1 tokens issued by `preauthorized`. */
  oauth1Preauthorized: number;
  /** OAuth2 tokens issued by `exchange/user/2.0`. */
  oauth2Exchanges: number;
}

/** A running simulator. */
export interface Simulator {
  /** "http://127.0.0.1:PORT" */
  url: string;
  account: SimAccount;
  /** Newest first, mutable. */
  activities: SimActivity[];
  /** Queues a fault; the first matching queued fault is applied and its `times` decremented. */
  fault(f: Fault): void;
  clearFaults(): void;
  /** The queued faults in the order they are tried, each with the uses it has left (Infinity: every request). */
  queuedFaults(): { fault: Fault; left: number }[];
  /** Recorded requests (all, or those whose path+query matches). */
  calls(match?: string | RegExp): SimRequest[];
  resetCalls(): void;
  /** Adds `n` new newest activities (started after the current newest, before now) and returns them. */
  addActivities(n: number, options?: { manual?: boolean }): SimActivity[];
  /** Bumps the workout's updatedDate (and changes its detail). */
  touchWorkout(workoutId: number): void;
  workoutIds(): number[];
  /** Every access token issued so far now answers 401. */
  expireAccessTokens(): void;
  /** Every refresh token (and OAuth1 token) issued so far is refused (400 invalid_grant / 401). */
  revokeRefreshTokens(): void;
  counters(): SimCounters;
  /** Every access/refresh token, service ticket, OAuth1 token/secret and MFA token issued, plus the password. */
  issuedSecrets(): string[];
  close(): Promise<void>;
}

/** The DI OAuth2 client ids the token endpoint knows (python-garminconnect's list). */
export const DI_CLIENT_IDS = [
  "GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2",
  "GARMIN_CONNECT_MOBILE_ANDROID_DI_2024Q4",
  "GARMIN_CONNECT_MOBILE_ANDROID_DI",
  "GARMIN_CONNECT_MOBILE_IOS_DI",
];
/** The grant type of a service-ticket exchange at the DI token endpoint. */
export const DI_TICKET_GRANT = "https://connectapi.garmin.com/di-oauth2-service/oauth/grant/service_ticket";
/** The classic widget's service URL, used when `/sso/signin` gets no `service` parameter. */
export const WIDGET_SERVICE_URL = "https://sso.garmin.com/sso/embed";

const DEFAULT_ACCOUNT: SimAccount = {
  email: "athlete@example.com",
  password: "correct-horse-battery",
  displayName: "demo_athlete",
  fullName: "Demo Athlete",
  mfa: false,
  mfaCode: "123456",
};

const MAX_BODY = 1 << 20;
const LIST_LIMIT_CAP = 1000;
const DI_SCOPE = "COMMUNITY_COURSE_READ GARMINPAY_WRITE GOLF_API_READ ATP_READ GHS_SAMD GHS_UPLOAD INSIGHTS_READ " +
  "COMMUNITY_COURSE_WRITE CONNECT_WRITE GCOFFER_WRITE GARMINPAY_READ DT_CLIENT_ANALYTICS_WRITE GOLF_API_WRITE " +
  "INSIGHTS_WRITE PRODUCT_SEARCH_READ GCOFFER_READ CONNECT_READ ATP_WRITE";

interface Reply {
  status: number;
  headers: Record<string, string | string[]>;
  body: string | Uint8Array;
}

interface Ctx {
  method: string;
  path: string;
  query: URLSearchParams;
  pathAndQuery: string;
  host: string;
  headers: IncomingMessage["headers"];
  body: Uint8Array;
  cookies: Map<string, string>;
  setCookies: string[];
  downloadFault?: "corrupt_zip" | "not_fit" | "bad_fit_crc";
}

interface PendingMfa {
  kind: "json" | "widget";
  service: string;
  signinQuery: string;
  expiresMs: number;
}

interface Session {
  id: string;
  pendingMfa?: PendingMfa;
}

interface Ticket {
  service: string;
  expiresMs: number;
  used: boolean;
  mfa: boolean;
}

interface AccessToken {
  expMs: number;
  expired: boolean;
  /** DI tokens minted from a widget (`/sso/embed`) ticket: connectapi refuses them since June 2026. */
  widgetAudience: boolean;
}

interface RefreshToken {
  clientId: string;
  widgetAudience: boolean;
  expMs: number;
  spent: boolean;
  revoked: boolean;
}

interface OAuth1Token {
  secret: string;
  revoked: boolean;
}

interface QueuedFault {
  fault: Fault;
  left: number;
}

function json(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { "content-type": "application/json;charset=UTF-8", ...headers },
    body: JSON.stringify(value),
  };
}

function html(status: number, body: string, headers: Record<string, string> = {}): Reply {
  return { status, headers: { "content-type": "text/html;charset=UTF-8", ...headers }, body };
}

function text(status: number, body: string, headers: Record<string, string> = {}): Reply {
  return { status, headers: { "content-type": "text/plain;charset=utf-8", ...headers }, body };
}

function empty(status: number, headers: Record<string, string> = {}): Reply {
  return { status, headers, body: "" };
}

function notFound(): Reply {
  return json(404, { message: "Not Found", error: "NotFoundException" });
}

function badRequest(message: string): Reply {
  return json(400, { message, error: "BadRequestException" });
}

function base64url(data: string | Uint8Array): string {
  const b64 = typeof data === "string" ? btoa(data) : btoa(String.fromCharCode(...data));
  return b64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomAlnum(n: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(n);
  let s = "";
  for (let i = 0; i < n; i++) s += alphabet[bytes[i] % alphabet.length];
  return s;
}

function randomHex(bytes: number, upper = false): string {
  const s = randomBytes(bytes).toString("hex");
  return upper ? s.toUpperCase() : s;
}

function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

function maskEmail(email: string): string {
  const [user, domain] = email.split("@");
  return `${user.slice(0, 2)}*****@${domain ?? ""}`;
}

function matches(match: string | RegExp | undefined, pathAndQuery: string): boolean {
  if (match === undefined) return true;
  if (typeof match === "string") return pathAndQuery.includes(match);
  match.lastIndex = 0;
  return match.test(pathAndQuery);
}

/** Parses a urlencoded or multipart form body into pairs (Response.formData does both). */
async function readForm(ctx: Ctx): Promise<[string, string][]> {
  const type = String(ctx.headers["content-type"] ?? "");
  if (type.includes("multipart/form-data") || type.includes("application/x-www-form-urlencoded")) {
    try {
      const form = await new Response(ctx.body as Uint8Array<ArrayBuffer>, { headers: { "content-type": type } })
        .formData();
      return [...form.entries()].map(([k, v]) => [k, typeof v === "string" ? v : ""]);
    } catch {
      return [];
    }
  }
  if (ctx.body.length === 0) return [];
  // Some clients send a form without a content type: read it as urlencoded, as Garmin's servlet would.
  return [...new URLSearchParams(new TextDecoder().decode(ctx.body)).entries()];
}

function urlencodedPairs(ctx: Ctx): [string, string][] {
  const type = String(ctx.headers["content-type"] ?? "");
  if (!type.includes("application/x-www-form-urlencoded")) return [];
  return [...new URLSearchParams(new TextDecoder().decode(ctx.body)).entries()];
}

function readJson(ctx: Ctx): Record<string, unknown> | null {
  try {
    const v = JSON.parse(new TextDecoder().decode(ctx.body));
    return v && typeof v === "object" && !Array.isArray(v) ? v as Record<string, unknown> : null;
  } catch {
    return null;
  }
}

function intParam(query: URLSearchParams, name: string, fallback: number): number | null {
  const raw = query.get(name);
  if (raw === null || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) return null;
  return Number(raw);
}

/** Starts a simulator on loopback and resolves once it listens. */
export async function startSimulator(options: SimOptions = {}): Promise<Simulator> {
  const now = options.now ?? (() => new Date());
  const seed = options.seed ?? 1;
  const account: SimAccount = { ...DEFAULT_ACCOUNT, ...options.account };
  const accessTtl = options.accessTokenTtlSec ?? 3600;
  const refreshTtl = options.refreshTokenTtlSec ?? 2_592_000;
  const ticketTtlMs = (options.ticketTtlSec ?? 300) * 1000;
  const mfaTtlMs = (options.mfaTtlSec ?? 600) * 1000;
  const fitRecords = options.fitRecords ?? 60;
  const downloadDelayMs = options.downloadDelayMs ?? 0;
  const healthDays = options.healthDays ?? 30;
  const quiet = options.quiet ?? true;
  const rejectedClientIds = new Set(options.rejectDiClientIds ?? []);
  const rejectWidgetDi = options.rejectWidgetDiTokens ?? true;

  const profileRand = prngFor(seed, "profile");
  const profileId = 80_000_000 + Math.floor(profileRand() * 10_000_000);
  const garminGuid = randomUUID();
  const owner = (): DataOwner => ({ profileId, displayName: account.displayName, fullName: account.fullName });
  const jwtKey = randomBytes(32);
  const consumer = { key: randomUUID(), secret: randomAlnum(30) };

  const activities: SimActivity[] = generateActivities(seed, owner(), options.activities ?? 25, now().getTime());
  const workouts: SimWorkout[] = generateWorkouts(seed, options.workouts ?? 5, now().getTime());
  const templates: FitTemplates = new Map();

  const sessions = new Map<string, Session>();
  const csrfTokens = new Set<string>();
  const loginTokens = new Map<string, { service: string; expiresMs: number }>();
  const tickets = new Map<string, Ticket>();
  const accessTokens = new Map<string, AccessToken>();
  const refreshTokens = new Map<string, RefreshToken>();
  const oauth1Tokens = new Map<string, OAuth1Token>();
  const secrets = new Set<string>([account.password]);
  const faults: QueuedFault[] = [];
  let recorded: SimRequest[] = [];
  const counters: SimCounters = {
    passwordLogins: 0,
    mfaVerifications: 0,
    diExchanges: 0,
    diRefreshes: 0,
    oauth1Preauthorized: 0,
    oauth2Exchanges: 0,
  };
  let todayTick = 0;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const sockets = new Set<Socket>();
  let closed = false;

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (closed) return;
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });
  }

  function healthWindow(): HealthWindow {
    const todayMs = parseDate(isoDate(now().getTime()));
    return { todayMs, firstMs: todayMs - (healthDays - 1) * 86_400_000 };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Sessions, tickets and tokens

  function session(ctx: Ctx, create: boolean): Session | undefined {
    const id = ctx.cookies.get("SESSION");
    const found = id ? sessions.get(id) : undefined;
    if (found || !create) return found;
    const s: Session = { id: randomHex(16, true) };
    sessions.set(s.id, s);
    ctx.setCookies.push(`SESSION=${s.id}; Path=/; HttpOnly; SameSite=Lax`);
    if (!ctx.cookies.has("__cflb")) ctx.setCookies.push(`__cflb=${randomHex(12)}; Path=/; HttpOnly`);
    return s;
  }

  function signedIn(ctx: Ctx): void {
    ctx.setCookies.push(`GARMIN-SSO=1; Path=/`, `GARMIN-SSO-CUST-GUID=${garminGuid}; Path=/`);
  }

  function newCsrf(): string {
    const token = randomHex(50, true);
    csrfTokens.add(token);
    return token;
  }

  function issueTicket(service: string, suffix: "sso" | "cas", mfa: boolean): string {
    const id = `ST-${String(Math.floor(Math.random() * 10_000_000)).padStart(7, "0")}-${randomAlnum(20)}-${suffix}`;
    tickets.set(id, { service, expiresMs: now().getTime() + ticketTtlMs, used: false, mfa });
    secrets.add(id);
    return id;
  }

  /** Looks a ticket up and spends it (CAS tickets are single use, even when the check that follows fails). */
  function takeTicket(id: string | null): Ticket | null {
    if (!id) return null;
    const t = tickets.get(id);
    if (!t || t.used || t.expiresMs <= now().getTime()) return null;
    t.used = true;
    return t;
  }

  function issueAccessToken(clientId: string, widgetAudience = false): { token: string; jti: string } {
    const iat = Math.floor(now().getTime() / 1000);
    const jti = randomUUID();
    const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
    const payload = base64url(JSON.stringify({
      scope: DI_SCOPE.split(" "),
      iss: "https://diauth.garmin.com",
      client_id: clientId,
      sub: garminGuid,
      garmin_guid: garminGuid,
      jti,
      iat,
      exp: iat + accessTtl,
    }));
    const signature = base64url(createHmac("sha256", jwtKey).update(`${header}.${payload}`).digest());
    const token = `${header}.${payload}.${signature}`;
    accessTokens.set(token, { expMs: (iat + accessTtl) * 1000, expired: false, widgetAudience });
    secrets.add(token);
    return { token, jti };
  }

  function issueRefreshToken(clientId: string, widgetAudience: boolean): string {
    const token = `${randomUUID()}.${randomAlnum(40)}`;
    const expMs = now().getTime() + refreshTtl * 1000;
    refreshTokens.set(token, { clientId, widgetAudience, expMs, spent: false, revoked: false });
    secrets.add(token);
    return token;
  }

  function tokenResponse(
    clientId: string,
    tokenType: "bearer" | "Bearer",
    widgetAudience = false,
  ): Record<string, unknown> {
    const access = issueAccessToken(clientId, widgetAudience);
    return {
      scope: DI_SCOPE,
      jti: access.jti,
      access_token: access.token,
      token_type: tokenType,
      refresh_token: issueRefreshToken(clientId, widgetAudience),
      expires_in: accessTtl,
      refresh_token_expires_in: refreshTtl,
      customerId: garminGuid,
    };
  }

  function bearerOk(ctx: Ctx): boolean {
    const header = String(ctx.headers["authorization"] ?? "");
    const m = /^bearer\s+(\S+)$/i.exec(header.trim());
    if (!m) return false;
    const t = accessTokens.get(m[1]);
    return !!t && !t.expired && !(t.widgetAudience && rejectWidgetDi) && t.expMs > now().getTime();
  }

  function unauthorized(): Reply {
    return html(401, tomcat401Page(), {
      "www-authenticate": 'Bearer error="invalid_token", error_description="Token is not active"',
    });
  }

  // -------------------------------------------------------------------------------------------------------------
  // SSO: mobile/portal JSON flow

  function loginJson(type: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      serviceURL: null,
      serviceTicketId: null,
      responseStatus: { type, message: "", httpStatus: "OK" },
      responseReason: null,
      customerMfaInfo: null,
      consentTypeList: null,
      captchaAlreadyPassed: false,
      samlResponse: null,
      authType: null,
      ...extra,
    };
  }

  function jsonLogin(ctx: Ctx): Reply {
    const service = ctx.query.get("service");
    const clientId = ctx.query.get("clientId");
    const body = readJson(ctx);
    if (!service || !clientId || !body || typeof body.username !== "string" || typeof body.password !== "string") {
      return json(
        400,
        loginJson("INVALID_REQUEST", {
          responseStatus: { type: "INVALID_REQUEST", message: "badRequest", httpStatus: "BAD_REQUEST" },
        }),
      );
    }
    counters.passwordLogins++;
    const s = session(ctx, true)!;
    if (body.username.toLowerCase() !== account.email.toLowerCase() || body.password !== account.password) {
      return json(
        401,
        loginJson("INVALID_USERNAME_PASSWORD", {
          responseStatus: {
            type: "INVALID_USERNAME_PASSWORD",
            message: "generalLoginInvalidUsernameOrPassword",
            httpStatus: "UNAUTHORIZED",
          },
        }),
      );
    }
    if (account.mfa) {
      s.pendingMfa = { kind: "json", service, signinQuery: "", expiresMs: now().getTime() + mfaTtlMs };
      return json(
        200,
        loginJson("MFA_REQUIRED", {
          customerMfaInfo: {
            email: maskEmail(account.email),
            phoneNumber: null,
            mfaLastMethodUsed: "email",
            defaultMfaMethod: null,
            mfaUISetting: { allowPhoneOption: true, allowAddEmailAddress: false, chooseDifferentWayShown: false },
          },
          consentTypeList: [],
        }),
      );
    }
    signedIn(ctx);
    return json(
      200,
      loginJson("SUCCESSFUL", {
        serviceURL: service,
        serviceTicketId: issueTicket(service, "sso", false),
        authType: "CAS",
      }),
    );
  }

  function jsonVerifyMfa(ctx: Ctx): Reply {
    const s = session(ctx, false);
    const pending = s?.pendingMfa;
    if (!s || !pending || pending.kind !== "json" || pending.expiresMs <= now().getTime()) {
      if (s && pending && pending.expiresMs <= now().getTime()) delete s.pendingMfa;
      return json(
        401,
        loginJson("MFA_SESSION_EXPIRED", {
          responseStatus: { type: "MFA_SESSION_EXPIRED", message: "mfaSessionExpired", httpStatus: "UNAUTHORIZED" },
        }),
      );
    }
    const body = readJson(ctx);
    const code = body ? String(body.mfaVerificationCode ?? "").trim() : "";
    if (code !== account.mfaCode) {
      return json(
        400,
        loginJson("INVALID_MFA_CODE", {
          responseStatus: { type: "INVALID_MFA_CODE", message: "mfaCodeInvalid", httpStatus: "BAD_REQUEST" },
        }),
      );
    }
    delete s.pendingMfa;
    counters.mfaVerifications++;
    const service = ctx.query.get("service") || pending.service;
    signedIn(ctx);
    return json(200, {
      serviceURL: service,
      serviceTicketId: issueTicket(service, "sso", true),
      responseStatus: { type: "SUCCESSFUL", message: "", httpStatus: "OK" },
      responseReason: null,
      samlResponse: null,
      authType: "CAS",
    });
  }

  // -------------------------------------------------------------------------------------------------------------
  // SSO: classic widget flow

  function widgetSignInGet(ctx: Ctx): Reply {
    session(ctx, true);
    return html(200, widgetSignInPage(newCsrf(), false));
  }

  async function widgetSignInPost(ctx: Ctx): Promise<Reply> {
    const form = new Map(await readForm(ctx));
    const s = session(ctx, true)!;
    const csrf = form.get("_csrf");
    if (!csrf || !csrfTokens.has(csrf)) {
      return html(403, `<html><head><title>Forbidden</title></head><body>Invalid CSRF Token</body></html>`);
    }
    counters.passwordLogins++;
    const username = form.get("username") ?? "";
    if (username.toLowerCase() !== account.email.toLowerCase() || form.get("password") !== account.password) {
      return html(401, widgetSignInPage(newCsrf(), true));
    }
    const service = ctx.query.get("service") || WIDGET_SERVICE_URL;
    if (account.mfa) {
      const signinQuery = ctx.query.toString();
      s.pendingMfa = { kind: "widget", service, signinQuery, expiresMs: now().getTime() + mfaTtlMs };
      return empty(302, {
        location: `http://${ctx.host}/sso/verifyMFA/loginEnterMfaCode?${signinQuery}`,
        "content-length": "0",
      });
    }
    signedIn(ctx);
    ctx.setCookies.push(`CASTGC=TGT-${randomAlnum(24)}-cas; Path=/sso; HttpOnly`);
    return html(200, widgetSuccessPage(service, issueTicket(service, "cas", false)));
  }

  function widgetPending(ctx: Ctx): PendingMfa | null {
    const p = session(ctx, false)?.pendingMfa;
    return p && p.kind === "widget" && p.expiresMs > now().getTime() ? p : null;
  }

  function widgetMfaGet(ctx: Ctx): Reply {
    if (!widgetPending(ctx)) return html(200, widgetSignInPage(newCsrf(), false));
    return html(200, widgetMfaPage(newCsrf(), { customerGuid: garminGuid, codeSentTo: maskEmail(account.email) }));
  }

  async function widgetMfaPost(ctx: Ctx): Promise<Reply> {
    const pending = widgetPending(ctx);
    if (!pending) return html(200, widgetSignInPage(newCsrf(), false));
    const form = new Map(await readForm(ctx));
    const csrf = form.get("_csrf");
    const code = (form.get("mfa-code") ?? "").trim();
    if (!csrf || !csrfTokens.has(csrf) || code !== account.mfaCode) {
      return html(200, widgetMfaPage(null, { customerGuid: garminGuid, codeSentTo: maskEmail(account.email) }));
    }
    delete session(ctx, false)!.pendingMfa;
    counters.mfaVerifications++;
    const loginToken = randomAlnum(10);
    loginTokens.set(loginToken, { service: pending.service, expiresMs: now().getTime() + ticketTtlMs });
    const q = new URLSearchParams({
      logintoken: loginToken,
      service: pending.service,
      locale: "en",
      embed: "true",
      source: pending.service,
      redirectAfterAccountLoginUrl: pending.service,
      embedWidget: "true",
    });
    return empty(302, { location: `http://${ctx.host}/sso/login?${q}`, "content-length": "0" });
  }

  function widgetLoginToken(ctx: Ctx): Reply {
    const token = ctx.query.get("logintoken") ?? "";
    const entry = loginTokens.get(token);
    loginTokens.delete(token);
    if (!entry || entry.expiresMs <= now().getTime()) return html(200, widgetSignInPage(newCsrf(), false));
    signedIn(ctx);
    return html(200, widgetSuccessPage(entry.service, issueTicket(entry.service, "cas", true)));
  }

  // -------------------------------------------------------------------------------------------------------------
  // DI OAuth2 token endpoint

  function diToken(ctx: Ctx): Reply {
    const form = new URLSearchParams(new TextDecoder().decode(ctx.body));
    const clientId = form.get("client_id") ?? "";
    const auth = String(ctx.headers["authorization"] ?? "");
    const basic = /^basic\s+(\S+)$/i.exec(auth.trim());
    if (!basic) {
      return json(401, {
        error: "unauthorized",
        error_description: "Full authentication is required to access this resource",
      });
    }
    let decoded = "";
    try {
      decoded = atob(basic[1]);
    } catch { /* answered below as bad credentials */ }
    if (decoded !== `${clientId}:` || !DI_CLIENT_IDS.includes(clientId) || rejectedClientIds.has(clientId)) {
      return json(401, { error: "invalid_client", error_description: "Bad client credentials" });
    }
    const grant = form.get("grant_type");
    const headers = { "cache-control": "no-store", pragma: "no-cache" };
    if (grant === DI_TICKET_GRANT) {
      const ticket = takeTicket(form.get("service_ticket"));
      if (!ticket || ticket.service !== form.get("service_url")) {
        return json(400, { error: "invalid_grant", error_description: "invalid service ticket provided" }, headers);
      }
      counters.diExchanges++;
      return json(200, tokenResponse(clientId, "bearer", ticket.service.endsWith("/sso/embed")), headers);
    }
    if (grant === "refresh_token") {
      const presented = form.get("refresh_token") ?? "";
      const rt = refreshTokens.get(presented);
      if (!rt || rt.spent || rt.revoked || rt.expMs <= now().getTime() || rt.clientId !== clientId) {
        return json(
          400,
          { error: "invalid_grant", error_description: `Invalid refresh token: ${presented}` },
          headers,
        );
      }
      rt.spent = true;
      counters.diRefreshes++;
      return json(200, tokenResponse(clientId, "bearer", rt.widgetAudience), headers);
    }
    return json(400, { error: "unsupported_grant_type", error_description: `Unsupported grant type: ${grant}` });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Classic OAuth1 → OAuth2

  function oauthCheck(ctx: Ctx) {
    return verifyOAuth1(
      {
        method: ctx.method,
        baseUrls: [`http://${ctx.host.toLowerCase()}${ctx.path}`, `https://connectapi.garmin.com${ctx.path}`],
        query: ctx.query,
        authorization: ctx.headers["authorization"] as string | undefined,
        form: urlencodedPairs(ctx),
      },
      (key) => (key === consumer.key ? consumer.secret : undefined),
      (token) => {
        const t = oauth1Tokens.get(token);
        return t && !t.revoked ? t.secret : undefined;
      },
    );
  }

  function preauthorized(ctx: Ctx): Reply {
    const check = oauthCheck(ctx);
    if (!check.ok) return text(401, `OAuth signature check failed: ${check.reason}`);
    if (check.params.get("oauth_token")) return text(401, "preauthorized takes no token");
    const ticket = takeTicket(ctx.query.get("ticket"));
    if (!ticket || ticket.service !== ctx.query.get("login-url")) return text(401, "Invalid ticket");
    const token = randomHex(16);
    const secret = randomHex(16);
    oauth1Tokens.set(token, { secret, revoked: false });
    secrets.add(token).add(secret);
    counters.oauth1Preauthorized++;
    const out = new URLSearchParams({ oauth_token: token, oauth_token_secret: secret });
    if (ticket.mfa) {
      const mfaToken = `MFA-${Math.floor(Math.random() * 9000 + 1000)}-${randomAlnum(50)}-cas`;
      secrets.add(mfaToken);
      const expires = new Date(now().getTime() + 365 * 86_400_000).toISOString().replace("T", " ").replace("Z", "");
      out.set("mfa_token", mfaToken);
      out.set("mfa_expiration_timestamp", expires);
    }
    return text(200, out.toString());
  }

  function exchange(ctx: Ctx): Reply {
    const check = oauthCheck(ctx);
    if (!check.ok) return text(401, `OAuth signature check failed: ${check.reason}`);
    if (!check.params.get("oauth_token")) return text(401, "exchange needs an OAuth1 token");
    counters.oauth2Exchanges++;
    const body = tokenResponse(DI_CLIENT_IDS[2], "Bearer");
    delete body.customerId;
    return json(200, body, { "cache-control": "no-cache, no-store, private", pragma: "no-cache" });
  }

  // -------------------------------------------------------------------------------------------------------------
  // connectapi

  function socialProfile(): Record<string, unknown> {
    return {
      id: profileId,
      profileId,
      garminGUID: garminGuid,
      displayName: account.displayName,
      fullName: account.fullName,
      userName: account.displayName,
      profileImageType: null,
      profileImageUrlLarge: null,
      profileImageUrlMedium: null,
      profileImageUrlSmall: null,
      location: "Amsterdam",
      facebookUrl: null,
      twitterUrl: null,
      personalWebsite: null,
      motivation: null,
      bio: null,
      primaryActivity: "running",
      favoriteActivityTypes: ["running", "cycling"],
      runningTrainingSpeed: 3.1,
      cyclingTrainingSpeed: 7.2,
      favoriteCyclingActivityTypes: [],
      cyclingClassification: null,
      cyclingMaxAvgPower: 0,
      swimmingTrainingSpeed: 0,
      profileVisibility: "private",
      activityStartVisibility: "private",
      activityMapVisibility: "private",
      courseVisibility: "private",
      activityHeartRateVisibility: "private",
      activityPowerVisibility: "private",
      badgeVisibility: "private",
      showAge: false,
      showWeight: false,
      showHeight: false,
      showWeightClass: false,
      showAgeRange: false,
      showGender: false,
      showActivityClass: false,
      showVO2Max: false,
      showPersonalRecords: false,
      showLast12Months: false,
      showLifetimeTotals: false,
      showUpcomingEvents: false,
      showRecentFavorites: false,
      showRecentDevice: false,
      showRecentGear: false,
      showBadges: true,
      otherActivity: null,
      otherPrimaryActivity: null,
      otherMotivation: null,
      userRoles: ["SCOPE_CONNECT_READ", "SCOPE_CONNECT_WRITE", "ROLE_CONNECTUSER"],
      nameApproved: true,
      userProfileFullName: account.fullName,
      makeGolfScorecardsPrivate: true,
      allowGolfLiveScoring: false,
      allowGolfScoringByConnections: true,
      userLevel: 3,
      userPoint: 142,
      levelUpdateDate: "2024-03-02T09:12:44.0",
      levelIsViewed: true,
      levelPointThreshold: 300,
      userPointOffset: 0,
      userPro: false,
    };
  }

  function userSettings(): Record<string, unknown> {
    return {
      id: profileId,
      userData: {
        gender: "FEMALE",
        weight: 70000.0,
        height: 178.0,
        timeFormat: "time_twenty_four_hr",
        birthDate: "1990-05-17",
        measurementSystem: "metric",
        activityLevel: null,
        handedness: "RIGHT",
        powerFormat: { formatId: 30, formatKey: "watt", minFraction: 0, maxFraction: 0, groupingUsed: true },
        heartRateFormat: { formatId: 21, formatKey: "bpm", minFraction: 0, maxFraction: 0, groupingUsed: false },
        firstDayOfWeek: { dayId: 3, dayName: "monday", sortOrder: 3, isPossibleFirstDay: true },
        vo2MaxRunning: 48.0,
        vo2MaxCycling: null,
        lactateThresholdSpeed: null,
        lactateThresholdHeartRate: null,
        diveNumber: null,
        intensityMinutesCalcMethod: "AUTO",
        moderateIntensityMinutesHrZone: 3,
        vigorousIntensityMinutesHrZone: 4,
        hydrationMeasurementUnit: "milliliter",
        hydrationContainers: [],
        hydrationAutoGoalEnabled: true,
        firstbeatMaxStressScore: null,
        firstbeatCyclingLtTimestamp: null,
        firstbeatRunningLtTimestamp: null,
        thresholdHeartRateAutoDetected: true,
        ftpAutoDetected: null,
        trainingStatusPausedDate: null,
        weatherLocation: null,
        golfDistanceUnit: "statute_us",
        golfElevationUnit: null,
        golfSpeedUnit: null,
        externalBottomTime: null,
      },
      userSleep: { sleepTime: 80400, defaultSleepTime: false, wakeTime: 24000, defaultWakeTime: false },
      connectDate: null,
      sourceType: null,
      userSleepWindows: [],
    };
  }

  function activityList(ctx: Ctx): Reply {
    const start = intParam(ctx.query, "start", 0);
    const limit = intParam(ctx.query, "limit", 20);
    if (start === null || limit === null) return badRequest("start and limit must be non-negative integers");
    let list = activities;
    const type = ctx.query.get("activityType");
    if (type) list = list.filter((a) => (a.summary.activityType as { typeKey?: string })?.typeKey === type);
    const from = ctx.query.get("startDate"), to = ctx.query.get("endDate");
    if (from || to) {
      list = list.filter((a) => {
        const d = String(a.summary.startTimeLocal ?? "").slice(0, 10);
        return (!from || d >= from) && (!to || d <= to);
      });
    }
    if (ctx.query.get("sortOrder") === "asc") list = [...list].reverse();
    return json(200, list.slice(start, start + Math.min(limit, LIST_LIMIT_CAP)).map((a) => a.summary));
  }

  function findActivity(idText: string): SimActivity | undefined {
    const id = Number(idText);
    return activities.find((a) => a.activityId === id);
  }

  function activityDetail(a: SimActivity): Record<string, unknown> {
    const s = a.summary;
    const t = (v: unknown) => (typeof v === "string" ? v.replace(" ", "T") + ".0" : null);
    return {
      activityId: a.activityId,
      activityUUID: { uuid: randomUUIDFor(a.activityId) },
      activityName: s.activityName,
      userProfileId: profileId,
      isMultiSportParent: false,
      activityTypeDTO: s.activityType,
      eventTypeDTO: s.eventType,
      accessControlRuleDTO: { typeId: 2, typeKey: "private" },
      timeZoneUnitDTO: { unitId: 124, unitKey: "Europe/Amsterdam", factor: 0, timeZone: "Europe/Amsterdam" },
      metadataDTO: {
        isOriginal: !a.manual,
        deviceApplicationInstallationId: a.manual ? null : 912_345,
        agentApplicationInstallationId: null,
        agentString: null,
        fileFormat: a.manual ? null : { formatId: 7, formatKey: "fit" },
        associatedCourseId: null,
        lastUpdateDate: t(s.endTimeGMT),
        uploadedDate: t(s.endTimeGMT),
        hasPolyline: s.hasPolyline,
        hasChartData: !a.manual,
        hasHrTimeInZones: !a.manual,
        hasPowerTimeInZones: false,
        lapCount: s.lapCount,
        manualActivity: a.manual,
        autoCalcCalories: a.manual,
        favorite: false,
        personalRecord: false,
        gcj02: false,
        runPowerWindDataEnabled: false,
        hasSplits: s.hasSplits,
        elevationCorrected: false,
        trimmed: false,
      },
      summaryDTO: {
        startTimeLocal: t(s.startTimeLocal),
        startTimeGMT: t(s.startTimeGMT),
        startLatitude: s.startLatitude,
        startLongitude: s.startLongitude,
        distance: s.distance,
        duration: s.duration,
        movingDuration: s.movingDuration,
        elapsedDuration: s.elapsedDuration,
        elevationGain: s.elevationGain,
        elevationLoss: s.elevationLoss,
        averageSpeed: s.averageSpeed,
        maxSpeed: s.maxSpeed,
        calories: s.calories,
        bmrCalories: s.bmrCalories,
        averageHR: s.averageHR,
        maxHR: s.maxHR,
        minHR: typeof s.averageHR === "number" ? s.averageHR - 35 : null,
        endLatitude: s.endLatitude,
        endLongitude: s.endLongitude,
      },
      locationName: s.locationName,
      splitSummaries: [],
    };
  }

  function randomUUIDFor(id: number): string {
    const hex = createHmac("sha256", "uuid").update(String(id)).digest("hex");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  async function download(ctx: Ctx, idText: string): Promise<Reply> {
    if (downloadDelayMs > 0) await sleep(downloadDelayMs);
    const a = findActivity(idText);
    if (!a || a.manual) return notFound();
    const s = a.summary;
    const { sport, gps } = fitSportOf((s.activityType as { typeKey?: string } | undefined)?.typeKey);
    const startMs = typeof s.beginTimestamp === "number"
      ? s.beginTimestamp
      : Date.parse(String(s.startTimeGMT ?? "").replace(" ", "T") + "Z");
    const start = new Date(Number.isFinite(startMs) ? startMs : now().getTime());
    const name = `${a.activityId}_ACTIVITY.fit`;
    let fit = renderFit(templates, {
      activityId: a.activityId,
      start,
      durationSec: Number(s.duration ?? 1800),
      distanceM: Number(s.distance ?? 0),
      calories: Number(s.calories ?? 0),
      avgHr: Number(s.averageHR ?? 130),
      maxHr: Number(s.maxHR ?? 160),
      sport,
      startLat: gps ? Number(s.startLatitude ?? 52.37) : null,
      startLon: gps ? Number(s.startLongitude ?? 4.9) : null,
    }, fitRecords);
    let zip: Uint8Array;
    if (ctx.downloadFault === "bad_fit_crc") {
      fit = fit.slice();
      fit[fit.length - 1] ^= 0xff;
      fit[fit.length - 2] ^= 0x5a;
    }
    if (ctx.downloadFault === "corrupt_zip") {
      zip = zipEntry(name, fit, start);
      zip = zip.slice(0, Math.floor(zip.length * 0.6));
      zip.fill(0x41, 0, 4);
    } else if (ctx.downloadFault === "not_fit") {
      zip = zipEntry(name, new TextEncoder().encode("<html><body>Not a FIT file</body></html>\n".repeat(8)), start);
    } else {
      zip = zipEntry(name, fit, start);
    }
    return {
      status: 200,
      headers: {
        "content-type": "application/x-zip-compressed",
        "content-disposition": `attachment; filename="${a.activityId}.zip"`,
      },
      body: zip,
    };
  }

  function checkName(name: string): boolean {
    return decodeURIComponent(name) === account.displayName;
  }

  function forbidden(): Reply {
    return json(403, { message: "User is not authorized to view this resource", error: "ForbiddenException" });
  }

  function dateParam(ctx: Ctx, name: string): string | null {
    const d = ctx.query.get(name) ?? "";
    return Number.isNaN(parseDate(d)) ? null : d;
  }

  function live(date: string) {
    const isToday = parseDate(date) === healthWindow().todayMs;
    if (isToday) todayTick++;
    return { nowMs: now().getTime(), tick: todayTick };
  }

  function dailySummaryReply(ctx: Ctx, name: string | null): Reply {
    if (name !== null && !checkName(name)) return forbidden();
    const date = dateParam(ctx, "calendarDate");
    if (!date) return badRequest("calendarDate must be YYYY-MM-DD");
    return json(200, dailySummary(seed, owner(), healthWindow(), date, live(date)));
  }

  function sleepReply(ctx: Ctx, name: string | null): Reply {
    if (name !== null && !checkName(name)) return forbidden();
    const date = dateParam(ctx, "date");
    if (!date) return badRequest("date must be YYYY-MM-DD");
    return json(200, sleepData(seed, owner(), healthWindow(), date));
  }

  function heartRateReply(ctx: Ctx, name: string | null): Reply {
    if (name !== null && !checkName(name)) return forbidden();
    const date = dateParam(ctx, "date");
    if (!date) return badRequest("date must be YYYY-MM-DD");
    return json(200, heartRate(seed, owner(), healthWindow(), date, live(date)));
  }

  function dayRange(from: string | null, to: string | null, maxDays: number): string[] | null {
    const a = parseDate(from ?? ""), b = parseDate(to ?? "");
    if (Number.isNaN(a) || Number.isNaN(b) || b < a || (b - a) / 86_400_000 >= maxDays) return null;
    const out: string[] = [];
    for (let t = a; t <= b; t += 86_400_000) out.push(isoDate(t));
    return out;
  }

  function weightList(days: string[]): Record<string, unknown>[] {
    const win = healthWindow();
    return days.map((d) => weighIn(seed, win, d)).filter((x): x is Record<string, unknown> => x !== null);
  }

  function weightView(from: string, to: string, list: Record<string, unknown>[]): Record<string, unknown> {
    const weights = list.map((w) => Number(w.weight));
    const avg = weights.length ? Math.round(weights.reduce((s, x) => s + x, 0) / weights.length) : null;
    return {
      startDate: from,
      endDate: to,
      dateWeightList: list,
      totalAverage: {
        from: parseDate(from),
        until: parseDate(to) + 86_399_999,
        weight: avg,
        bmi: avg === null ? null : Math.round((avg / 1000 / (1.78 * 1.78)) * 10) / 10,
        bodyFat: null,
        bodyWater: null,
        boneMass: null,
        muscleMass: null,
        physiqueRating: null,
        visceralFat: null,
        metabolicAge: null,
      },
    };
  }

  function findWorkout(idText: string): SimWorkout | undefined {
    const id = Number(idText);
    return workouts.find((w) => w.workoutId === id);
  }

  function workoutList(ctx: Ctx): Reply {
    const start = intParam(ctx.query, "start", 0);
    const limit = intParam(ctx.query, "limit", 100);
    if (start === null || limit === null) return badRequest("start and limit must be non-negative integers");
    const sorted = [...workouts].sort((a, b) => b.updatedMs - a.updatedMs);
    return json(
      200,
      sorted.slice(start, start + Math.min(limit, LIST_LIMIT_CAP)).map((w) => workoutSummary(w, profileId)),
    );
  }

  // -------------------------------------------------------------------------------------------------------------
  // Routing

  type Handler = (ctx: Ctx, m: RegExpExecArray) => Reply | Promise<Reply>;
  interface Route {
    method: string;
    pattern: RegExp;
    auth: "none" | "bearer";
    handler: Handler;
  }
  const routes: Route[] = [];
  function on(method: string, pattern: RegExp, auth: Route["auth"], handler: Handler): void {
    routes.push({ method, pattern, auth, handler });
  }

  // OAuth consumer (replaces thegarth.s3.amazonaws.com/oauth_consumer.json).
  on(
    "GET",
    /^\/oauth_consumer\.json$/,
    "none",
    () => json(200, { consumer_key: consumer.key, consumer_secret: consumer.secret }),
  );

  // Mobile / portal sign-in pages (cookies for the JSON flow; a working page for a browser).
  on("GET", /^\/mobile\/sso\/(?:en|en_US|en-US)\/sign-in$/, "none", (ctx) => {
    session(ctx, true);
    return html(200, browserSignInPage("mobile"));
  });
  on("GET", /^\/portal\/sso\/(?:en|en_US|en-US)\/sign-in$/, "none", (ctx) => {
    session(ctx, true);
    return html(200, browserSignInPage("portal"));
  });
  on("GET", /^\/portal\/sso\/embed$/, "none", (ctx) => {
    session(ctx, true);
    return html(200, embedPage());
  });
  on("POST", /^\/(?:mobile|portal)\/api\/login$/, "none", jsonLogin);
  on("POST", /^\/(?:mobile|portal)\/api\/mfa\/verifyCode$/, "none", jsonVerifyMfa);

  // Classic widget.
  on("GET", /^\/sso\/embed$/, "none", (ctx) => {
    session(ctx, true);
    return html(200, embedPage());
  });
  on("GET", /^\/sso\/signin$/, "none", widgetSignInGet);
  on("POST", /^\/sso\/signin$/, "none", widgetSignInPost);
  on("GET", /^\/sso\/verifyMFA\/loginEnterMfaCode$/, "none", widgetMfaGet);
  on("POST", /^\/sso\/verifyMFA\/loginEnterMfaCode$/, "none", widgetMfaPost);
  on("POST", /^\/sso\/verifyMFA\/mfaCode$/, "none", () => json(200, { status: "SENT" }));
  on("GET", /^\/sso\/login$/, "none", widgetLoginToken);

  // Tokens.
  on("POST", /^\/di-oauth2-service\/oauth\/token$/, "none", diToken);
  on("GET", /^\/oauth-service\/oauth\/preauthorized$/, "none", preauthorized);
  on("POST", /^\/oauth-service\/oauth\/exchange\/user\/2\.0$/, "none", exchange);

  // Profile.
  on("GET", /^\/userprofile-service\/socialProfile\/?$/, "bearer", () => json(200, socialProfile()));
  on("GET", /^\/userprofile-service\/userprofile\/user-settings\/?$/, "bearer", () => json(200, userSettings()));
  on("GET", /^\/userprofile-service\/userprofile\/settings\/?$/, "bearer", () => json(200, userSettings()));
  on("GET", /^\/userprofile-service\/userprofile\/profile\/?$/, "bearer", () => json(200, socialProfile()));

  // Activities.
  on("GET", /^\/activitylist-service\/activities\/search\/activities\/?$/, "bearer", activityList);
  on(
    "GET",
    /^\/activitylist-service\/activities\/count\/?$/,
    "bearer",
    () => json(200, { totalCount: activities.length }),
  );
  on("GET", /^\/activity-service\/activity\/(\d+)$/, "bearer", (_ctx, m) => {
    const a = findActivity(m[1]);
    return a ? json(200, activityDetail(a)) : notFound();
  });
  on("GET", /^\/download-service\/files\/activity\/(\d+)$/, "bearer", (ctx, m) => download(ctx, m[1]));

  // Daily health.
  on("GET", /^\/usersummary-service\/usersummary\/daily\/?$/, "bearer", (ctx) => dailySummaryReply(ctx, null));
  on("GET", /^\/usersummary-service\/usersummary\/daily\/([^/]+)$/, "bearer", (ctx, m) => dailySummaryReply(ctx, m[1]));
  on("GET", /^\/usersummary-service\/stats\/steps\/daily\/([\d-]+)\/([\d-]+)$/, "bearer", (_ctx, m) => {
    const days = dayRange(m[1], m[2], 366);
    if (!days) return badRequest("a date range of at most 366 days is expected");
    const win = healthWindow();
    return json(
      200,
      days.map((d) => {
        const s = dailySummary(seed, owner(), win, d, { nowMs: now().getTime(), tick: todayTick });
        return { calendarDate: d, totalSteps: s.totalSteps, totalDistance: s.totalDistanceMeters, stepGoal: 8000 };
      }),
    );
  });
  on("GET", /^\/wellness-service\/wellness\/dailySleepData\/([^/]+)$/, "bearer", (ctx, m) => sleepReply(ctx, m[1]));
  on("GET", /^\/sleep-service\/sleep\/dailySleepData\/?$/, "bearer", (ctx) => sleepReply(ctx, null));
  on("GET", /^\/sleep-service\/sleep\/dailySleepData\/([^/]+)$/, "bearer", (ctx, m) => sleepReply(ctx, m[1]));
  on("GET", /^\/wellness-service\/wellness\/dailyHeartRate\/?$/, "bearer", (ctx) => heartRateReply(ctx, null));
  on("GET", /^\/wellness-service\/wellness\/dailyHeartRate\/([^/]+)$/, "bearer", (ctx, m) => heartRateReply(ctx, m[1]));
  on("GET", /^\/wellness-service\/wellness\/dailyStress\/([\d-]+)$/, "bearer", (_ctx, m) => {
    if (Number.isNaN(parseDate(m[1]))) return badRequest("date must be YYYY-MM-DD");
    return json(200, stress(seed, owner(), healthWindow(), m[1], live(m[1])));
  });
  on("GET", /^\/wellness-service\/wellness\/bodyBattery\/reports\/daily\/?$/, "bearer", (ctx) => {
    const days = dayRange(ctx.query.get("startDate"), ctx.query.get("endDate"), 366);
    if (!days) return badRequest("startDate and endDate (YYYY-MM-DD, at most 366 days) are expected");
    const win = healthWindow();
    const t = { nowMs: now().getTime(), tick: todayTick };
    return json(200, days.map((d) => bodyBatteryReport(seed, win, d, t)).filter((x) => x !== null));
  });
  on("GET", /^\/wellness-service\/wellness\/bodyBattery\/events\/([\d-]+)$/, "bearer", (_ctx, m) => {
    if (Number.isNaN(parseDate(m[1]))) return badRequest("date must be YYYY-MM-DD");
    const sleep = sleepData(seed, owner(), healthWindow(), m[1]).dailySleepDTO as Record<string, unknown>;
    if (sleep.id === null) return json(200, []);
    const startGmt = Number(sleep.sleepStartTimestampGMT), endGmt = Number(sleep.sleepEndTimestampGMT);
    return json(200, [{
      event: {
        eventType: "sleep",
        eventStartTimeGmt: new Date(startGmt).toISOString().slice(0, 19) + ".0",
        timezoneOffset: LOCAL_OFFSET_MIN * 60_000,
        durationInMilliseconds: endGmt - startGmt,
        bodyBatteryImpact: Math.round((endGmt - startGmt) / 600_000),
        feedbackType: "GOOD_SLEEP_HISTORY",
        shortFeedback: "GOOD_SLEEP",
      },
      activityName: null,
      activityType: null,
      activityId: null,
      averageStress: 12.0,
      stressValuesArray: [],
      bodyBatteryValuesArray: [],
    }]);
  });
  on("GET", /^\/hrv-service\/hrv\/([\d-]+)$/, "bearer", (_ctx, m) => {
    if (Number.isNaN(parseDate(m[1]))) return badRequest("date must be YYYY-MM-DD");
    const data = hrv(seed, owner(), healthWindow(), m[1]);
    return data ? json(200, data) : empty(204);
  });
  on("GET", /^\/weight-service\/weight\/dateRange\/?$/, "bearer", (ctx) => {
    const from = ctx.query.get("startDate"), to = ctx.query.get("endDate");
    const days = dayRange(from, to, 3660);
    if (!days) return badRequest("startDate and endDate (YYYY-MM-DD) are expected");
    return json(200, weightView(from!, to!, weightList(days).reverse()));
  });
  on("GET", /^\/weight-service\/weight\/dayview\/([\d-]+)$/, "bearer", (_ctx, m) => {
    if (Number.isNaN(parseDate(m[1]))) return badRequest("date must be YYYY-MM-DD");
    return json(200, weightView(m[1], m[1], weightList([m[1]])));
  });
  on("GET", /^\/weight-service\/weight\/range\/([\d-]+)\/([\d-]+)$/, "bearer", (_ctx, m) => {
    const days = dayRange(m[1], m[2], 3660);
    if (!days) return badRequest("a date range is expected");
    const list = weightList(days).reverse();
    return json(200, {
      dailyWeightSummaries: list.map((w) => ({
        summaryDate: w.calendarDate,
        numOfWeightEntries: 1,
        minWeight: w.weight,
        maxWeight: w.weight,
        latestWeight: w,
        allWeightMetrics: [w],
      })),
      totalAverage: weightView(m[1], m[2], list).totalAverage,
      previousDateWeight: null,
      nextDateWeight: null,
    });
  });

  // Workouts.
  on("GET", /^\/workout-service\/workouts\/?$/, "bearer", workoutList);
  on("GET", /^\/workout-service\/workout\/(\d+)$/, "bearer", (_ctx, m) => {
    const w = findWorkout(m[1]);
    return w ? json(200, workoutDetail(w, profileId)) : notFound();
  });

  async function route(ctx: Ctx): Promise<Reply> {
    let pathKnown = false;
    for (const r of routes) {
      const m = r.pattern.exec(ctx.path);
      if (!m) continue;
      pathKnown = true;
      if (r.method !== ctx.method && !(r.method === "GET" && ctx.method === "HEAD")) continue;
      if (r.auth === "bearer" && !bearerOk(ctx)) return unauthorized();
      return await r.handler(ctx, m);
    }
    return pathKnown ? json(405, { message: "Method Not Allowed", error: "MethodNotAllowed" }) : notFound();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Faults and the wire

  function takeFault(pathAndQuery: string): Fault | null {
    for (let i = 0; i < faults.length; i++) {
      const q = faults[i];
      if (!matches(q.fault.match, pathAndQuery)) continue;
      q.left--;
      if (q.left <= 0) faults.splice(i, 1);
      return q.fault;
    }
    return null;
  }

  function cfHeaders(): Record<string, string> {
    return { server: "cloudflare", "cf-ray": `${randomHex(8)}-AMS` };
  }

  function faultReply(f: Fault): Reply | null {
    switch (f.kind) {
      case "status":
        return {
          status: f.status,
          headers: { "content-type": "text/plain;charset=utf-8", ...f.headers },
          body: f.body ?? "",
        };
      case "rate_limit": {
        const headers: Record<string, string> = cfHeaders();
        if (f.retryAfter !== undefined) headers["retry-after"] = String(f.retryAfter);
        return html(429, cloudflareRateLimitPage(headers["cf-ray"]), headers);
      }
      case "cloudflare": {
        const headers: Record<string, string> = { ...cfHeaders(), "cf-mitigated": "challenge" };
        return html(403, cloudflareChallengePage(headers["cf-ray"]), headers);
      }
      case "captcha":
        return json(
          200,
          loginJson("CAPTCHA_REQUIRED", {
            responseStatus: { type: "CAPTCHA_REQUIRED", message: "captchaRequired", httpStatus: "OK" },
          }),
        );
      case "json_429":
        return json(200, { error: { "status-code": "429", message: "Too Many Requests" } });
      case "html":
        return html(200, unexpectedHtmlPage());
      default:
        return null;
    }
  }

  function send(res: ServerResponse, reply: Reply, cut: boolean, setCookies: string[]): void {
    const body = typeof reply.body === "string" ? new TextEncoder().encode(reply.body) : reply.body;
    const headers: Record<string, string | string[]> = { ...reply.headers };
    if (setCookies.length) headers["set-cookie"] = setCookies;
    headers["content-length"] = String(body.length);
    res.writeHead(reply.status, headers);
    if (!cut) {
      res.end(body);
      return;
    }
    // Headers promise the whole body; about half of it goes out, then the connection is cut.
    const half = body.subarray(0, Math.max(1, Math.floor(body.length / 2)));
    res.write(half, () => {
      res.socket?.destroy();
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += chunk.length;
      if (size > MAX_BODY) {
        res.writeHead(413, { "content-type": "text/plain", connection: "close" });
        res.end("Request body too large");
        return;
      }
      chunks.push(chunk);
    }
    const body = new Uint8Array(size);
    let off = 0;
    for (const c of chunks) {
      body.set(c, off);
      off += c.length;
    }
    const pathAndQuery = req.url ?? "/";
    const url = new URL(pathAndQuery, "http://sim.invalid");
    const ctx: Ctx = {
      method: (req.method ?? "GET").toUpperCase(),
      path: url.pathname,
      query: url.searchParams,
      pathAndQuery,
      host: String(req.headers.host ?? "127.0.0.1"),
      headers: req.headers,
      body,
      cookies: parseCookies(req.headers.cookie),
      setCookies: [],
    };
    // The control API is the simulator's own, not Garmin's: never recorded, never faulted.
    if (isControlPath(ctx.path)) {
      const refusal = controlRefusal(req.socket.remoteAddress, req.headers);
      const answer = refusal ? { status: 403, body: { error: refusal } } : controlReply(sim, ctx);
      if (!quiet) console.error(`[sim] control ${ctx.method} ${pathAndQuery} -> ${answer.status}`);
      send(res, json(answer.status, answer.body), false, []);
      return;
    }
    const entry: SimRequest = { method: ctx.method, path: pathAndQuery, status: 0, at: now().getTime() };
    recorded.push(entry);
    const fault = takeFault(pathAndQuery);
    let cut = false;
    let reply: Reply | null = null;
    if (fault) {
      if (fault.kind === "drop") {
        if (!quiet) console.error(`[sim] ${ctx.method} ${pathAndQuery} -> dropped`);
        req.socket.destroy();
        return;
      }
      if (fault.kind === "slow") await sleep(fault.delayMs);
      if (fault.kind === "truncate") cut = true;
      if (fault.kind === "corrupt_zip" || fault.kind === "not_fit" || fault.kind === "bad_fit_crc") {
        ctx.downloadFault = fault.kind;
      }
      reply = faultReply(fault);
    }
    if (!reply) reply = await route(ctx);
    if (closed) return;
    entry.status = reply.status;
    if (!quiet) {
      console.error(`[sim] ${ctx.method} ${pathAndQuery} -> ${reply.status}${fault ? ` (${fault.kind})` : ""}`);
    }
    send(res, reply, cut, ctx.setCookies);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!quiet) console.error("[sim] handler error", err);
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end("simulator error");
      } else {
        res.socket?.destroy();
      }
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const hostname = options.hostname ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, hostname, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port ?? 0;
  const urlHost = hostname.includes(":") ? `[${hostname}]` : hostname;

  const sim: Simulator = {
    url: `http://${urlHost}:${port}`,
    account,
    activities,
    fault(f) {
      faults.push({ fault: f, left: f.times ?? 1 });
    },
    clearFaults() {
      faults.length = 0;
    },
    queuedFaults() {
      return faults.map((q) => ({ fault: q.fault, left: q.left }));
    },
    calls(match) {
      return recorded.filter((r) => matches(match, r.path));
    },
    resetCalls() {
      recorded = [];
    },
    addActivities(n, opts = {}) {
      const nowMs = now().getTime();
      const newest = activities[0];
      const newestId = activities.reduce((m, a) => Math.max(m, a.activityId), 17_000_000_000);
      const newestEnd = newest
        ? Number(newest.summary.beginTimestamp ?? nowMs - 86_400_000) + Number(newest.summary.duration ?? 0) * 1000
        : nowMs - 86_400_000;
      const added: SimActivity[] = [];
      // Spread the new ones between the end of the newest known activity and now, oldest first.
      const first = newestEnd + 10 * 60_000;
      const step = Math.max(60_000, (nowMs - 10 * 60_000 - first) / Math.max(1, n));
      for (let k = 0; k < n; k++) {
        const slot = first + k * step;
        const id = newestId + (k + 1) * 1009;
        added.unshift(buildActivity(seed, owner(), id, Math.floor(slot / 1000) * 1000, opts.manual ?? false));
      }
      activities.unshift(...added);
      return added;
    },
    touchWorkout(workoutId) {
      const w = workouts.find((x) => x.workoutId === workoutId);
      if (!w) throw new Error(`no simulated workout ${workoutId}`);
      w.revision++;
      w.updatedMs = Math.max(Math.floor(now().getTime() / 1000) * 1000, w.updatedMs + 1000);
    },
    workoutIds() {
      return workouts.map((w) => w.workoutId);
    },
    expireAccessTokens() {
      for (const t of accessTokens.values()) t.expired = true;
    },
    revokeRefreshTokens() {
      for (const t of refreshTokens.values()) t.revoked = true;
      for (const t of oauth1Tokens.values()) t.revoked = true;
    },
    counters() {
      return { ...counters };
    },
    issuedSecrets() {
      return [...secrets];
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections?.();
      });
    },
  };
  return sim;
}
