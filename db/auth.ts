/**
 * The one stored Garmin session (`garmin_auth`, id = 1). Every token write bumps `version` and is a
 * compare-and-swap on it, so the CLI and the daemon, sharing the database, never overwrite each other's
 * rotated refresh token. The refresh lease (`refresh_lock_owner/refresh_lock_until`) lets one process refresh
 * while the others wait and then read what it wrote.
 */
import type { Db } from "./client.ts";
import { getSetting, setSettings } from "./settings.ts";

/** The stored row. `token_data` is JSON or an encrypted envelope (see `encrypted`). */
export interface AuthRow {
  method: string;
  token_kind: "di" | "legacy";
  state: "active" | "expired";
  token_data: string;
  encrypted: boolean;
  display_name: string | null;
  access_expires_at: string | null;
  refresh_expires_at: string | null;
  last_refresh_at: string | null;
  created_at: string;
  updated_at: string;
  version: number;
  refresh_lock_owner: string | null;
  refresh_lock_until: string | null;
}

/** What a login writes. */
export interface NewAuth {
  method: string;
  tokenKind: "di" | "legacy";
  tokenData: string;
  encrypted: boolean;
  displayName?: string | null;
  accessExpiresAt: string | null;
  refreshExpiresAt: string | null;
}

/** What a refresh writes. */
export interface TokenUpdate {
  tokenData: string;
  encrypted: boolean;
  accessExpiresAt: string | null;
  refreshExpiresAt: string | null;
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

/** Reads the session row, or null when none is stored. */
export async function readAuthRow(db: Db): Promise<AuthRow | null> {
  const r = await db.execute("SELECT * FROM garmin_auth WHERE id = 1");
  if (!r.rows.length) return null;
  const row = r.rows[0];
  return {
    method: String(row.method),
    token_kind: String(row.token_kind) === "legacy" ? "legacy" : "di",
    state: String(row.state) === "expired" ? "expired" : "active",
    token_data: String(row.token_data),
    encrypted: Number(row.encrypted) === 1,
    display_name: str(row.display_name),
    access_expires_at: str(row.access_expires_at),
    refresh_expires_at: str(row.refresh_expires_at),
    last_refresh_at: str(row.last_refresh_at),
    created_at: String(row.created_at),
    updated_at: String(row.updated_at),
    version: Number(row.version),
    refresh_lock_owner: str(row.refresh_lock_owner),
    refresh_lock_until: str(row.refresh_lock_until),
  };
}

/** Stores a new session (a login replaces whatever was there, active or expired). Returns the new version. */
export async function saveNewAuth(db: Db, a: NewAuth, now: Date): Promise<number> {
  const ts = now.toISOString();
  const r = await db.execute({
    sql: `INSERT INTO garmin_auth (id, method, token_kind, state, token_data, encrypted, display_name,
            access_expires_at, refresh_expires_at, last_refresh_at, created_at, updated_at, version,
            refresh_lock_owner, refresh_lock_until)
          VALUES (1, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, 1, NULL, NULL)
          ON CONFLICT(id) DO UPDATE SET method = excluded.method, token_kind = excluded.token_kind, state = 'active',
            token_data = excluded.token_data, encrypted = excluded.encrypted, display_name = excluded.display_name,
            access_expires_at = excluded.access_expires_at, refresh_expires_at = excluded.refresh_expires_at,
            last_refresh_at = excluded.last_refresh_at, created_at = excluded.created_at,
            updated_at = excluded.updated_at, version = garmin_auth.version + 1,
            refresh_lock_owner = NULL, refresh_lock_until = NULL
          RETURNING version`,
    args: [
      a.method,
      a.tokenKind,
      a.tokenData,
      a.encrypted ? 1 : 0,
      a.displayName ?? null,
      a.accessExpiresAt,
      a.refreshExpiresAt,
      ts,
      ts,
      ts,
    ],
  });
  return Number(r.rows[0].version);
}

/**
 * Takes the refresh lease when the row is still at `version` and nobody else holds a live lease.
 * True when this owner now holds it.
 */
export async function takeRefreshLease(
  db: Db,
  o: { version: number; owner: string; now: Date; leaseMs: number },
): Promise<boolean> {
  const r = await db.execute({
    sql: `UPDATE garmin_auth SET refresh_lock_owner = ?, refresh_lock_until = ?
          WHERE id = 1 AND version = ? AND state = 'active'
            AND (refresh_lock_owner IS NULL OR refresh_lock_owner = ? OR refresh_lock_until IS NULL OR refresh_lock_until < ?)`,
    args: [o.owner, new Date(o.now.getTime() + o.leaseMs).toISOString(), o.version, o.owner, o.now.toISOString()],
  });
  return r.rowsAffected === 1;
}

/** Releases the lease if `owner` still holds it. */
export async function releaseRefreshLease(db: Db, owner: string): Promise<void> {
  await db.execute({
    sql:
      "UPDATE garmin_auth SET refresh_lock_owner = NULL, refresh_lock_until = NULL WHERE id = 1 AND refresh_lock_owner = ?",
    args: [owner],
  });
}

/**
 * Writes refreshed tokens in one statement when the row is still at `expectVersion` and `owner` holds the lease
 * (or nobody does). Bumps the version and clears the lease. True when written.
 */
export async function casUpdateTokens(
  db: Db,
  o: { expectVersion: number; owner: string; now: Date } & TokenUpdate,
): Promise<boolean> {
  const ts = o.now.toISOString();
  const r = await db.execute({
    sql: `UPDATE garmin_auth SET token_data = ?, encrypted = ?, access_expires_at = ?, refresh_expires_at = ?,
            last_refresh_at = ?, updated_at = ?, version = version + 1, refresh_lock_owner = NULL, refresh_lock_until = NULL
          WHERE id = 1 AND version = ? AND state = 'active' AND (refresh_lock_owner IS NULL OR refresh_lock_owner = ?)`,
    args: [
      o.tokenData,
      o.encrypted ? 1 : 0,
      o.accessExpiresAt,
      o.refreshExpiresAt,
      ts,
      ts,
      o.expectVersion,
      o.owner,
    ],
  });
  return r.rowsAffected === 1;
}

/** Marks the session expired (the refresh token was refused) when still at `expectVersion`. */
export async function markAuthExpired(db: Db, expectVersion: number, now: Date): Promise<boolean> {
  const r = await db.execute({
    sql: `UPDATE garmin_auth SET state = 'expired', updated_at = ?, version = version + 1,
            refresh_lock_owner = NULL, refresh_lock_until = NULL
          WHERE id = 1 AND version = ?`,
    args: [now.toISOString(), expectVersion],
  });
  return r.rowsAffected === 1;
}

/** Records the display name (not a token: no version bump). */
export async function setAuthDisplayName(db: Db, displayName: string): Promise<void> {
  await db.execute({ sql: "UPDATE garmin_auth SET display_name = ? WHERE id = 1", args: [displayName] });
}

/** Deletes the stored session. */
export async function deleteAuthRow(db: Db): Promise<void> {
  await db.execute("DELETE FROM garmin_auth WHERE id = 1");
}

/**
 * Re-encrypts a plaintext row in place (a key was set after the tokens were saved). Only when the row is still at
 * `expectVersion`, still plaintext, and no refresh lease is live: bumping the version under a refreshing process
 * would make its compare-and-swap fail and lose the rotated refresh token. True when written.
 */
export async function encryptAuthRow(
  db: Db,
  o: { expectVersion: number; tokenData: string; now: Date },
): Promise<boolean> {
  const ts = o.now.toISOString();
  const r = await db.execute({
    sql: `UPDATE garmin_auth SET token_data = ?, encrypted = 1, updated_at = ?, version = version + 1
          WHERE id = 1 AND version = ? AND encrypted = 0
            AND (refresh_lock_owner IS NULL OR refresh_lock_until IS NULL OR refresh_lock_until < ?)`,
    args: [o.tokenData, ts, o.expectVersion, ts],
  });
  return r.rowsAffected === 1;
}

/** Settings key of the last password login that a sync must not repeat (MFA needed, blocked, bad credentials). */
export const LOGIN_BLOCK_KEY = "auto_login_blocked";

/** Why password logins made without a person are on hold. */
export interface LoginBlock {
  outcome: "mfa_required" | "blocked" | "invalid_credentials";
  /** ISO time of the login that ended so. */
  at: string;
  /** Lower-cased account email: a different GARMIN_EMAIL is not held back. */
  email: string;
  /** "automatic" (a sync) or "manual" (CLI, API, dashboard). */
  source: "automatic" | "manual";
  /** For blocks: the HTTP status the block answers with, and a short reason (no secret). */
  status?: 429 | 503;
  reason?: string;
}

/** Reads the stored login block, or null (none, or unreadable). */
export async function readLoginBlock(db: Db): Promise<LoginBlock | null> {
  const raw = await getSetting(db, LOGIN_BLOCK_KEY);
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as LoginBlock;
    return v && typeof v.outcome === "string" && typeof v.at === "string" ? v : null;
  } catch {
    return null;
  }
}

/** Records a login block (replacing an older one). */
export async function recordLoginBlock(db: Db, block: LoginBlock, now: Date): Promise<void> {
  await setSettings(db, { [LOGIN_BLOCK_KEY]: JSON.stringify(block) }, now);
}

/** Clears the login block (a login succeeded). */
export async function clearLoginBlock(db: Db): Promise<void> {
  await db.execute({ sql: "DELETE FROM settings WHERE key = ?", args: [LOGIN_BLOCK_KEY] });
}
