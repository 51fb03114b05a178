/**
 * `GarminAuth`: every way into a Garmin session (password + MFA, token import, a pasted service ticket, a
 * browser sign-in) ends in tokens stored in the one garmin_auth row; plus status and logout. The pending MFA
 * login (cookie jar, flow, service URL, method) lives in memory for 10 minutes.
 */
import { readAuthRow } from "../../db/auth.ts";
import type { Db } from "../../db/client.ts";
import { InvalidInput, NoPendingLogin, NotAuthenticated } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import type { GarminApiClient } from "./api.ts";
import { ANDROID_SERVICE_URL, PENDING_LOGIN_TTL_MS } from "./constants.ts";
import type { Transport } from "./http.ts";
import { passwordLogin, type PendingLogin, verifyMfa } from "./sso.ts";
import type { Session } from "./session.ts";
import { exchangeTicket, parseImport, TicketRejected } from "./tokens.ts";
import type { AuthStatus, GarminAuth, LoginResult } from "./types.ts";

/** Dependencies of the auth service. */
export interface AuthDeps {
  db: Db;
  transport: Transport;
  session: Session;
  api: GarminApiClient;
  log: Logger;
  clock: () => Date;
  /** Wait between the portal sign-in page and its POST (fallback flow only). */
  portalPauseMs: number;
  pendingTtlMs?: number;
}

/** GarminAuth plus the ticket completion the browser login uses. */
export interface GarminAuthService extends GarminAuth {
  /** Exchanges a ticket and stores the session under `method` (password | ticket | browser). */
  completeWithTicket(ticket: string, serviceUrl: string, method: string): Promise<LoginResult>;
  /** Refreshes the tokens now. */
  refreshNow(): Promise<void>;
  /** Refreshes when the last refresh is older than `maxAgeMs` (default 24 h); true when it did. */
  refreshIfStale(maxAgeMs?: number): Promise<boolean>;
}

/** Creates the auth service. */
export function createGarminAuth(deps: AuthDeps): GarminAuthService {
  const { db, transport, session, api, log, clock } = deps;
  const ttl = deps.pendingTtlMs ?? PENDING_LOGIN_TTL_MS;
  let pending: PendingLogin | null = null;

  async function verifyAndName(method: string): Promise<LoginResult> {
    api.forgetDisplayName();
    try {
      const profile = await api.socialProfile();
      log.info(`logged in to Garmin Connect as ${profile.displayName} (${method})`);
      return { status: "authenticated", displayName: profile.displayName };
    } catch (e) {
      if (e instanceof NotAuthenticated) throw e;
      // The tokens are stored; the profile can be read on the next call.
      log.warn(`logged in to Garmin Connect (${method}), but the profile could not be read: ${(e as Error).message}`);
      return { status: "authenticated" };
    }
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
    await session.saveNew(tokens, method);
    try {
      return await verifyAndName(method);
    } catch (e) {
      if (!(e instanceof NotAuthenticated)) throw e;
      throw new NotAuthenticated(
        "Garmin issued tokens, but its API refuses them (the sign-in page may be one whose tokens Garmin no longer " +
          "accepts): log in again with `garminsync login --browser` or a ticket from the mobile sign-in page",
      );
    }
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
      const outcome = await passwordLogin(transport, log, email.trim(), password, {
        portalPauseMs: deps.portalPauseMs,
      });
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
        verified = await verifyMfa(transport, p, clean);
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
      await session.saveNew(tokens, "import");
      try {
        return await verifyAndName("import");
      } catch (e) {
        if (!(e instanceof NotAuthenticated)) throw e;
        throw new NotAuthenticated(
          "Garmin refused the imported tokens (expired, revoked, or already refreshed by the program that saved " +
            "them: a refresh token works once): log in again, or import a freshly saved token file",
        );
      }
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
      return {
        authenticated: row.state === "active",
        method: row.method,
        display_name: row.display_name,
        access_expires_at: row.access_expires_at,
        refresh_expires_at: row.refresh_expires_at,
        last_refresh_at: row.last_refresh_at,
        state: row.state,
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
    refreshNow: () => session.refreshNow(),
    refreshIfStale: (maxAgeMs) => session.refreshIfStale(maxAgeMs),
  };
}
