/**
 * The stored Garmin session and its token lifecycle: load (decrypting), hand out a bearer (refreshing 15 minutes
 * before the JWT `exp`), refresh after a 401, refresh an idle session once a day, and mark it expired when
 * Garmin refuses the refresh token. One refresh at a time: a shared promise within the process, and a lease on
 * the row across processes; a process that loses the race reads the tokens the winner wrote.
 */
import {
  type AuthRow,
  casUpdateTokens,
  deleteAuthRow,
  encryptAuthRow,
  markAuthExpired,
  readAuthRow,
  releaseRefreshLease,
  saveNewAuth,
  takeRefreshLease,
} from "../../db/auth.ts";
import type { Db } from "../../db/client.ts";
import { GarminUnavailable, NotAuthenticated } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import { IDLE_REFRESH_MS, REFRESH_MARGIN_MS } from "./constants.ts";
import { sleep, type Transport } from "./http.ts";
import type { TokenCodec } from "./token_crypto.ts";
import {
  type ConsumerCache,
  parseStoredTokens,
  refreshDiTokens,
  refreshLegacyTokens,
  RefreshRejected,
  serializeTokens,
  type TokenData,
  tokenSecrets,
} from "./tokens.ts";

/** A decoded session. */
export interface LoadedSession {
  row: AuthRow;
  tokens: TokenData;
}

/** Dependencies of the session. */
export interface SessionDeps {
  db: Db;
  transport: Transport;
  log: Logger;
  codec: TokenCodec;
  clock: () => Date;
  /** How long a refresh lease lasts before another process may take over (default 90 s). */
  leaseMs?: number;
  /** How often a process waiting for another one's refresh looks again (default 150 ms). */
  pollMs?: number;
  /** The legacy flow's OAuth consumer, fetched once and shared with the login's token check. */
  consumer?: ConsumerCache;
}

/** What the API client needs of a session. */
export interface BearerSource {
  /** The stored row (no decryption); null when none. */
  row(): Promise<AuthRow | null>;
  /** A usable access token, refreshed first when it is within 15 minutes of expiry. */
  bearer(signal?: AbortSignal): Promise<string>;
  /** After a 401 with `refused`: refreshes (unless another caller already did) and returns the new bearer. */
  afterUnauthorized(refused: string, signal?: AbortSignal): Promise<string>;
}

/** The session manager used by the API client and the auth service. */
export interface Session extends BearerSource {
  /** The decoded session; NotAuthenticated when none is stored or it expired. */
  load(): Promise<LoadedSession>;
  /** Refreshes now, whatever the expiry. */
  refreshNow(signal?: AbortSignal): Promise<void>;
  /** Refreshes when the last refresh (or login) is older than `maxAgeMs` (default 24 h). True when it refreshed. */
  refreshIfStale(maxAgeMs?: number, signal?: AbortSignal): Promise<boolean>;
  /** Stores the tokens of a new login, replacing any session. */
  saveNew(tokens: TokenData, method: string, displayName?: string | null): Promise<void>;
  /** Deletes the stored session. */
  clear(): Promise<void>;
  /** With a key set, encrypts a row stored in plaintext (saved before the key was set). True when it did. */
  secure(): Promise<boolean>;
}

/** The message every call fails with once Garmin refused the refresh token. */
export const EXPIRED_MESSAGE =
  "the Garmin session has expired or was revoked (Garmin refused the refresh token): log in again with " +
  "`garminsync login` (or --browser, --ticket, --import), or POST /garmin/auth/login";

function iso(ms: number | null): string | null {
  return ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}

/** True when `t`'s access token is missing or within 15 minutes of its expiry. */
function dueForRefresh(t: TokenData, nowMs: number): boolean {
  return !t.accessToken || nowMs >= t.accessExpiresAt - REFRESH_MARGIN_MS;
}

/** One refresh of either kind of tokens (DI rotating refresh, or the legacy OAuth1 exchange). RefreshRejected. */
function refreshTokens(
  transport: Transport,
  log: Logger,
  tokens: TokenData,
  consumer: ConsumerCache,
  nowMs: () => number,
): Promise<TokenData> {
  return tokens.kind === "di"
    ? refreshDiTokens(transport, log, tokens, nowMs)
    : refreshLegacyTokens(transport, log, tokens, consumer, nowMs);
}

