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
}

/** The session manager used by the API client and the auth service. */
export interface Session {
  /** The stored row (no decryption); null when none. */
  row(): Promise<AuthRow | null>;
  /** The decoded session; NotAuthenticated when none is stored or it expired. */
  load(): Promise<LoadedSession>;
  /** A usable access token, refreshed first when it is within 15 minutes of expiry. */
  bearer(signal?: AbortSignal): Promise<string>;
  /** After a 401 with `refused`: refreshes (unless another caller already did) and returns the new bearer. */
  afterUnauthorized(refused: string, signal?: AbortSignal): Promise<string>;
  /** Refreshes now, whatever the expiry. */
  refreshNow(signal?: AbortSignal): Promise<void>;
  /** Refreshes when the last refresh (or login) is older than `maxAgeMs` (default 24 h). True when it refreshed. */
  refreshIfStale(maxAgeMs?: number, signal?: AbortSignal): Promise<boolean>;
  /** Stores the tokens of a new login, replacing any session. */
  saveNew(tokens: TokenData, method: string, displayName?: string | null): Promise<void>;
  /** Deletes the stored session. */
  clear(): Promise<void>;
}

/** The message every call fails with once Garmin refused the refresh token. */
export const EXPIRED_MESSAGE =
  "the Garmin session has expired or was revoked (Garmin refused the refresh token): log in again with " +
  "`garminsync login` (or --browser, --ticket, --import), or POST /garmin/auth/login";

function iso(ms: number | null): string | null {
  return ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}

/** Creates the session manager. */
export function createSession(deps: SessionDeps): Session {
  const { db, transport, log, codec, clock } = deps;
  const leaseMs = deps.leaseMs ?? 90_000;
  const pollMs = deps.pollMs ?? 150;
  const owner = `${Deno.pid}:${crypto.randomUUID()}`;
  const consumer: ConsumerCache = {};
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
    const row = await readAuthRow(db);
    if (!row) {
      cached = null;
      throw new NotAuthenticated();
    }
    if (row.state === "expired") throw new NotAuthenticated(EXPIRED_MESSAGE);
    return await decode(row);
  }

  function needsRefresh(t: TokenData): boolean {
    return !t.accessToken || nowMs() >= t.accessExpiresAt - REFRESH_MARGIN_MS;
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
          fresh = loaded.tokens.kind === "di"
            ? await refreshDiTokens(transport, log, loaded.tokens, nowMs)
            : await refreshLegacyTokens(transport, log, loaded.tokens, consumer, nowMs);
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
  };
}
