/**
 * Protection of the API and dashboard:
 * - `GARMINSYNC_API_TOKEN`: every route but /healthz and /session needs `Authorization: Bearer <token>` or the
 *   `gs_session` cookie set by the /session form (its value is an HMAC of the token, never the token).
 *   Comparisons are constant-time. Browsers are sent to /session, API clients get 401 JSON.
 * - Cross-site posts: a state-changing request a browser marks as cross-site (Sec-Fetch-Site, or an Origin that
 *   is not ours) is refused. Hono's csrf() would also refuse `curl -d` (no Origin), so this check trusts the
 *   browser-sent headers and lets non-browser clients through; a cross-site page cannot forge those headers.
 * - DNS rebinding: without a token, only requests whose Host is this machine (loopback names and addresses), the
 *   configured listen host or one of `GARMINSYNC_ALLOWED_HOSTS` are served. A page on `rebind.attacker.example`
 *   whose name was re-pointed at 127.0.0.1 is same-origin with itself, so the cross-site check cannot see it; its
 *   Host header still names the attacker's domain.
 * - Security headers on every answer (CSP allowing only our own scripts, no framing, nosniff).
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Config } from "../lib/config.ts";
import { errorResponse, isApiPath } from "./errors.ts";
import type { ApiOperation } from "./openapi.ts";
import { z } from "zod";
import { zValidator } from "@hono/zod-validator";

/** Name of the dashboard session cookie. */
export const SESSION_COOKIE = "gs_session";
const SESSION_DAYS = 30;

/** The cookie value for `token`: an HMAC, so the cookie never reveals the token itself. */
export function sessionValue(token: string): string {
  return createHmac("sha256", token).update("garminsync-session-v1").digest("base64url");
}

/** Constant-time string equality (both sides hashed first so lengths match). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Paths reachable without the token. */
function isOpenPath(path: string): boolean {
  return path === "/healthz" || path === "/session" || path === "/session/end";
}

/** A same-origin path to return to after the form; anything else becomes "/". */
export function safeNext(next: string | undefined | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\") || /[\r\n]/.test(next)) {
    return "/";
  }
  return next;
}

function isAuthorized(c: Context, token: string, cookieValue: string): boolean {
  const auth = c.req.header("authorization");
  if (auth) {
    const m = auth.match(/^Bearer\s+(.+)$/i);
    if (m && safeEqual(m[1].trim(), token)) return true;
  }
  const cookie = getCookie(c, SESSION_COOKIE);
  return cookie !== undefined && safeEqual(cookie, cookieValue);
}

/** Requires the API token (when configured) on every route but /healthz and /session. */
export function requireApiToken(config: Config): MiddlewareHandler {
  const token = config.apiToken;
  const cookieValue = token ? sessionValue(token) : "";
  return async (c, next) => {
    if (!token || isOpenPath(c.req.path) || isAuthorized(c, token, cookieValue)) return await next();
    if (isApiPath(c.req.path)) {
      c.header("WWW-Authenticate", 'Bearer realm="garminsync"');
      return errorResponse(
        c,
        401,
        'this GarminSync needs its API token: send "Authorization: Bearer <GARMINSYNC_API_TOKEN>"',
      );
    }
    const url = new URL(c.req.url);
    const back = c.req.method === "GET" ? `${url.pathname}${url.search}` : url.pathname;
    return c.redirect(`/session?next=${encodeURIComponent(back)}`, 303);
  };
}

/** The host name of a Host header value (port and IPv6 brackets removed, lower case, no trailing dot). */
export function hostName(hostHeader: string): string {
  let h = hostHeader.trim().toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    h = end > 0 ? h.slice(1, end) : h.slice(1);
  } else if (h.indexOf(":") === h.lastIndexOf(":")) {
    h = h.replace(/:\d*$/, "");
  }
  return h.replace(/\.$/, "");
}

