/**
 * Garmin tokens: the DI OAuth2 pair of the 2026 flows (ticket exchange and rotating refresh at diauth) and the
 * legacy garth pair (OAuth1 + OAuth2, refreshed through the OAuth1-signed `exchange/user/2.0`), plus the
 * token-file formats users import.
 */
import { GarminBadResponse, GarminLoginBlocked, GarminUnavailable, InvalidInput } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import { CONNECT_MOBILE_UA, DI_CLIENT_IDS, DI_GRANT_TYPE, DI_TOKEN_PATH, NATIVE_HEADERS } from "./constants.ts";
import type { GarminResponse, Transport } from "./http.ts";
import { jwtClaims } from "./jwt.ts";

/** DI OAuth2 tokens (what python-garminconnect 0.3 stores as garmin_tokens.json). */
export interface DiTokens {
  kind: "di";
  accessToken: string;
  refreshToken: string;
  clientId: string;
  /** Epoch ms. */
  accessExpiresAt: number;
  /** Epoch ms, when Garmin said so. */
  refreshExpiresAt: number | null;
}

/** garth's OAuth1 token. */
export interface OAuth1Token {
  oauth_token: string;
  oauth_token_secret: string;
  mfa_token?: string | null;
  mfa_expiration_timestamp?: string | null;
  domain?: string | null;
}

/** Legacy garth tokens: OAuth1 (long-lived) + the OAuth2 bearer it is exchanged for. */
export interface LegacyTokens {
  kind: "legacy";
  oauth1: OAuth1Token;
  accessToken: string;
  /** Epoch ms. */
  accessExpiresAt: number;
  refreshExpiresAt: number | null;
}

/** Either kind. */
export type TokenData = DiTokens | LegacyTokens;

/** The refresh token (or OAuth1 token) was refused: the session is over and needs a new login. */
export class RefreshRejected extends Error {}

/** Every client id refused the ticket. */
export class TicketRejected extends Error {}

/** Every secret string a token set holds, to register with the logger. */
export function tokenSecrets(t: TokenData): string[] {
  if (t.kind === "di") return [t.accessToken, t.refreshToken];
  return [t.accessToken, t.oauth1.oauth_token, t.oauth1.oauth_token_secret, t.oauth1.mfa_token ?? ""].filter(Boolean);
}

/** Serializes tokens for `garmin_auth.token_data` (before encryption). */
export function serializeTokens(t: TokenData): string {
  if (t.kind === "di") {
    return JSON.stringify({
      kind: "di",
      di_token: t.accessToken,
      di_refresh_token: t.refreshToken,
      di_client_id: t.clientId,
      access_expires_at: t.accessExpiresAt,
      refresh_expires_at: t.refreshExpiresAt,
    });
  }
  return JSON.stringify({
    kind: "legacy",
    oauth1: t.oauth1,
    access_token: t.accessToken,
    access_expires_at: t.accessExpiresAt,
    refresh_expires_at: t.refreshExpiresAt,
  });
}

/** Reads `token_data` back. */
export function parseStoredTokens(text: string): TokenData {
  const o = JSON.parse(text) as Record<string, unknown>;
  if (o.kind === "legacy") {
    return {
      kind: "legacy",
      oauth1: o.oauth1 as OAuth1Token,
      accessToken: String(o.access_token),
      accessExpiresAt: Number(o.access_expires_at),
      refreshExpiresAt: o.refresh_expires_at == null ? null : Number(o.refresh_expires_at),
    };
  }
  return {
    kind: "di",
    accessToken: String(o.di_token),
    refreshToken: String(o.di_refresh_token),
    clientId: String(o.di_client_id),
    accessExpiresAt: Number(o.access_expires_at),
    refreshExpiresAt: o.refresh_expires_at == null ? null : Number(o.refresh_expires_at),
  };
}

/** Access-token expiry: the JWT `exp` when there is one, else `expires_in`, else one hour. */
function accessExpiry(accessToken: string, expiresIn: unknown, nowMs: number): number {
  const exp = jwtClaims(accessToken)?.exp;
  if (typeof exp === "number" && Number.isFinite(exp)) return exp * 1000;
  const secs = Number(expiresIn);
  if (Number.isFinite(secs) && secs > 0) return nowMs + secs * 1000;
  return nowMs + 3600_000;
}

function refreshExpiry(refreshExpiresIn: unknown, nowMs: number): number | null {
  const secs = Number(refreshExpiresIn);
  return Number.isFinite(secs) && secs > 0 ? nowMs + secs * 1000 : null;
}

