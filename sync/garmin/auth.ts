/**
 * `GarminAuth`: every way into a Garmin session (password + MFA, token import, a pasted service ticket, a
 * browser sign-in) ends in tokens that are checked against Garmin first (in memory) and only then stored in the
 * one garmin_auth row, so a failed attempt never replaces a working session; plus status and logout. The pending
 * MFA login (cookie jar, flow, service URL, method) lives in memory for 10 minutes. Password logins made by a sync
 * (`autoLogin`) are not repeated after Garmin asked for MFA, blocked them or refused the credentials.
 */
import { clearLoginBlock, type LoginBlock, readAuthRow, readLoginBlock, recordLoginBlock } from "../../db/auth.ts";
import type { Db } from "../../db/client.ts";
import {
  GarminLoginBlocked,
  InvalidCredentials,
  InvalidInput,
  NoPendingLogin,
  NotAuthenticated,
} from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import { createGarminApi, type GarminApiClient } from "./api.ts";
import { ANDROID_SERVICE_URL, PENDING_LOGIN_TTL_MS } from "./constants.ts";
import type { Transport } from "./http.ts";
import { passwordLogin, type PendingLogin, verifyMfa } from "./sso.ts";
import { createTrialSession, type Session } from "./session.ts";
import { KeyMismatch } from "./token_crypto.ts";
import { type ConsumerCache, exchangeTicket, parseImport, TicketRejected, type TokenData } from "./tokens.ts";
import type { AuthStatus, GarminAuth, LoginResult } from "./types.ts";

/** After a blocked password login, a sync waits this long before it tries one again. */
export const LOGIN_BLOCK_RETRY_MS = 12 * 3600_000;

/** Dependencies of the auth service. */
export interface AuthDeps {
  db: Db;
  transport: Transport;
  session: Session;
  api: GarminApiClient;
  log: Logger;
  clock: () => Date;
  /** Wait between the portal sign-in page and its POST (fallback flow only); read at each login. */
  portalPauseMs: () => number;
  pendingTtlMs?: number;
  /** The legacy flow's OAuth consumer, shared with the session. */
  consumer?: ConsumerCache;
}

/** GarminAuth plus the ticket completion the browser login uses. */
export interface GarminAuthService extends GarminAuth {
  /** Exchanges a ticket and stores the session under `method` (password | ticket | browser). */
  completeWithTicket(ticket: string, serviceUrl: string, method: string): Promise<LoginResult>;
  /** Refreshes the tokens now. */
  refreshNow(): Promise<void>;
  /** Refreshes when the last refresh is older than `maxAgeMs` (default 24 h); true when it did. */
  refreshIfStale(maxAgeMs?: number): Promise<boolean>;
  /**
   * A password login made without a person (a sync with GARMIN_EMAIL/GARMIN_PASSWORD). Fails at once, without
   * contacting Garmin, while a login waits for its MFA code in this process, or when the last password login
   * needed an MFA code, was refused, or (for 12 hours) was blocked. Never touches a pending login.
   */
  autoLogin(email: string, password: string): Promise<LoginResult>;
  /** Encrypts a plaintext stored session when a key is set (see Session.secure). */
  secureStoredTokens(): Promise<boolean>;
}

