/**
 * Password login against Garmin SSO as python-garminconnect 0.3 does it (garmin_auth_2026.md §1.1-§1.5): the iOS
 * mobile JSON flow first, the desktop portal flow only when the mobile one fails for a reason that is not a
 * block, and MFA in the same cookie session. A block (429, Cloudflare 403/HTML, CAPTCHA, a 429 inside JSON)
 * stops at once: retrying credential logins makes Garmin's blocks last longer.
 */
import {
  GarminBadResponse,
  GarminLoginBlocked,
  GarminUnavailable,
  InvalidCredentials,
  InvalidMfaCode,
  NoPendingLogin,
} from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import {
  DESKTOP_USER_AGENT,
  IOS_LOGIN_UA,
  IOS_SERVICE_URL,
  IOS_SSO_CLIENT_ID,
  PORTAL_SERVICE_URL,
  PORTAL_SSO_CLIENT_ID,
} from "./constants.ts";
import { type CookieJar, createCookieJar } from "./cookies.ts";
import { type GarminResponse, looksLikeHtml, sleep, type Transport } from "./http.ts";

/** Which SSO flow a login used; the MFA step and the ticket exchange must match it. */
export type SsoFlow = "mobile" | "portal";

/** A login waiting for its MFA code (kept in memory only). */
export interface PendingLogin {
  flow: SsoFlow;
  clientId: string;
  serviceUrl: string;
  mfaMethod: string;
  jar: CookieJar;
  /** Epoch ms after which it is dropped. */
  expiresAt: number;
}

/** How a login step ended. */
export type SsoOutcome =
  | { kind: "ticket"; ticket: string; serviceUrl: string }
  | { kind: "mfa"; flow: SsoFlow; clientId: string; serviceUrl: string; mfaMethod: string; jar: CookieJar };

/** The other ways in, named in every block message. */
export const OTHER_WAYS_IN = "sign in another way: `garminsync login --browser` (a real browser window), " +
  "`garminsync login --ticket ST-...` (a service ticket copied from a browser sign-in, also POST /garmin/auth/ticket), " +
  "or `garminsync login --import garmin_tokens.json` (tokens saved by python-garminconnect or garth, also POST /garmin/auth/import)";

function blocked(what: string, status: 429 | 503): GarminLoginBlocked {
  return new GarminLoginBlocked(
    `Garmin blocked the password login: ${what}. GarminSync did not retry, because repeated logins make the block ` +
      `last longer. Wait a few hours before trying a password login again, or ${OTHER_WAYS_IN}`,
    status,
  );
}

function flowConfig(flow: SsoFlow): { clientId: string; serviceUrl: string } {
  return flow === "mobile"
    ? { clientId: IOS_SSO_CLIENT_ID, serviceUrl: IOS_SERVICE_URL }
    : { clientId: PORTAL_SSO_CLIENT_ID, serviceUrl: PORTAL_SERVICE_URL };
}

function query(clientId: string, serviceUrl: string): string {
  return new URLSearchParams({ clientId, locale: "en-US", service: serviceUrl }).toString();
}

function postHeaders(transport: Transport, flow: SsoFlow, jar: CookieJar, clientId: string, serviceUrl: string) {
  const sso = transport.origin("sso");
  const h: Record<string, string> = {
    "User-Agent": flow === "mobile" ? IOS_LOGIN_UA : DESKTOP_USER_AGENT,
    Accept: "application/json, text/plain, */*",
    "Content-Type": "application/json",
    "Accept-Language": "en-US,en;q=0.9",
    Origin: sso,
  };
  if (flow === "portal") {
    h.Referer = `${sso}/portal/sso/en-US/sign-in?${new URLSearchParams({ clientId, service: serviceUrl })}`;
  }
  const cookie = jar.header();
  if (cookie) h.Cookie = cookie;
  return h;
}

/** An SSO answer sorted into what the login does next. */
type Classified =
  | { kind: "block"; error: GarminLoginBlocked }
  | { kind: "json"; body: Record<string, unknown>; type: string }
  | { kind: "failure"; reason: string };

