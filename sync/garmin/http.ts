/**
 * The one way GarminSync talks HTTP to Garmin: a host map (real hosts, or one origin for a simulator/proxy),
 * request pacing shared by every request of the process, timeouts, retries with backoff and jitter, and a
 * shared pause after a 429. Errors name the URL path only: queries can carry tickets or OAuth signatures.
 */
import {
  GarminBadResponse,
  GarminNotFound,
  GarminRateLimited,
  GarminUnavailable,
  NotAuthenticated,
} from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";

/** Garmin's hosts; with `garminUrl` set they all become that one origin and keep their paths. */
export const GARMIN_HOSTS = {
  sso: "https://sso.garmin.com",
  connect: "https://connect.garmin.com",
  connectapi: "https://connectapi.garmin.com",
  diauth: "https://diauth.garmin.com",
  garth: "https://thegarth.s3.amazonaws.com",
} as const;

/** A logical Garmin host. */
export type GarminHost = keyof typeof GARMIN_HOSTS;

/** The origin a logical host maps to. */
export function garminOrigin(host: GarminHost, garminUrl?: string): string {
  return garminUrl ? new URL(garminUrl).origin : GARMIN_HOSTS[host];
}

/** The full URL of `pathAndQuery` (starting with "/") on `host`. */
export function garminUrlFor(host: GarminHost, pathAndQuery: string, garminUrl?: string): string {
  return garminOrigin(host, garminUrl) + pathAndQuery;
}

/** Sleeps `ms`, waking early (with the abort reason) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Spaces request starts and holds every request during a 429 pause. One per process, shared by all clients. */
export interface Pacer {
  /** Waits for this request's turn. Throws GarminRateLimited when a pause longer than `maxWaitMs` is in force. */
  wait(signal?: AbortSignal, maxWaitMs?: number): Promise<void>;
  /** Makes every request wait until `untilMs` (epoch ms); a shorter pause never shortens a longer one. */
  pauseUntil(untilMs: number): void;
  /** Epoch ms until which requests are paused (0 when none). */
  pausedUntil(): number;
}

/**
 * Creates a pacer: at least `delayMs` between two request starts, plus the shared 429 pause. A function is read
 * at every request, so a changed setting applies without a restart.
 */
export function createPacer(delayMs: number | (() => number)): Pacer {
  const delay = typeof delayMs === "function" ? delayMs : () => delayMs;
  let lastStart = -Infinity;
  let paused = 0;
  // Turns are taken one after another so concurrent callers queue instead of bursting after a pause.
  let tail: Promise<void> = Promise.resolve();
  return {
    wait(signal, maxWaitMs = Infinity) {
      const ahead = paused - Date.now();
      if (ahead > maxWaitMs) {
        return Promise.reject(
          new GarminRateLimited(
            `Garmin asked GarminSync to slow down until ${new Date(paused).toISOString()}: try again after that`,
            ahead,
          ),
        );
      }
      const turn = tail.then(async () => {
        for (;;) {
          const now = Date.now();
          const start = Math.max(now, lastStart + Math.max(0, delay() || 0), paused);
          if (start <= now) break;
          await sleep(start - now);
        }
        lastStart = Date.now();
      });
      tail = turn.catch(() => {});
      if (!signal) return turn;
      return new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        turn.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
      });
    },
    pauseUntil(untilMs) {
      if (untilMs > paused) paused = untilMs;
    },
    pausedUntil: () => paused,
  };
}

/** Options of the transport. */
export interface TransportOptions {
  /** One origin replacing every Garmin host. */
  garminUrl?: string;
  /** Least time between two requests (used when no `pacer` is given); a function is read per request. */
  requestDelayMs: number | (() => number);
  log: Logger;
  /** Share one pacer across clients of the same process. */
  pacer?: Pacer;
  /** Per-attempt timeout of API calls (default 30 s). */
  timeoutMs?: number;
  /** Per-attempt timeout of downloads (default 120 s). */
  downloadTimeoutMs?: number;
  /** First backoff step (default 1000 ms); doubles per attempt, with jitter. */
  retryBaseMs?: number;
  /** Longest backoff step (default 30 s). */
  retryMaxMs?: number;
  /** Attempts for 5xx / network failures / cut bodies (default 4). */
  maxAttempts?: number;
  /** 429 answers tolerated per request before GarminRateLimited (default 3). */
  maxRateLimitRetries?: number;
  /** A 429 asking to wait longer than this fails at once instead of waiting (default 10 min). */
  maxPauseMs?: number;
}