/** Builds DI tokens from a token-endpoint answer. */
function diFromResponse(
  body: Record<string, unknown>,
  fallback: { clientId: string; refreshToken?: string; refreshExpiresAt?: number | null },
  nowMs: number,
): DiTokens {
  const access = body.access_token;
  const refresh = body.refresh_token ?? fallback.refreshToken;
  if (typeof access !== "string" || !access || typeof refresh !== "string" || !refresh) {
    throw new GarminBadResponse("Garmin's token answer lacks access_token or refresh_token");
  }
  const claimed = jwtClaims(access)?.client_id;
  return {
    kind: "di",
    accessToken: access,
    refreshToken: refresh,
    clientId: typeof claimed === "string" && claimed ? claimed : fallback.clientId,
    accessExpiresAt: accessExpiry(access, body.expires_in, nowMs),
    refreshExpiresAt: refreshExpiry(body.refresh_token_expires_in, nowMs) ?? fallback.refreshExpiresAt ?? null,
  };
}

function basicAuth(clientId: string): string {
  return "Basic " + btoa(`${clientId}:`);
}

function errorCode(resp: GarminResponse): { error?: string; description?: string } {
  try {
    const b = JSON.parse(resp.text()) as Record<string, unknown>;
    return {
      error: typeof b.error === "string" ? b.error : undefined,
      description: typeof b.error_description === "string" ? b.error_description : undefined,
    };
  } catch {
    return {};
  }
}

/**
 * Exchanges a service ticket for DI tokens with the SAME service URL the ticket was issued for, trying each
 * DI client id in turn (a non-2xx moves on; a 429 stops). TicketRejected when every id is refused.
 */
export async function exchangeTicket(
  transport: Transport,
  log: Logger,
  ticket: string,
  serviceUrl: string,
  nowMs: () => number,
): Promise<DiTokens> {
  log.addSecret(ticket);
  const reasons: string[] = [];
  let serverErrors = 0;
  for (const clientId of DI_CLIENT_IDS) {
    const resp = await transport.request({
      host: "diauth",
      path: DI_TOKEN_PATH,
      method: "POST",
      raw: true,
      headers: {
        ...NATIVE_HEADERS,
        Authorization: basicAuth(clientId),
        Accept: "application/json,text/html;q=0.9,*/*;q=0.8",
        "Content-Type": "application/x-www-form-urlencoded",
        "Cache-Control": "no-cache",
      },
      body: new URLSearchParams({
        client_id: clientId,
        service_ticket: ticket,
        grant_type: DI_GRANT_TYPE,
        service_url: serviceUrl,
      }),
    });
    if (resp.status === 429) {
      throw new GarminLoginBlocked(
        "Garmin rate-limited the token exchange (HTTP 429): wait an hour or more before logging in again",
        429,
      );
    }
    if (resp.status >= 200 && resp.status < 300) {
      const body = resp.json<Record<string, unknown>>();
      if (!body || typeof body !== "object") throw new GarminBadResponse("Garmin's token answer is empty");
      const tokens = diFromResponse(body, { clientId }, nowMs());
      for (const s of tokenSecrets(tokens)) log.addSecret(s);
      return tokens;
    }
    const { error, description } = errorCode(resp);
    const reason = log.redact([`HTTP ${resp.status}`, error, description].filter(Boolean).join(" "));
    log.debug(`ticket exchange with ${clientId} refused: ${reason}`);
    reasons.push(reason);
    serverErrors += resp.status >= 500 ? 1 : 0;
  }
  // Every client id answered 5xx: Garmin's token service is down, the ticket was never judged.
  if (serverErrors === reasons.length) {
    throw new GarminUnavailable(
      `Garmin's token service is failing (${reasons[reasons.length - 1]}): try logging in again later`,
    );
  }
  throw new TicketRejected(reasons[reasons.length - 1] ?? "refused");
}