/** Sorts an SSO JSON-API answer: blocks first, then the JSON `responseStatus.type`. */
export function classifySsoAnswer(resp: GarminResponse): Classified {
  const text = resp.text();
  const server = resp.headers.get("server") ?? "";
  if (resp.status === 429) {
    const after = resp.headers.get("retry-after");
    return {
      kind: "block",
      error: blocked(
        `it answered 429 Too Many Requests (rate limit${after ? `, retry after ${after} s` : ""})`,
        429,
      ),
    };
  }
  if (resp.status === 403) {
    return {
      kind: "block",
      error: blocked(
        `it answered 403 with ${looksLikeHtml(text, resp.headers.get("content-type")) ? "an HTML page" : "a refusal"}` +
          ` (a Cloudflare bot challenge${/cloudflare/i.test(server) ? ", server: cloudflare" : ""})`,
        503,
      ),
    };
  }
  if (looksLikeHtml(text, resp.headers.get("content-type"))) {
    if (resp.status >= 500 && !/cloudflare|challenge|captcha/i.test(text)) {
      return { kind: "failure", reason: `HTTP ${resp.status} with an HTML page` };
    }
    return {
      kind: "block",
      error: blocked(
        `it answered an HTML page (HTTP ${resp.status}) instead of JSON, as Cloudflare does when it challenges a client`,
        503,
      ),
    };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { kind: "failure", reason: `HTTP ${resp.status} with a body that is not JSON` };
  }
  if (!body || typeof body !== "object") return { kind: "failure", reason: `HTTP ${resp.status} with an empty answer` };
  const b = body as Record<string, unknown>;
  const err = b.error as Record<string, unknown> | undefined;
  if (err && typeof err === "object" && String(err["status-code"] ?? err.statusCode ?? "") === "429") {
    return { kind: "block", error: blocked("it reported a rate limit (429) inside its answer", 429) };
  }
  const status = b.responseStatus as Record<string, unknown> | undefined;
  const type = typeof status?.type === "string" ? status.type : "";
  if (type === "CAPTCHA_REQUIRED") {
    return { kind: "block", error: blocked("it asks for a CAPTCHA (CAPTCHA_REQUIRED)", 503) };
  }
  if (type) return { kind: "json", body: b, type };
  if (resp.status === 401) return { kind: "json", body: b, type: "INVALID_USERNAME_PASSWORD" };
  return { kind: "failure", reason: `HTTP ${resp.status} without a login status` };
}

function invalidCredentials(): InvalidCredentials {
  return new InvalidCredentials(
    "Garmin rejected the email or password: check them (GARMIN_EMAIL / GARMIN_PASSWORD, or what you typed) and try again",
  );
}

async function postLogin(
  transport: Transport,
  flow: SsoFlow,
  jar: CookieJar,
  email: string,
  password: string,
): Promise<SsoOutcome> {
  const { clientId, serviceUrl } = flowConfig(flow);
  const resp = await transport.request({
    host: "sso",
    path: `/${flow}/api/login?${query(clientId, serviceUrl)}`,
    method: "POST",
    raw: true,
    headers: postHeaders(transport, flow, jar, clientId, serviceUrl),
    body: JSON.stringify({ username: email, password, rememberMe: true, captchaToken: "" }),
  });
  jar.store(resp.headers);
  const c = classifySsoAnswer(resp);
  if (c.kind === "block") throw c.error;
  if (c.kind === "failure") throw new SsoFailure(`${flow} login: ${c.reason}`);
  switch (c.type) {
    case "SUCCESSFUL":
      return { kind: "ticket", ticket: ticketOf(c.body, flow), serviceUrl };
    case "MFA_REQUIRED": {
      const info = c.body.customerMfaInfo as Record<string, unknown> | null | undefined;
      const method = typeof info?.mfaLastMethodUsed === "string" && info.mfaLastMethodUsed
        ? info.mfaLastMethodUsed
        : "email";
      return { kind: "mfa", flow, clientId, serviceUrl, mfaMethod: method, jar };
    }
    case "INVALID_USERNAME_PASSWORD":
      throw invalidCredentials();
    case "ACCOUNT_LOCKED":
    case "ACCOUNT_DISABLED":
      throw new InvalidCredentials(
        `Garmin says the account cannot sign in (${c.type}): sign in at connect.garmin.com in a browser to fix it`,
      );
    default:
      throw new SsoFailure(`${flow} login: unexpected status ${c.type} (HTTP ${resp.status})`);
  }
}

function ticketOf(body: Record<string, unknown>, flow: SsoFlow): string {
  const t = body.serviceTicketId;
  if (typeof t !== "string" || !t.startsWith("ST-")) {
    throw new GarminBadResponse(`Garmin's ${flow} login said SUCCESSFUL but sent no service ticket`);
  }
  return t;
}

/** A login step failed for a reason that is not a block and not the credentials (the portal flow may still work). */
class SsoFailure extends Error {}

/**
 * Runs a password login: the mobile JSON flow, then the portal flow only for a non-block failure.
 * `portalPauseMs` is the wait between the portal page and its POST (Cloudflare flags instant GET→POST).
 */