/** One request. `path` starts with "/" and may carry a query. */
export interface GarminRequest {
  host: GarminHost;
  path: string;
  method?: "GET" | "POST" | "PUT" | "DELETE";
  headers?: Record<string, string>;
  body?: string | URLSearchParams;
  /** Statuses handed back to the caller instead of being retried or mapped to errors (e.g. 401 for a refresh). */
  passStatuses?: readonly number[];
  /** Hand back every answer as is: no retry, no 429 pause, no mapping (credential logins must not be retried). */
  raw?: boolean;
  /** Retry 5xx / network failures / cut bodies; default true for GET only. */
  retry?: boolean;
  /** Downloads get the longer timeout. */
  download?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A fully read answer. */
export interface GarminResponse {
  status: number;
  headers: Headers;
  /** The path without its query (safe to show). */
  path: string;
  bytes: Uint8Array;
  text(): string;
  /** Parses JSON; HTML or anything else → GarminBadResponse naming the path. 204/empty → null. */
  json<T = unknown>(): T;
}

/** Sends requests to Garmin. */
export interface Transport {
  request(req: GarminRequest): Promise<GarminResponse>;
  /** The origin a logical host maps to (for Origin/Referer headers and OAuth1 signatures). */
  origin(host: GarminHost): string;
  url(host: GarminHost, pathAndQuery: string): string;
  pacer: Pacer;
}

/** Parses Retry-After (delta seconds or an HTTP date) into milliseconds from now. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** True when a body looks like an HTML page rather than JSON. */
export function looksLikeHtml(text: string, contentType: string | null): boolean {
  if (contentType && /text\/html|application\/xhtml/i.test(contentType)) return true;
  return /^\s*</.test(text);
}

const decoder = new TextDecoder();

/** True for a small JSON body like `{"error": {"status-code": "429", ...}}` (Garmin's rate limit with HTTP 200). */
export function bodySaysRateLimited(bytes: Uint8Array): boolean {
  if (bytes.length > 4096 || bytes[0] !== 0x7b /* { */) return false;
  try {
    const v = JSON.parse(decoder.decode(bytes)) as { error?: { "status-code"?: unknown } };
    return String(v?.error?.["status-code"]) === "429";
  } catch {
    return false;
  }
}

function makeResponse(status: number, headers: Headers, path: string, bytes: Uint8Array): GarminResponse {
  let text: string | undefined;
  const getText = () => (text ??= decoder.decode(bytes));
  return {
    status,
    headers,
    path,
    bytes,
    text: getText,
    json<T>() {
      const t = getText();
      if (status === 204 || t.trim() === "") return null as T;
      if (looksLikeHtml(t, headers.get("content-type"))) {
        throw new GarminBadResponse(
          `Garmin answered an HTML page where JSON was expected (${path}, HTTP ${status}): ` +
            `Garmin may be down, blocking this client, or GARMINSYNC_GARMIN_URL points at something else`,
        );
      }
      try {
        return JSON.parse(t) as T;
      } catch {
        throw new GarminBadResponse(`Garmin answered something that is not JSON (${path}, HTTP ${status})`);
      }
    },
  };
}

class RetryableFailure extends Error {}

/** Creates the transport. */
export function createTransport(options: TransportOptions): Transport {
  const log = options.log;
  const pacer = options.pacer ?? createPacer(options.requestDelayMs);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const downloadTimeoutMs = options.downloadTimeoutMs ?? 120_000;
  const retryBaseMs = options.retryBaseMs ?? 1000;
  const retryMaxMs = options.retryMaxMs ?? 30_000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const maxRateLimitRetries = options.maxRateLimitRetries ?? 3;
  const maxPauseMs = options.maxPauseMs ?? 10 * 60_000;

  function backoff(attempt: number): number {
    const step = Math.min(retryMaxMs, retryBaseMs * 2 ** (attempt - 1));
    return Math.round(step * (0.5 + Math.random() * 0.5));
  }

  async function attemptOnce(
    url: string,
    req: GarminRequest,
  ): Promise<{ status: number; headers: Headers; bytes: Uint8Array }> {
    const controller = new AbortController();
    const limit = req.timeoutMs ?? (req.download ? downloadTimeoutMs : timeoutMs);
    const timer = setTimeout(() => controller.abort(new DOMException("timed out", "TimeoutError")), limit);
    const signal = req.signal ? AbortSignal.any([req.signal, controller.signal]) : controller.signal;
    try {
      const resp = await fetch(url, {
        method: req.method ?? "GET",
        headers: req.headers,
        body: req.body,
        signal,
      });
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await resp.arrayBuffer());
      } catch (e) {
        if (req.signal?.aborted) throw req.signal.reason;
        throw new RetryableFailure(`the answer was cut off (${describe(e, limit)})`);
      }
      const declared = resp.headers.get("content-length");
      if (declared && !resp.headers.get("content-encoding") && Number(declared) !== bytes.length) {
        throw new RetryableFailure(`the answer was cut off (${bytes.length} of ${declared} bytes)`);
      }
      return { status: resp.status, headers: resp.headers, bytes };
    } catch (e) {
      if (req.signal?.aborted) throw req.signal.reason;
      if (e instanceof RetryableFailure) throw e;
      throw new RetryableFailure(describe(e, limit));
    } finally {
      clearTimeout(timer);
    }
  }

  async function request(req: GarminRequest): Promise<GarminResponse> {
    const method = req.method ?? "GET";
    const url = garminUrlFor(req.host, req.path, options.garminUrl);
    const path = req.path.split("?")[0];
    const retry = !req.raw && (req.retry ?? method === "GET");
    let attempt = 0;
    let rateLimited = 0;
    for (;;) {
      attempt++;
      await pacer.wait(req.signal, req.raw ? Infinity : maxPauseMs);
      const started = Date.now();
      let result: { status: number; headers: Headers; bytes: Uint8Array };
      try {
        result = await attemptOnce(url, req);
      } catch (e) {
        if (!(e instanceof RetryableFailure)) throw e;
        if (retry && attempt < maxAttempts) {
          const wait = backoff(attempt);
          log.warn(`${method} ${path}: ${e.message}; retrying in ${wait} ms (attempt ${attempt + 1}/${maxAttempts})`);
          await sleep(wait, req.signal);
          continue;
        }
        throw new GarminUnavailable(
          `could not get an answer from Garmin for ${path}: ${e.message}` +
            (attempt > 1 ? ` (after ${attempt} attempts)` : "") + `. Check the network and try again later`,
        );
      }
      const { headers, bytes } = result;
      // Garmin sometimes reports a rate limit inside a 200 JSON body: treat it as the 429 it is, or it would be
      // stored as data (and overwrite what is stored) or surface as a puzzling "not a list" / "not a ZIP".
      const status = !req.raw && result.status === 200 && bodySaysRateLimited(bytes) ? 429 : result.status;
      log.debug(`${method} ${req.host} ${path} → ${status} (${Date.now() - started} ms)`);
      const response = makeResponse(status, headers, path, bytes);
      if (req.raw || (status >= 200 && status < 300) || req.passStatuses?.includes(status)) return response;

      if (status === 429) {
        rateLimited++;
        const asked = parseRetryAfter(headers.get("retry-after"));
        const wait = asked ?? backoff(rateLimited + 1);
        pacer.pauseUntil(Date.now() + wait);
        if (rateLimited > maxRateLimitRetries || wait > maxPauseMs) {
          throw new GarminRateLimited(
            `Garmin is rate-limiting GarminSync (HTTP 429 on ${path}, ${rateLimited} time(s)` +
              (asked !== undefined ? `, asked to wait ${Math.ceil(asked / 1000)} s` : "") +
              `): wait a while before the next sync`,
            wait,
          );
        }
        log.warn(`${method} ${path}: Garmin answered 429; every request pauses for ${wait} ms`);
        attempt--; // a 429 is counted on its own budget
        continue;
      }
      if (status >= 500) {
        if (retry && attempt < maxAttempts) {
          const wait = backoff(attempt);
          log.warn(`${method} ${path}: Garmin answered ${status}; retrying in ${wait} ms`);
          await sleep(wait, req.signal);
          continue;
        }
        throw new GarminUnavailable(
          `Garmin answered ${status} for ${path}` + (attempt > 1 ? ` ${attempt} times` : "") +
            `: Garmin Connect seems to be having trouble, try again later`,
        );
      }
      if (status === 404) throw new GarminNotFound(`Garmin has nothing at ${path} (404)`);
      if (status === 401) {
        throw new NotAuthenticated(
          `Garmin refused the session for ${path} (401): log in again with \`garminsync login\``,
        );
      }
      throw new GarminBadResponse(`Garmin answered ${status} for ${path}${shortReason(response, log)}`);
    }
  }

  return {
    request,
    origin: (host) => garminOrigin(host, options.garminUrl),
    url: (host, p) => garminUrlFor(host, p, options.garminUrl),
    pacer,
  };
}

function describe(e: unknown, limitMs: number): string {
  if (e instanceof DOMException && e.name === "TimeoutError") return `no answer within ${limitMs} ms`;
  if (e instanceof Error && e.cause instanceof DOMException && e.cause.name === "TimeoutError") {
    return `no answer within ${limitMs} ms`;
  }
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/https?:\/\/\S+/g, "<url>");
}

/** A short, redacted reason from a JSON error body (`message` / `error`), for error messages. */
export function shortReason(resp: GarminResponse, log: Logger): string {
  try {
    const t = resp.text();
    if (looksLikeHtml(t, resp.headers.get("content-type"))) return "";
    const body = JSON.parse(t) as Record<string, unknown>;
    const parts = [body.error, body.error_description, body.message].filter((v) => typeof v === "string");
    if (!parts.length) return "";
    return ` (${log.redact(parts.join(": ")).slice(0, 200)})`;
  } catch {
    return "";
  }
}