/** Refreshes DI tokens (the refresh token rotates: the answer's one replaces ours). RefreshRejected on invalid_grant. */
export async function refreshDiTokens(
  transport: Transport,
  log: Logger,
  tokens: DiTokens,
  nowMs: () => number,
  signal?: AbortSignal,
): Promise<DiTokens> {
  const resp = await transport.request({
    host: "diauth",
    path: DI_TOKEN_PATH,
    method: "POST",
    // A lost answer may mean the refresh token was already spent: never resend it blindly.
    retry: false,
    passStatuses: [400, 401, 403],
    signal,
    headers: {
      ...NATIVE_HEADERS,
      Authorization: basicAuth(tokens.clientId),
      Accept: "application/json",
      "Content-Type": "application/x-www-form-urlencoded",
      "Cache-Control": "no-cache",
    },
    body: new URLSearchParams({
      grant_type: "refresh_token",
      client_id: tokens.clientId,
      refresh_token: tokens.refreshToken,
    }),
  });
  if (resp.status >= 400) {
    const { error, description } = errorCode(resp);
    const reason = log.redact([`HTTP ${resp.status}`, error, description].filter(Boolean).join(" "));
    if (error === "invalid_grant" || resp.status === 401 || error === "invalid_token") {
      throw new RefreshRejected(reason);
    }
    throw new GarminBadResponse(`Garmin refused to refresh the session (${reason}): try again later`);
  }
  const body = resp.json<Record<string, unknown>>();
  if (!body || typeof body !== "object") throw new GarminBadResponse("Garmin's refresh answer is empty");
  const fresh = diFromResponse(body, {
    clientId: tokens.clientId,
    refreshToken: tokens.refreshToken,
    refreshExpiresAt: tokens.refreshExpiresAt,
  }, nowMs());
  for (const s of tokenSecrets(fresh)) log.addSecret(s);
  return fresh;
}

/** The OAuth consumer (key/secret) garth's legacy flow signs with; fetched once per client. */
export interface ConsumerCache {
  consumer?: Promise<{ key: string; secret: string }>;
}

async function fetchConsumer(transport: Transport, log: Logger): Promise<{ key: string; secret: string }> {
  const resp = await transport.request({ host: "garth", path: "/oauth_consumer.json" });
  const body = resp.json<{ consumer_key?: unknown; consumer_secret?: unknown }>();
  if (!body || typeof body.consumer_key !== "string" || typeof body.consumer_secret !== "string") {
    throw new GarminBadResponse("the OAuth consumer file has no consumer_key/consumer_secret");
  }
  log.addSecret(body.consumer_secret);
  return { key: body.consumer_key, secret: body.consumer_secret };
}

interface OAuthSigner {
  authorize(
    request: { url: string; method: string; data?: unknown },
    token?: { key: string; secret: string },
  ): Record<string, string>;
}

/**
 * The OAuth 1.0a signer and exchange path of the `garmin-connect` package (its HttpClient.getOauthClient and
 * UrlClass.OAUTH_URL). Loaded lazily: only imported legacy tokens need it, and it pulls in axios.
 */
async function legacySigner(consumer: { key: string; secret: string }): Promise<{ signer: OAuthSigner; path: string }> {
  const mod = await import("garmin-connect") as unknown as Record<string, unknown>;
  const GarminConnect = (mod.GarminConnect ?? (mod.default as Record<string, unknown>)?.GarminConnect) as new (
    credentials: { username: string; password: string },
  ) => { client: { getOauthClient(c: { key: string; secret: string }): OAuthSigner }; url: { OAUTH_URL: string } };
  const gc = new GarminConnect({ username: "-", password: "-" });
  return {
    signer: gc.client.getOauthClient(consumer),
    path: new URL(gc.url.OAUTH_URL).pathname + "/exchange/user/2.0",
  };
}

/**
 * Refreshes legacy tokens the way garth and the npm package do: the OAuth1-signed POST to
 * `exchange/user/2.0` (OAuth parameters in the query, as `garmin-connect` sends them). RefreshRejected on 401/403.
 */