/** True for names and addresses that always mean this machine (browsers resolve *.localhost to loopback). */
export function isLoopbackHost(name: string): boolean {
  return name === "localhost" || name.endsWith(".localhost") || name === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/**
 * The Host names served without an API token: loopback, the configured listen host (unless it is a wildcard
 * address) and GARMINSYNC_ALLOWED_HOSTS. Returns a predicate.
 */
export function allowedHostCheck(config: Config): (name: string) => boolean {
  const extra = new Set<string>(config.allowedHosts.map(hostName));
  const listen = hostName(config.host);
  if (listen && listen !== "0.0.0.0" && listen !== "::" && listen !== "*") extra.add(listen);
  return (name) => isLoopbackHost(name) || extra.has(name);
}

/**
 * Without an API token, refuses requests whose Host header is not an allowed name (DNS rebinding). /healthz stays
 * open: a liveness probe may use any address, and it reveals nothing.
 */
export function requireKnownHost(config: Config): MiddlewareHandler {
  const allowed = allowedHostCheck(config);
  return async (c, next) => {
    if (config.apiToken || c.req.path === "/healthz") return await next();
    const raw = c.req.header("host") ?? new URL(c.req.url).host;
    const name = hostName(raw);
    if (allowed(name)) return await next();
    return errorResponse(
      c,
      403,
      `requests for host "${name.slice(0, 100)}" are refused: without GARMINSYNC_API_TOKEN GarminSync answers only ` +
        "localhost, 127.0.0.1 and [::1] (a guard against DNS rebinding). To reach it by this name, add it to " +
        "GARMINSYNC_ALLOWED_HOSTS (comma-separated) or set GARMINSYNC_API_TOKEN",
    );
  };
}

/** Refuses state-changing requests a browser marks as coming from another site. */
export function crossSiteGuard(): MiddlewareHandler {
  return async (c, next) => {
    const m = c.req.method;
    if (m === "GET" || m === "HEAD" || m === "OPTIONS") return await next();
    const site = c.req.header("sec-fetch-site");
    const origin = c.req.header("origin");
    let cross = false;
    if (site) cross = site !== "same-origin" && site !== "none";
    else if (origin) cross = origin !== new URL(c.req.url).origin;
    if (cross) {
      return errorResponse(
        c,
        403,
        "cross-site request refused: submit the form from the GarminSync dashboard itself",
      );
    }
    await next();
  };
}

/** Content-Security-Policy of every answer: our own scripts only, inline styles (style attributes) allowed. */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Adds the security headers to every answer. */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    if (!h.has("Content-Security-Policy")) h.set("Content-Security-Policy", CSP);
    h.set("X-Content-Type-Options", "nosniff");
    h.set("X-Frame-Options", "DENY");
    h.set("Referrer-Policy", "same-origin");
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function sessionPage(next: string, error?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>GarminSync: enter the access token</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a}
label{display:block;font-weight:600;margin:.5rem 0}input{font:inherit;width:100%;padding:.5rem;box-sizing:border-box}
button{font:inherit;margin-top:1rem;padding:.5rem 1.25rem}.error{color:#a40000;font-weight:600}</style></head>
<body><main><h1>GarminSync</h1>
<p>This GarminSync is protected. Enter the access token (<code>GARMINSYNC_API_TOKEN</code>) once; this browser
keeps a session cookie for ${SESSION_DAYS} days.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ""}
<form method="post" action="/session">
<input type="hidden" name="next" value="${escapeHtml(next)}">
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Continue</button>
</form></main></body></html>`;
}

const sessionForm = z.object({
  token: z.string().max(4096).optional(),
  next: z.string().max(2048).optional(),
});

/** Wrong tokens one client may send to POST /session per window before it gets 429. */
export const SESSION_MAX_FAILURES = 5;
/** The window of that limit. */
export const SESSION_FAILURE_WINDOW_MS = 60_000;
const MAX_TRACKED_CLIENTS = 10_000;

/**
 * Counts failed token attempts per client in a sliding window (state lives in the app that owns it). A client
 * is the peer address of the connection: behind a reverse proxy all clients share the proxy's, which errs
 * towards refusing; X-Forwarded-For is not trusted (anyone can send it).
 */
function failureLimiter(clock: () => Date) {
  const failures = new Map<string, number[]>();
  function recent(key: string, now: number): number[] {
    const list = (failures.get(key) ?? []).filter((t) => now - t < SESSION_FAILURE_WINDOW_MS);
    if (list.length) failures.set(key, list);
    else failures.delete(key);
    return list;
  }
  return {
    /** Seconds until `key` may try again, or 0 when it may now. */
    retryAfter(key: string): number {
      const now = clock().getTime();
      const list = recent(key, now);
      if (list.length < SESSION_MAX_FAILURES) return 0;
      return Math.max(
        1,
        Math.ceil((list[list.length - SESSION_MAX_FAILURES] + SESSION_FAILURE_WINDOW_MS - now) / 1000),
      );
    },
    fail(key: string): void {
      const now = clock().getTime();
      const list = recent(key, now);
      list.push(now);
      failures.delete(key);
      failures.set(key, list);
      // Bounded memory: forget the clients seen longest ago (Map keeps insertion order).
      while (failures.size > MAX_TRACKED_CLIENTS) failures.delete(failures.keys().next().value!);
    },
    clear(key: string): void {
      failures.delete(key);
    },
  };
}

/** The peer address of the request (Deno.serve passes its ServeHandlerInfo as Hono's env). */
function clientKey(c: Context): string {
  const addr = (c.env as { remoteAddr?: Deno.Addr } | undefined)?.remoteAddr;
  return addr && "hostname" in addr ? addr.hostname : "local";
}

/** True when the browser reached us over HTTPS, directly or through a proxy that says so. */
function overHttps(c: Context): boolean {
  const forwarded = c.req.header("x-forwarded-proto")?.split(",")[0].trim().toLowerCase();
  return new URL(c.req.url).protocol === "https:" || forwarded === "https";
}

/**
 * GET/POST /session (the token form) and POST /session/end (forget the cookie). After 5 wrong tokens within a
 * minute a client gets 429 (even for the right token) until the oldest of them is a minute old.
 */
export function sessionRoutes(config: Config, clock: () => Date = () => new Date()): Hono {
  const app = new Hono();
  const token = config.apiToken;
  const limiter = failureLimiter(clock);
  app.get("/session", (c) => {
    const next = safeNext(c.req.query("next"));
    if (!token) return c.redirect(next, 303);
    return c.html(sessionPage(next));
  });
  const formValidator = zValidator("form", sessionForm, (result, c) => {
    if (!result.success) return c.html(sessionPage("/", "The form was not understood: send it again."), 400);
  });
  app.post("/session", formValidator, (c) => {
    const form = c.req.valid("form");
    const next = safeNext(form.next);
    if (!token) return c.redirect(next, 303);
    const client = clientKey(c);
    const wait = limiter.retryAfter(client);
    if (wait > 0) {
      c.header("Retry-After", String(wait));
      return c.html(
        sessionPage(next, `Too many wrong tokens from this address: wait ${wait} s, then try again.`),
        429,
      );
    }
    if (!form.token || !safeEqual(form.token, token)) {
      limiter.fail(client);
      return c.html(sessionPage(next, "That token is not right. Check GARMINSYNC_API_TOKEN and try again."), 401);
    }
    limiter.clear(client);
    setCookie(c, SESSION_COOKIE, sessionValue(token), {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      secure: overHttps(c),
      maxAge: SESSION_DAYS * 86_400,
    });
    return c.redirect(next, 303);
  });
  app.post("/session/end", (c) => {
    setCookie(c, SESSION_COOKIE, "", { httpOnly: true, sameSite: "Strict", path: "/", maxAge: 0 });
    return c.redirect("/session", 303);
  });
  return app;
}

/** OpenAPI description of these routes. */
export const sessionDocs: ApiOperation[] = [
  {
    method: "get",
    path: "/session",
    tags: ["session"],
    summary: "The access-token form (only when GARMINSYNC_API_TOKEN is set)",
    open: true,
    responses: { 200: { description: "HTML form", contentType: "text/html" }, 303: { description: "no token set" } },
  },
  {
    method: "post",
    path: "/session",
    tags: ["session"],
    summary: "Check the token and set the gs_session cookie (HttpOnly, SameSite=Strict), then go to `next`",
    open: true,
    body: sessionForm,
    formBody: true,
    responses: {
      303: { description: "accepted: redirect to next" },
      400: { description: "the form was not understood", contentType: "text/html" },
      401: { description: "wrong token: the form again", contentType: "text/html" },
      429: {
        description: `${SESSION_MAX_FAILURES} wrong tokens from this client within a minute: wait (Retry-After)`,
        contentType: "text/html",
      },
    },
  },
  {
    method: "post",
    path: "/session/end",
    tags: ["session"],
    summary: "Forget the session cookie",
    open: true,
    responses: { 303: { description: "redirect to /session" } },
  },
];