export async function passwordLogin(
  transport: Transport,
  log: Logger,
  email: string,
  password: string,
  options: { portalPauseMs: number; signal?: AbortSignal },
): Promise<SsoOutcome> {
  log.addSecret(password);
  const mobileJar = createCookieJar();
  let firstReason: string;
  try {
    return await postLogin(transport, "mobile", mobileJar, email, password);
  } catch (e) {
    // Blocks and wrong credentials stop here; only a failure that is neither falls back to the portal flow.
    if (!(e instanceof SsoFailure) && !(e instanceof GarminUnavailable)) throw e;
    firstReason = e.message;
    log.warn(`mobile sign-in failed (${firstReason}); trying the portal sign-in`);
  }
  const jar = createCookieJar();
  const { clientId, serviceUrl } = flowConfig("portal");
  const page = await transport.request({
    host: "sso",
    path: `/portal/sso/en-US/sign-in?${new URLSearchParams({ clientId, service: serviceUrl })}`,
    raw: true,
    headers: {
      "User-Agent": DESKTOP_USER_AGENT,
      Accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
      "Accept-Language": "en-US,en;q=0.9",
    },
  });
  jar.store(page.headers);
  if (page.status === 429) throw blocked("the portal sign-in page answered 429 Too Many Requests", 429);
  if (page.status === 403) throw blocked("the portal sign-in page answered 403 (a Cloudflare bot challenge)", 503);
  await sleep(options.portalPauseMs, options.signal);
  try {
    return await postLogin(transport, "portal", jar, email, password);
  } catch (e) {
    if (e instanceof SsoFailure) {
      throw new GarminUnavailable(
        `Garmin's sign-in did not work (${firstReason}; then ${e.message}): try again later, or ${OTHER_WAYS_IN}`,
      );
    }
    throw e;
  }
}

/** How one verifyCode call ended. */
type MfaAttempt =
  | { kind: "ticket"; ticket: string; serviceUrl: string }
  | { kind: "unavailable"; reason: string }
  | { kind: "expired"; type: string }
  | { kind: "wrong"; why: string };

async function tryMfaCode(
  transport: Transport,
  pending: PendingLogin,
  flow: SsoFlow,
  code: string,
): Promise<MfaAttempt> {
  // The login's own flow keeps its clientId/service; the other endpoint gets its own (as python-garminconnect does).
  const { clientId, serviceUrl } = flow === pending.flow
    ? { clientId: pending.clientId, serviceUrl: pending.serviceUrl }
    : flowConfig(flow);
  let resp: GarminResponse;
  try {
    resp = await transport.request({
      host: "sso",
      path: `/${flow}/api/mfa/verifyCode?${query(clientId, serviceUrl)}`,
      method: "POST",
      raw: true,
      headers: postHeaders(transport, flow, pending.jar, clientId, serviceUrl),
      body: JSON.stringify({
        mfaMethod: pending.mfaMethod,
        mfaVerificationCode: code,
        rememberMyBrowser: true,
        reconsentList: [],
        mfaSetup: false,
      }),
    });
  } catch (e) {
    if (e instanceof GarminUnavailable) return { kind: "unavailable", reason: e.message };
    throw e;
  }
  pending.jar.store(resp.headers);
  // A missing endpoint is not a block even when its 404 page is HTML.
  if (resp.status === 404) return { kind: "unavailable", reason: "HTTP 404" };
  const c = classifySsoAnswer(resp);
  if (c.kind === "block") throw c.error;
  if (c.kind === "json" && c.type === "SUCCESSFUL") {
    return { kind: "ticket", ticket: ticketOf(c.body, flow), serviceUrl };
  }
  if (resp.status >= 500) return { kind: "unavailable", reason: `HTTP ${resp.status}` };
  if (c.kind === "json" && /EXPIRED/.test(c.type)) return { kind: "expired", type: c.type };
  return { kind: "wrong", why: c.kind === "json" ? c.type : c.reason };
}

/**
 * Sends the MFA code in the pending login's cookie session. When the login's endpoint fails for a reason that is
 * not about the code (5xx, 404, no answer), the other endpoint (mobile ↔ portal) is tried once. InvalidMfaCode and
 * GarminUnavailable leave the pending login usable; NoPendingLogin means Garmin's side of it expired.
 */
export async function verifyMfa(
  transport: Transport,
  pending: PendingLogin,
  code: string,
  log?: Logger,
): Promise<{ ticket: string; serviceUrl: string }> {
  let result = await tryMfaCode(transport, pending, pending.flow, code);
  if (result.kind === "unavailable") {
    const first = result.reason;
    const other: SsoFlow = pending.flow === "mobile" ? "portal" : "mobile";
    log?.warn(`the ${pending.flow} MFA endpoint failed (${first}); trying the ${other} one`);
    result = await tryMfaCode(transport, pending, other, code);
    // The other endpoint not knowing this login says nothing about the login itself: it stays open.
    if (result.kind === "unavailable" || result.kind === "expired") {
      const second = result.kind === "expired" ? result.type : result.reason;
      throw new GarminUnavailable(
        `Garmin could not check the MFA code (${pending.flow}: ${first}; ${other}: ${second}): ` +
          `try the same code again in a moment (the login stays open)`,
      );
    }
  }
  switch (result.kind) {
    case "ticket":
      return { ticket: result.ticket, serviceUrl: result.serviceUrl };
    case "expired":
      throw new NoPendingLogin(
        `Garmin's side of the login expired (${result.type}): start again with \`garminsync login\` or POST /garmin/auth/login`,
      );
    case "wrong":
      throw new InvalidMfaCode(
        `Garmin did not accept the MFA code (${result.why}): check the code Garmin sent you and enter it again (the login stays open until it expires)`,
      );
    default:
      throw new GarminUnavailable("Garmin could not check the MFA code: try again in a moment (the login stays open)");
  }
}