/** A session held in memory only: new tokens being checked before they replace the stored ones. */
export interface TrialSession extends BearerSource {
  /** The tokens as they are now (refreshed ones, when a refresh was needed). */
  tokens(): TokenData;
}

/**
 * Creates a trial session on `tokens`: refreshes in memory when they are due (or once after a 401) and never
 * touches the database. A refused refresh → NotAuthenticated naming Garmin's reason.
 */
export function createTrialSession(
  deps: { transport: Transport; log: Logger; clock: () => Date; consumer?: ConsumerCache },
  initial: TokenData,
): TrialSession {
  const consumer = deps.consumer ?? {};
  const nowMs = () => deps.clock().getTime();
  let tokens = initial;
  let refreshes = 0;
  for (const s of tokenSecrets(initial)) deps.log.addSecret(s);

  async function refresh(): Promise<string> {
    // Two refreshes of tokens nobody has used yet means they do not work: no loop.
    if (refreshes >= 2) throw new NotAuthenticated("Garmin refuses the tokens even after a refresh");
    refreshes++;
    try {
      tokens = await refreshTokens(deps.transport, deps.log, tokens, consumer, nowMs);
    } catch (e) {
      if (e instanceof RefreshRejected) throw new NotAuthenticated(`Garmin refused the refresh token (${e.message})`);
      throw e;
    }
    return tokens.accessToken;
  }

  return {
    row: () => Promise.resolve(null),
    tokens: () => tokens,
    bearer: () => dueForRefresh(tokens, nowMs()) ? refresh() : Promise.resolve(tokens.accessToken),
    afterUnauthorized: (refused) => tokens.accessToken === refused ? refresh() : Promise.resolve(tokens.accessToken),
  };
}