export async function refreshLegacyTokens(
  transport: Transport,
  log: Logger,
  tokens: LegacyTokens,
  cache: ConsumerCache,
  nowMs: () => number,
  signal?: AbortSignal,
): Promise<LegacyTokens> {
  cache.consumer ??= fetchConsumer(transport, log);
  let consumer: { key: string; secret: string };
  try {
    consumer = await cache.consumer;
  } catch (e) {
    cache.consumer = undefined;
    throw e;
  }
  const { signer, path } = await legacySigner(consumer);
  const url = transport.url("connectapi", path);
  const params = signer.authorize({ url, method: "POST", data: null }, {
    key: tokens.oauth1.oauth_token,
    secret: tokens.oauth1.oauth_token_secret,
  });
  const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
  const resp = await transport.request({
    host: "connectapi",
    path: `${path}?${query}`,
    method: "POST",
    retry: false,
    passStatuses: [400, 401, 403],
    signal,
    headers: { "User-Agent": CONNECT_MOBILE_UA, "Content-Type": "application/x-www-form-urlencoded" },
  });
  if (resp.status >= 400) {
    const { error, description } = errorCode(resp);
    const reason = log.redact([`HTTP ${resp.status}`, error, description].filter(Boolean).join(" "));
    if (resp.status === 401 || resp.status === 403 || error === "invalid_grant") throw new RefreshRejected(reason);
    throw new GarminBadResponse(`Garmin refused to exchange the OAuth1 token (${reason}): try again later`);
  }
  const body = resp.json<Record<string, unknown>>();
  const access = body?.access_token;
  if (typeof access !== "string" || !access) {
    throw new GarminBadResponse("Garmin's exchange answer has no access_token");
  }
  log.addSecret(access);
  if (typeof body.refresh_token === "string") log.addSecret(body.refresh_token);
  const now = nowMs();
  return {
    kind: "legacy",
    oauth1: tokens.oauth1,
    accessToken: access,
    accessExpiresAt: accessExpiry(access, body.expires_in, now),
    refreshExpiresAt: refreshExpiry(body.refresh_token_expires_in, now) ?? tokens.refreshExpiresAt,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function nonEmpty(o: Record<string, unknown>, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== "string" || !v.trim()) throw new InvalidInput(`${what}: "${key}" is missing or empty`);
  return v.trim();
}

/**
 * Reads an import: a python-garminconnect `garmin_tokens.json` object `{di_token, di_refresh_token, di_client_id}`,
 * garth tokens `{oauth1, oauth2}`, a JSON string of either, or garth's base64 `dumps()` string.
 * Throws InvalidInput saying what is wrong.
 */
export function parseImport(data: unknown, nowMs: number): TokenData {
  let v = data;
  if (typeof v === "string") {
    const s = v.trim();
    try {
      v = JSON.parse(
        s.startsWith("{") || s.startsWith("[") ? s : new TextDecoder().decode(
          Uint8Array.from(atob(s), (c) => c.charCodeAt(0)),
        ),
      );
    } catch {
      throw new InvalidInput("the tokens to import are neither JSON nor a garth token string");
    }
  }
  if (Array.isArray(v) && v.length === 2) v = { oauth1: v[0], oauth2: v[1] };
  if (!isRecord(v)) {
    throw new InvalidInput(
      "the tokens to import must be a garmin_tokens.json object {di_token, di_refresh_token, di_client_id} or garth {oauth1, oauth2}",
    );
  }
  if ("di_token" in v || "di_refresh_token" in v) {
    const what = "garmin_tokens.json";
    const accessToken = nonEmpty(v, "di_token", what);
    const refreshToken = nonEmpty(v, "di_refresh_token", what);
    const claimed = jwtClaims(accessToken)?.client_id;
    const clientId = typeof v.di_client_id === "string" && v.di_client_id.trim()
      ? v.di_client_id.trim()
      : typeof claimed === "string" && claimed
      ? claimed
      : nonEmpty(v, "di_client_id", what);
    return {
      kind: "di",
      accessToken,
      refreshToken,
      clientId,
      // No expiry is stored in that file: read the JWT; if unreadable, refresh before first use.
      accessExpiresAt: typeof jwtClaims(accessToken)?.exp === "number" ? accessExpiry(accessToken, 0, nowMs) : nowMs,
      refreshExpiresAt: null,
    };
  }
  if ("oauth1" in v || "oauth2" in v) {
    if (!isRecord(v.oauth1)) throw new InvalidInput('garth tokens: "oauth1" (oauth1_token.json) is missing');
    const o1 = v.oauth1;
    const oauth1: OAuth1Token = {
      oauth_token: nonEmpty(o1, "oauth_token", "oauth1_token.json"),
      oauth_token_secret: nonEmpty(o1, "oauth_token_secret", "oauth1_token.json"),
      mfa_token: typeof o1.mfa_token === "string" ? o1.mfa_token : null,
      mfa_expiration_timestamp: typeof o1.mfa_expiration_timestamp === "string" ? o1.mfa_expiration_timestamp : null,
      domain: typeof o1.domain === "string" ? o1.domain : null,
    };
    const o2 = isRecord(v.oauth2) ? v.oauth2 : {};
    const access = typeof o2.access_token === "string" ? o2.access_token : "";
    // garth stores expires_at in epoch seconds; without a usable OAuth2 token the first call exchanges OAuth1.
    const expSec = Number(o2.expires_at);
    const refreshSec = Number(o2.refresh_token_expires_at);
    return {
      kind: "legacy",
      oauth1,
      accessToken: access,
      accessExpiresAt: access && Number.isFinite(expSec) && expSec > 0 ? expSec * 1000 : nowMs,
      refreshExpiresAt: Number.isFinite(refreshSec) && refreshSec > 0 ? refreshSec * 1000 : null,
    };
  }
  throw new InvalidInput(
    "the tokens to import must be a garmin_tokens.json object {di_token, di_refresh_token, di_client_id} or garth {oauth1, oauth2}",
  );
}