/** Creates the auth service. */
export function createGarminAuth(deps: AuthDeps): GarminAuthService {
  const { db, transport, session, api, log, clock } = deps;
  const ttl = deps.pendingTtlMs ?? PENDING_LOGIN_TTL_MS;
  let pending: PendingLogin | null = null;

  /**
   * Checks new tokens on an in-memory session (a refresh when due, then socialProfile) and stores them only when
   * Garmin accepts them. `refused` says what to do when it does not. When Garmin cannot be asked (down, rate
   * limit), a working stored session is kept and the error says so; with none, the tokens are stored unchecked.
   */
  async function adopt(tokens: TokenData, method: string, refused: string): Promise<LoginResult> {
    const trial = createTrialSession({ transport, log, clock, consumer: deps.consumer }, tokens);
    const trialApi = createGarminApi({ db, transport, session: trial, log, saveDisplayName: false });
    let displayName: string | undefined;
    try {
      displayName = (await trialApi.socialProfile()).displayName;
    } catch (e) {
      if (e instanceof NotAuthenticated) {
        throw new NotAuthenticated(`${refused}. The stored session (if any) is unchanged. (Garmin: ${e.message})`);
      }
      const current = await readAuthRow(db);
      if (current?.state === "active" && e instanceof Error) {
        e.message = `${e.message}. The new tokens could not be checked, so the stored session was kept unchanged: ` +
          `try the login again later`;
        throw e;
      }
      log.warn(
        `logged in to Garmin Connect (${method}), but the tokens could not be checked (${(e as Error).message}); ` +
          `storing them anyway, as no working session is stored`,
      );
    }
    await session.saveNew(trial.tokens(), method, displayName ?? null);
    api.forgetDisplayName();
    await clearLoginBlock(db);
    log.info(`logged in to Garmin Connect${displayName ? ` as ${displayName}` : ""} (${method})`);
    return displayName ? { status: "authenticated", displayName } : { status: "authenticated" };
  }

  async function completeWithTicket(ticket: string, serviceUrl: string, method: string): Promise<LoginResult> {
    let tokens;
    try {
      tokens = await exchangeTicket(transport, log, ticket, serviceUrl, () => clock().getTime());
    } catch (e) {
      if (!(e instanceof TicketRejected)) throw e;
      throw new InvalidInput(
        `Garmin refused the service ticket (${e.message}). A ticket works once, for a few minutes, and only with ` +
          `the service URL it was issued for (used: ${serviceUrl}). Sign in again for a fresh ticket` +
          (method === "ticket" ? "; if it came from another sign-in page, pass that page's service URL" : ""),
      );
    }
    return await adopt(
      tokens,
      method,
      "Garmin issued tokens, but its API refuses them (the sign-in page may be one whose tokens Garmin no longer " +
        "accepts): log in again with `garminsync login --browser` or a ticket from the mobile sign-in page",
    );
  }

  /** Records how a password login ended when a sync must not simply repeat it. */
  async function noteLoginOutcome(
    outcome: LoginBlock["outcome"],
    email: string,
    source: LoginBlock["source"],
    error?: GarminLoginBlocked,
  ): Promise<void> {
    const block: LoginBlock = { outcome, at: clock().toISOString(), email: email.trim().toLowerCase(), source };
    if (error) {
      block.status = error.status === 429 ? 429 : 503;
      // The first sentence names the block; the rest is advice repeated in our own message.
      block.reason = error.message.split(". ")[0].slice(0, 300);
    }
    await recordLoginBlock(db, block, clock()).catch((e) =>
      log.warn(`could not record the outcome of the password login: ${e.message}`)
    );
  }

  /** Throws when a sync must not try a password login for `email` now; else returns. Sends nothing. */
  async function assertAutoLoginAllowed(email: string): Promise<void> {
    if (livePending()) {
      throw new NotAuthenticated(
        "a login is waiting for its MFA code (started with `garminsync login`, on the dashboard or through the API): " +
          "enter the code there to finish it, then sync again; this sync did not start another login",
      );
    }
    const block = await readLoginBlock(db);
    if (!block || block.email !== email.trim().toLowerCase()) return;
    const what = block.source === "automatic" ? "automatic login" : "password login";
    const ways =
      "log in with `garminsync login` (or --browser, --ticket, --import) or on the dashboard, then sync again";
    if (block.outcome === "mfa_required") {
      throw new NotAuthenticated(
        `the last ${what} at ${block.at} (with GARMIN_EMAIL/GARMIN_PASSWORD) needed an MFA code, which a sync cannot ` +
          `enter, so GarminSync does not try it again: ${ways}`,
      );
    }
    if (block.outcome === "invalid_credentials") {
      throw new NotAuthenticated(
        `Garmin rejected GARMIN_EMAIL/GARMIN_PASSWORD at ${block.at}, so GarminSync does not try them again: fix them ` +
          `and ${ways}`,
      );
    }
    const retryAt = Date.parse(block.at) + LOGIN_BLOCK_RETRY_MS;
    if (!(clock().getTime() < retryAt)) return;
    throw new GarminLoginBlocked(
      `the last ${what} at ${block.at} was blocked by Garmin (${block.reason ?? "blocked"}); repeated logins make ` +
        `blocks last longer, so a sync tries a password login again only after ${new Date(retryAt).toISOString()}: ` +
        ways,
      block.status ?? 503,
    );
  }

  function livePending(): PendingLogin | null {
    if (pending && clock().getTime() > pending.expiresAt) {
      log.info("the login waiting for an MFA code expired");
      pending = null;
    }
    return pending;
  }

  return {
    completeWithTicket,
    async login(email, password) {
      if (!email?.trim() || !password) {
        throw new InvalidInput("an email and a password are needed for a password login");
      }
      pending = null;
      let outcome;
      try {
        outcome = await passwordLogin(transport, log, email.trim(), password, { portalPauseMs: deps.portalPauseMs() });
      } catch (e) {
        // A sync would hit the same block: it waits too.
        if (e instanceof GarminLoginBlocked) await noteLoginOutcome("blocked", email, "manual", e);
        throw e;
      }
      if (outcome.kind === "mfa") {
        pending = { ...outcome, expiresAt: clock().getTime() + ttl };
        log.info(`Garmin asks for an MFA code (sent by ${outcome.mfaMethod}); the login waits ${ttl / 60000} min`);
        return { status: "mfa_required" };
      }
      return await completeWithTicket(outcome.ticket, outcome.serviceUrl, "password");
    },
    async submitMfa(code) {
      const p = livePending();
      if (!p) {
        throw new NoPendingLogin(
          "no login is waiting for an MFA code (none was started, or it expired after 10 minutes): " +
            "start again with `garminsync login` or POST /garmin/auth/login",
        );
      }
      const clean = String(code ?? "").trim();
      if (!clean) throw new InvalidInput("the MFA code is empty: enter the code Garmin sent you");
      let verified;
      try {
        verified = await verifyMfa(transport, p, clean, log);
      } catch (e) {
        if (e instanceof NoPendingLogin) pending = null;
        throw e;
      }
      const { ticket, serviceUrl } = verified;
      pending = null;
      return await completeWithTicket(ticket, serviceUrl, "password");
    },
    async importTokens(data) {
      const tokens = parseImport(data, clock().getTime());
      return await adopt(
        tokens,
        "import",
        "Garmin refused the imported tokens (expired, revoked, or already refreshed by the program that saved " +
          "them: a refresh token works once): log in again, or import a freshly saved token file",
      );
    },
    async loginWithTicket(ticket, serviceUrl) {
      const t = String(ticket ?? "").trim();
      if (!/^ST-[A-Za-z0-9._-]+$/.test(t)) {
        throw new InvalidInput(
          "that is not a service ticket: it starts with ST- (copy serviceTicketId from the /mobile/api/login answer)",
        );
      }
      let service = ANDROID_SERVICE_URL;
      if (serviceUrl !== undefined && serviceUrl !== null && serviceUrl !== "") {
        try {
          new URL(serviceUrl);
          service = serviceUrl.trim();
        } catch {
          throw new InvalidInput(`the service URL ${JSON.stringify(serviceUrl)} is not a URL`);
        }
      }
      return await completeWithTicket(t, service, "ticket");
    },
    async status(): Promise<AuthStatus> {
      const row = await readAuthRow(db);
      if (!row) {
        return {
          authenticated: false,
          method: null,
          display_name: null,
          access_expires_at: null,
          refresh_expires_at: null,
          last_refresh_at: null,
          state: null,
        };
      }
      let state: string = row.state;
      if (row.state === "active") {
        // Decoding proves the key opens the tokens: a wrong key must not show as logged in.
        try {
          await session.load();
        } catch (e) {
          if (e instanceof KeyMismatch) state = "key_mismatch";
          else if (e instanceof NotAuthenticated) state = "unreadable";
          else throw e;
        }
      }
      return {
        authenticated: state === "active",
        method: row.method,
        display_name: row.display_name,
        access_expires_at: row.access_expires_at,
        refresh_expires_at: row.refresh_expires_at,
        last_refresh_at: row.last_refresh_at,
        state,
      };
    },
    async logout() {
      pending = null;
      await session.clear();
      api.forgetDisplayName();
    },
    async hasSession() {
      const row = await readAuthRow(db);
      return row !== null && row.state === "active";
    },
    async autoLogin(email, password) {
      if (!email?.trim() || !password) {
        throw new InvalidInput("an email and a password are needed for a password login");
      }
      await assertAutoLoginAllowed(email);
      // Not `login`: a sync must never replace a login that waits for its code (it has none to give).
      let outcome;
      try {
        outcome = await passwordLogin(transport, log, email.trim(), password, { portalPauseMs: deps.portalPauseMs() });
      } catch (e) {
        if (e instanceof GarminLoginBlocked) await noteLoginOutcome("blocked", email, "automatic", e);
        if (e instanceof InvalidCredentials) await noteLoginOutcome("invalid_credentials", email, "automatic");
        throw e;
      }
      if (outcome.kind === "mfa") {
        await noteLoginOutcome("mfa_required", email, "automatic");
        log.warn("the automatic Garmin login needs an MFA code; no sync tries it again until a login succeeds");
        throw new NotAuthenticated(
          "Garmin asks for an MFA code to log in with GARMIN_EMAIL/GARMIN_PASSWORD, which a sync cannot enter: run " +
            "`garminsync login` (it prompts for the code) or log in from the dashboard, then sync again",
        );
      }
      try {
        return await completeWithTicket(outcome.ticket, outcome.serviceUrl, "password");
      } catch (e) {
        if (e instanceof GarminLoginBlocked) await noteLoginOutcome("blocked", email, "automatic", e);
        throw e;
      }
    },
    secureStoredTokens: () => session.secure(),
    refreshNow: () => session.refreshNow(),
    refreshIfStale: (maxAgeMs) => session.refreshIfStale(maxAgeMs),
  };
}