/** Creates the session manager. */
export function createSession(deps: SessionDeps): Session {
  const { db, transport, log, codec, clock } = deps;
  const leaseMs = deps.leaseMs ?? 90_000;
  const pollMs = deps.pollMs ?? 150;
  const owner = `${Deno.pid}:${crypto.randomUUID()}`;
  const consumer: ConsumerCache = deps.consumer ?? {};
  let secured = false;
  let cached: LoadedSession | null = null;
  let inflight: Promise<LoadedSession> | null = null;
  const nowMs = () => clock().getTime();

  async function decode(row: AuthRow): Promise<LoadedSession> {
    if (cached && cached.row.version === row.version && cached.row.token_data === row.token_data) {
      cached = { row, tokens: cached.tokens };
      return cached;
    }
    const plain = await codec.decode(row.token_data, row.encrypted);
    let tokens: TokenData;
    try {
      tokens = parseStoredTokens(plain);
    } catch {
      throw new NotAuthenticated("the stored Garmin tokens cannot be read: log in again");
    }
    for (const s of tokenSecrets(tokens)) log.addSecret(s);
    cached = { row, tokens };
    return cached;
  }

  async function load(): Promise<LoadedSession> {
    let row = await readAuthRow(db);
    if (!row) {
      cached = null;
      throw new NotAuthenticated();
    }
    if (row.state === "expired") throw new NotAuthenticated(EXPIRED_MESSAGE);
    // A key set after the tokens were saved: encrypt them now rather than at the next refresh (once per process).
    if (!row.encrypted && codec.encrypts && !secured) {
      secured = true;
      if (await secure().catch((e) => (log.warn(`could not encrypt the stored Garmin tokens: ${e.message}`), false))) {
        row = await readAuthRow(db) ?? row;
      }
    }
    return await decode(row);
  }

  async function secure(): Promise<boolean> {
    if (!codec.encrypts) return false;
    const row = await readAuthRow(db);
    if (!row || row.encrypted) return false;
    const { data, encrypted } = await codec.encode(row.token_data);
    if (!encrypted) return false;
    const written = await encryptAuthRow(db, { expectVersion: row.version, tokenData: data, now: clock() });
    if (written) {
      log.info("the stored Garmin tokens were in plaintext; they are now encrypted with GARMINSYNC_SECRET_KEY");
    }
    return written;
  }

  function needsRefresh(t: TokenData): boolean {
    return dueForRefresh(t, nowMs());
  }

  async function encodeTokens(tokens: TokenData) {
    const { data, encrypted } = await codec.encode(serializeTokens(tokens));
    return {
      tokenData: data,
      encrypted,
      accessExpiresAt: iso(tokens.accessExpiresAt),
      refreshExpiresAt: iso(tokens.refreshExpiresAt),
    };
  }

  /**
   * One refresh replacing the access token `stale` (refused, expiring, or due). When another process wrote a
   * different, still valid token meanwhile, that one is used instead.
   */
  async function doRefresh(stale: string): Promise<LoadedSession> {
    const deadline = Date.now() + leaseMs * 2;
    for (;;) {
      const loaded = await load();
      if (loaded.tokens.accessToken !== stale && !needsRefresh(loaded.tokens)) return loaded;
      const version = loaded.row.version;
      const leased = await takeRefreshLease(db, { version, owner, now: clock(), leaseMs });
      if (!leased) {
        if (Date.now() > deadline) {
          throw new GarminUnavailable(
            "another GarminSync process has been refreshing the Garmin session for too long: try again in a minute",
          );
        }
        log.debug("another process is refreshing the Garmin session; waiting for its tokens");
        await sleep(pollMs);
        continue;
      }
      try {
        let fresh: TokenData;
        try {
          fresh = await refreshTokens(transport, log, loaded.tokens, consumer, nowMs);
        } catch (e) {
          if (e instanceof RefreshRejected) {
            await markAuthExpired(db, version, clock());
            cached = null;
            log.warn(`Garmin refused the refresh token (${e.message}); the session is marked expired`);
            throw new NotAuthenticated(EXPIRED_MESSAGE);
          }
          throw e;
        }
        // The new pair is written (one statement, compare-and-swap) before the new access token is used.
        const written = await casUpdateTokens(db, {
          expectVersion: version,
          owner,
          now: clock(),
          ...await encodeTokens(fresh),
        });
        if (!written) {
          log.warn("the Garmin session changed while it was being refreshed; using the stored one");
          return await load();
        }
        log.info("Garmin session refreshed");
        return await load();
      } finally {
        await releaseRefreshLease(db, owner).catch(() => {});
      }
    }
  }

  // Not abortable on purpose: a refresh cut off after Garmin rotated the token would lose the new one.
  function refresh(stale: string): Promise<LoadedSession> {
    inflight ??= doRefresh(stale).finally(() => {
      inflight = null;
    });
    return inflight;
  }

  return {
    row: () => readAuthRow(db),
    load,
    async bearer() {
      const loaded = await load();
      if (!needsRefresh(loaded.tokens)) return loaded.tokens.accessToken;
      return (await refresh(loaded.tokens.accessToken)).tokens.accessToken;
    },
    async afterUnauthorized(refused) {
      const loaded = await load();
      if (loaded.tokens.accessToken !== refused && !needsRefresh(loaded.tokens)) return loaded.tokens.accessToken;
      return (await refresh(refused)).tokens.accessToken;
    },
    async refreshNow() {
      const loaded = await load();
      await refresh(loaded.tokens.accessToken);
    },
    async refreshIfStale(maxAgeMs = IDLE_REFRESH_MS) {
      const row = await readAuthRow(db);
      if (!row || row.state !== "active") return false;
      const last = Date.parse(row.last_refresh_at ?? row.created_at);
      if (Number.isFinite(last) && nowMs() - last < maxAgeMs) return false;
      await refresh((await decode(row)).tokens.accessToken);
      return true;
    },
    async saveNew(tokens, method, displayName) {
      for (const s of tokenSecrets(tokens)) log.addSecret(s);
      const enc = await encodeTokens(tokens);
      await saveNewAuth(db, { method, tokenKind: tokens.kind, displayName: displayName ?? null, ...enc }, clock());
      cached = null;
    },
    async clear() {
      await deleteAuthRow(db);
      cached = null;
    },
    secure,
  };
}
