/**
 * Small typed errors thrown by deep code; `routes/errors.ts` maps them to HTTP answers and the CLI to exit codes.
 * Every message says what happened and what to do, and never carries a password or token.
 */

/** Base class: `status` is the HTTP status the API answers with. */
export class GarminSyncError extends Error {
  status = 500;
  /** Extra JSON fields for the API error body. */
  extra: Record<string, unknown> = {};
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** No usable Garmin session is stored (never logged in, logged out, or refresh token rejected). */
export class NotAuthenticated extends GarminSyncError {
  override status = 401;
  constructor(
    message =
      "not logged in to Garmin Connect: run `garminsync login` (or POST /garmin/auth/login, or import tokens with `login --import`)",
  ) {
    super(message);
  }
}

/** Garmin rejected the credentials. */
export class InvalidCredentials extends GarminSyncError {
  override status = 401;
}

/** A login needs a second factor; the pending login is kept. */
export class MfaRequired extends GarminSyncError {
  override status = 200;
  constructor(message = "Garmin asks for an MFA code: enter the code Garmin sent you") {
    super(message);
  }
}

/** The MFA code was wrong; the pending login stays usable. */
export class InvalidMfaCode extends GarminSyncError {
  override status = 400;
}

/** No login is waiting for an MFA code (none started, or it expired). */
export class NoPendingLogin extends GarminSyncError {
  override status = 409;
}

/** Garmin (or Cloudflare in front of it) refused a credential login: rate limit, bot challenge, CAPTCHA. */
export class GarminLoginBlocked extends GarminSyncError {
  constructor(message: string, override status: 429 | 503 = 503) {
    super(message);
  }
}

/** Garmin answered 429 and retries ran out. */
export class GarminRateLimited extends GarminSyncError {
  override status = 503;
  constructor(message: string, readonly retryAfterMs?: number) {
    super(message);
  }
}

/** Garmin has no such thing (404), e.g. a manual activity with no original file. */
export class GarminNotFound extends GarminSyncError {
  override status = 404;
}

/** Garmin answered something we cannot use (HTML where JSON was expected, a corrupt ZIP, a non-FIT file). */
export class GarminBadResponse extends GarminSyncError {
  override status = 502;
}

/** Garmin could not be reached, or kept failing with 5xx / dropped connections after retries. */
export class GarminUnavailable extends GarminSyncError {
  override status = 503;
}

/** A sync is already running: only one at a time. */
export class SyncAlreadyRunning extends GarminSyncError {
  override status = 409;
  constructor(job: unknown) {
    super("a sync is already running: wait for it to finish (poll GET /garmin/sync/status)");
    this.extra = { job };
  }
}

/** Something the caller asked for does not exist here. */
export class NotFound extends GarminSyncError {
  override status = 404;
}

/** Bad input from the caller (HTTP 422 / CLI exit 2 when it is a usage problem). */
export class InvalidInput extends GarminSyncError {
  override status = 422;
}

/** The data directory or a file in it cannot be written/read. */
export class StorageError extends GarminSyncError {
  override status = 500;
}

/** The sync was stopped at a safe point because the process is shutting down. */
export class SyncInterrupted extends GarminSyncError {
  override status = 503;
  constructor(message = "the sync was interrupted because GarminSync is shutting down; it resumes on the next run") {
    super(message);
  }
}
