/**
 * The dashboard: server-rendered pages (Preact + htm, see ui/) and their form posts. Every action is a plain
 * form POST that redirects back with a one-shot flash message (PRG), so everything works without JavaScript;
 * /static/app.js only polls the sync status on the overview. Expected failures of a form (a sync already
 * running, bad credentials, a wrong MFA code, an invalid cron) come back as flash messages; anything else goes
 * to the app's onError.
 */
import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { zValidator } from "@hono/zod-validator";
import { z } from "zod";
import { createHash } from "node:crypto";
import type { AppDeps } from "../lib/deps.ts";
import {
  GarminLoginBlocked,
  GarminRateLimited,
  GarminSyncError,
  GarminUnavailable,
  InvalidCredentials,
  InvalidInput,
  InvalidMfaCode,
  NoPendingLogin,
  SyncAlreadyRunning,
} from "../lib/errors.ts";
import { activityStats, activityTypes, listActivities, resetActivity } from "../db/activities.ts";
import { clearLogs, listLogs } from "../db/logs.ts";
import { listHealthDays } from "../db/health.ts";
import { nextRuns, readSchedule } from "../daemon/scheduler.ts";
import type { JobKind } from "../sync/job_types.ts";
import { describeIssues } from "./validation.ts";
import { renderErrorPage } from "../ui/error_page.ts";
import { type Flash, type PageChrome, renderDocument } from "../ui/layout.ts";
import { type AuthView, OverviewPage, type ScheduleView } from "../ui/overview_page.ts";
import { activitiesHref, ActivitiesPage } from "../ui/activities_page.ts";
import { HEALTH_PRESETS, HealthPage } from "../ui/health_page.ts";
import { LOG_STATUSES, LogsPage } from "../ui/logs_page.ts";
import { SettingsPage } from "../ui/settings_page.ts";
import { LoginPage } from "../ui/login_page.ts";
import { APP_JS } from "../ui/static_js.ts";
import { APP_CSS } from "../ui/static_css.ts";
import { addDays, daysBetweenInclusive, isoDate } from "../ui/format.ts";

/** Rows per page on the activities and logs pages (keeps each page small at any table size). */
export const PAGE_SIZE = 50;
/** Longest custom range the health page draws. */
export const HEALTH_MAX_DAYS = 366;
/** Largest request delay the settings form accepts (the same bound as RuntimeSettings.setRequestDelayMs). */
const REQUEST_DELAY_MAX_MS = 600_000;

const FLASH_COOKIE = "gs_flash";
const KIND_LABELS: Record<JobKind, string> = {
  full: "full sync",
  activities: "activities sync",
  health: "health sync",
  workouts: "workouts sync",
};

const blank = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const dateField = z.preprocess(
  blank,
  z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date YYYY-MM-DD").refine(
    (v) => {
      const d = new Date(`${v}T00:00:00Z`);
      return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(v);
    },
    "must be a real date",
  ).optional(),
);
const pageField = z.preprocess(
  blank,
  z.coerce.number({ error: "must be a whole number" }).int("must be a whole number").min(1, "must be 1 or more")
    .max(1_000_000, "is too large").default(1),
);

const activitiesQuery = z.object({
  filter: z.preprocess(blank, z.enum(["all", "missing", "downloaded", "no_file", "failed"]).default("all")),
  type: z.preprocess(blank, z.string().max(100).optional()),
  from: dateField,
  to: dateField,
  sort: z.preprocess(blank, z.enum(["start_time", "name", "type", "distance", "duration"]).default("start_time")),
  order: z.preprocess(blank, z.enum(["asc", "desc"]).default("desc")),
  page: pageField,
});
const healthQuery = z.object({
  days: z.preprocess(
    blank,
    z.coerce.number().int().refine((d) => HEALTH_PRESETS.includes(d), `must be one of ${HEALTH_PRESETS.join(", ")}`)
      .optional(),
  ),
  from: dateField,
  to: dateField,
});
const logsQuery = z.object({
  status: z.preprocess(blank, z.enum(LOG_STATUSES).optional()),
  operation: z.preprocess(blank, z.string().max(50).optional()),
  page: pageField,
});
const settingsQuery = z.object({
  cron_schedule: z.preprocess(blank, z.string().max(100).optional()),
  enabled: z.string().optional(),
});
const loginQuery = z.object({ step: z.preprocess(blank, z.enum(["mfa"]).optional()) });

const syncForm = z.object({ kind: z.enum(["full", "activities", "health", "workouts"]) });
const retryParam = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
const retryForm = z.object({ back: z.string().max(2048).optional() });
const clearForm = z.object({ confirm: z.literal("yes", { error: "tick the box to confirm" }) });
const scheduleForm = z.object({
  enabled: z.string().optional(),
  cron_schedule: z.string().trim().min(1, "is required").max(100, "is too long"),
});
const delayForm = z.object({
  request_delay_ms: z.string().trim().min(1, "is required").regex(/^\d+$/, "must be a whole number of milliseconds")
    .transform(Number).pipe(
      z.number().max(REQUEST_DELAY_MAX_MS, `must be at most ${REQUEST_DELAY_MAX_MS.toLocaleString("en-US")} ms`),
    ),
});
const loginForm = z.object({
  email: z.preprocess(blank, z.string().trim().max(254).optional()),
  password: z.preprocess(blank, z.string().max(1024).optional()),
});
const mfaForm = z.object({
  code: z.string().transform((v) => v.replace(/\s+/g, "")).pipe(
    z.string().regex(/^\d{4,10}$/, "must be the 4 to 10 digits Garmin sent"),
  ),
});
const importForm = z.object({
  tokens: z.string().max(64 * 1024).optional(),
  // One file (garmin_tokens.json) or several (garth's oauth1_token.json + oauth2_token.json): a File or a list.
  file: z.any().optional(),
});
const ticketForm = z.object({
  ticket: z.string().trim().min(1, "is required").max(512, "is too long"),
  service_url: z.preprocess(blank, z.string().trim().max(2048, "is too long").optional()),
});

function issueText(issues: readonly z.core.$ZodIssue[]): string {
  return describeIssues(issues).map((i) => `${i.path} ${i.message}`).join("; ");
}

/** A 400 page naming the bad query parameter (a hand-edited URL; the forms never send one). */
function queryHook(result: { success: boolean; error?: { issues: readonly z.core.$ZodIssue[] } }, c: Context) {
  if (result.success || !result.error) return;
  return c.html(renderErrorPage(400, `This address has a bad parameter: ${issueText(result.error.issues)}.`), 400);
}

/** Redirects a form that did not validate back to `to` with the problem as a flash message. */
function formHook(to: string) {
  return (result: { success: boolean; error?: { issues: readonly z.core.$ZodIssue[] } }, c: Context) => {
    if (result.success || !result.error) return;
    return redirectWithFlash(c, to, {
      kind: "error",
      text: `The form was not accepted: ${issueText(result.error.issues)}.`,
    });
  };
}

function setFlash(c: Context, flash: Flash): void {
  setCookie(c, FLASH_COOKIE, JSON.stringify({ kind: flash.kind, text: flash.text.slice(0, 600) }), {
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    maxAge: 120,
  });
}

function redirectWithFlash(c: Context, to: string, flash: Flash): Response {
  setFlash(c, flash);
  return c.redirect(to, 303);
}

/** Reads and forgets the flash cookie (shown once). */
function takeFlash(c: Context): Flash | null {
  const raw = getCookie(c, FLASH_COOKIE);
  if (raw === undefined) return null;
  deleteCookie(c, FLASH_COOKIE, { path: "/" });
  try {
    const v = JSON.parse(raw);
    if (v && ["ok", "error", "info", "warn"].includes(v.kind) && typeof v.text === "string") {
      return { kind: v.kind, text: v.text.slice(0, 600) };
    }
  } catch {
    // A mangled cookie is simply not shown.
  }
  return null;
}

function page(c: Context, node: unknown, chrome: PageChrome): Response {
  c.header("Cache-Control", "no-store");
  return c.html(renderDocument(node, chrome));
}

/** Only same-site dashboard paths are followed after a form (never an open redirect). */
function safeBack(back: string | undefined, fallback: string): string {
  if (!back || !back.startsWith("/") || back.startsWith("//") || /[\\\r\n]/.test(back)) return fallback;
  return back;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function staticAsset(body: string, type: string) {
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 16)}"`;
  return (c: Context) => {
    c.header("ETag", etag);
    c.header("Cache-Control", "no-cache");
    if (c.req.header("if-none-match") === etag) return c.body(null, 304);
    c.header("Content-Type", type);
    return c.body(body);
  };
}

function describeDb(url: string): string {
  if (url.startsWith("file:")) return `embedded file ${url.slice(5).split("?")[0]}`;
  if (url === ":memory:") return "in memory";
  try {
    const u = new URL(url);
    return `libSQL server ${u.protocol}//${u.host}`;
  } catch {
    return "libSQL server";
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * The uploaded token files as one import: a single file is passed as it is (garmin_tokens.json, or garth's
 * {oauth1, oauth2}); several are merged by what they hold (garth's oauth1_token.json has oauth_token_secret,
 * oauth2_token.json has access_token), whatever their names. Throws InvalidInput naming the file at fault.
 */
export function mergeTokenFiles(files: { name: string; text: string }[]): unknown {
  const parsed = files.map((f) => {
    try {
      return { name: f.name, data: JSON.parse(f.text) as unknown };
    } catch (e) {
      throw new InvalidInput(`${f.name} is not JSON (${errorText(e).slice(0, 120)}): choose the token files as saved`);
    }
  });
  if (parsed.length === 1) return parsed[0].data;
  const merged: { oauth1?: unknown; oauth2?: unknown } = {};
  for (const { name, data } of parsed) {
    const slot = isRecord(data) && "oauth_token_secret" in data
      ? "oauth1"
      : isRecord(data) && "access_token" in data
      ? "oauth2"
      : null;
    if (!slot) {
      throw new InvalidInput(
        `${name} is neither garth's oauth1_token.json nor its oauth2_token.json: choose those two files together, ` +
          "or garmin_tokens.json on its own",
      );
    }
    if (merged[slot]) {
      throw new InvalidInput(`two ${slot}_token.json files were chosen: choose one oauth1 and one oauth2 file`);
    }
    merged[slot] = data;
  }
  return merged;
}

/** Dashboard pages mounted at /. */
export function pageRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const now = () => deps.clock?.() ?? new Date();
  const { db, config } = deps;
  const chrome: PageChrome = { signOut: Boolean(config.apiToken) };

  async function scheduleView(): Promise<ScheduleView> {
    if (deps.scheduler) return { ...(await deps.scheduler.info()), daemon: true };
    // Not the daemon: nothing runs on a schedule here; show what is stored (and what the daemon would do).
    return { ...(await readSchedule(db, config, now)), daemon: false };
  }

  /** A sync can log in: a stored session, or credentials in the environment. */
  async function canSync(): Promise<boolean> {
    return Boolean(config.garminEmail && config.garminPassword) || await deps.garmin.auth.hasSession();
  }

  async function authView(): Promise<{ auth: AuthView | null; authError: string | null }> {
    try {
      return { auth: await deps.garmin.auth.status(), authError: null };
    } catch (e) {
      return { auth: null, authError: deps.log.redact(errorText(e)) };
    }
  }

  app.get("/static/app.js", staticAsset(APP_JS, "text/javascript; charset=utf-8"));
  app.get("/static/app.css", staticAsset(APP_CSS, "text/css; charset=utf-8"));

  app.get("/", async (c) => {
    const flash = takeFlash(c);
    const [stats, logs, auth, schedule] = await Promise.all([
      activityStats(db),
      listLogs(db, { limit: 8, offset: 0 }),
      authView(),
      scheduleView(),
    ]);
    return page(
      c,
      OverviewPage({ flash, now: now(), stats, job: deps.jobs.status(), schedule, ...auth, logs: logs.rows }),
      chrome,
    );
  });

  app.post("/sync", zValidator("form", syncForm, formHook("/")), async (c) => {
    const { kind } = c.req.valid("form");
    if (!(await canSync())) {
      return redirectWithFlash(c, "/", {
        kind: "error",
        text: "Not logged in to Garmin Connect: log in on the Login page first, then sync.",
      });
    }
    try {
      deps.jobs.start(kind, { trigger: "dashboard" });
    } catch (e) {
      if (!(e instanceof SyncAlreadyRunning)) throw e;
      const job = deps.jobs.status();
      const what = job.job_type ? KIND_LABELS[job.job_type] : "sync";
      return redirectWithFlash(c, "/", {
        kind: "info",
        text: `A ${what} is already running (${Math.round(job.progress * 100)}% done). ` +
          `Only one sync runs at a time: wait for it to finish, then start the ${KIND_LABELS[kind]}.`,
      });
    }
    return redirectWithFlash(c, "/", { kind: "ok", text: `Started a ${KIND_LABELS[kind]}.` });
  });

  app.get("/activities", zValidator("query", activitiesQuery, queryHook), async (c) => {
    const q = c.req.valid("query");
    let { from, to } = q;
    if (from && to && from > to) [from, to] = [to, from];
    const query = { ...q, from, to };
    // No per-state counts here: they walk every row, and the overview already shows them.
    const [list, types] = await Promise.all([
      listActivities(db, {
        filter: q.filter,
        type: q.type,
        from,
        to,
        sort: q.sort,
        order: q.order,
        limit: PAGE_SIZE,
        offset: (q.page - 1) * PAGE_SIZE,
      }),
      activityTypes(db),
    ]);
    const pages = Math.max(1, Math.ceil(list.total / PAGE_SIZE));
    if (q.page > pages) return c.redirect(activitiesHref(query, { page: pages }), 303);
    return page(
      c,
      ActivitiesPage({
        flash: takeFlash(c),
        rows: list.rows,
        total: list.total,
        perPage: PAGE_SIZE,
        query,
        types,
      }),
      chrome,
    );
  });

  app.post(
    "/activities/:id/retry",
    zValidator("param", retryParam, formHook("/activities")),
    zValidator("form", retryForm, formHook("/activities")),
    async (c) => {
      const { id } = c.req.valid("param");
      const back = safeBack(c.req.valid("form").back, "/activities");
      if (!(await resetActivity(db, id))) {
        return redirectWithFlash(c, back, { kind: "error", text: `Activity ${id} is not stored here.` });
      }
      if (!(await canSync())) {
        return redirectWithFlash(c, back, {
          kind: "info",
          text: `Activity ${id} is marked for another try. Not logged in to Garmin Connect: log in on the Login ` +
            `page, then sync to download it.`,
        });
      }
      try {
        deps.jobs.start("activities", { trigger: "dashboard retry" });
      } catch (e) {
        if (!(e instanceof SyncAlreadyRunning)) throw e;
        return redirectWithFlash(c, back, {
          kind: "info",
          text: `Activity ${id} is marked for another try. A sync is running right now, so its download happens ` +
            `on the next activities sync.`,
        });
      }
      return redirectWithFlash(c, back, {
        kind: "ok",
        text: `Retrying activity ${id}: an activities sync has started (progress on the Overview).`,
      });
    },
  );

  app.get("/health", zValidator("query", healthQuery, queryHook), async (c) => {
    const q = c.req.valid("query");
    let flash = takeFlash(c);
    const today = isoDate(now());
    let from: string, to: string, days: number | null = null;
    if (q.from || q.to) {
      to = q.to ?? today;
      from = q.from ?? addDays(to, -29);
      if (from > to) [from, to] = [to, from];
      if (daysBetweenInclusive(from, to) > HEALTH_MAX_DAYS) {
        from = addDays(to, -(HEALTH_MAX_DAYS - 1));
        flash = {
          kind: "warn",
          text: `Showing the last ${HEALTH_MAX_DAYS} days up to ${to} (the longest range drawn).`,
        };
      }
    } else {
      days = q.days ?? 30;
      to = today;
      from = addDays(today, -(days - 1));
    }
    const rows = await listHealthDays(db, from, to);
    return page(c, HealthPage({ flash, from, to, days, rows }), chrome);
  });

  app.get("/logs", zValidator("query", logsQuery, queryHook), async (c) => {
    const q = c.req.valid("query");
    const filtered = q.status || q.operation;
    const [list, all] = await Promise.all([
      listLogs(db, { status: q.status, operation: q.operation, limit: PAGE_SIZE, offset: (q.page - 1) * PAGE_SIZE }),
      filtered ? listLogs(db, { limit: 0, offset: 0 }) : null,
    ]);
    return page(
      c,
      LogsPage({
        flash: takeFlash(c),
        rows: list.rows,
        total: list.total,
        allTotal: all ? all.total : list.total,
        perPage: PAGE_SIZE,
        query: q,
      }),
      chrome,
    );
  });

  app.post("/logs/clear", zValidator("form", clearForm, formHook("/logs")), async (c) => {
    const n = await clearLogs(db);
    const kept = deps.jobs.running() ? " The row of the sync running now is kept." : "";
    return redirectWithFlash(c, "/logs", {
      kind: "ok",
      text: `Deleted ${n} log ${n === 1 ? "row" : "rows"}.${kept}`,
    });
  });

  app.get("/settings", zValidator("query", settingsQuery, queryHook), async (c) => {
    const q = c.req.valid("query");
    const [schedule, stats] = await Promise.all([scheduleView(), activityStats(db)]);
    const cron = q.cron_schedule?.trim() || schedule.cron_schedule;
    const preview: { runs: string[]; error: string | null } = { runs: [], error: null };
    try {
      preview.runs = deps.scheduler ? deps.scheduler.preview(cron, 5) : nextRuns(cron, 5, now());
    } catch (e) {
      preview.error = e instanceof InvalidInput ? errorText(e).replace(/^cron_schedule "[^"]*" is /, "") : errorText(e);
    }
    return page(
      c,
      SettingsPage({
        flash: takeFlash(c),
        now: now(),
        schedule,
        cron,
        draft: cron !== schedule.cron_schedule,
        preview,
        timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
        lastSync: stats.last_sync,
        requestDelayMs: deps.settings.requestDelayMs(),
        requestDelayMax: REQUEST_DELAY_MAX_MS,
        config: {
          requestDelayMs: config.requestDelayMs,
          dataDir: config.dataDir,
          database: describeDb(config.dbUrl),
          garminUrl: config.garminUrl ?? null,
          apiToken: Boolean(config.apiToken),
          encryption: Boolean(config.secretKey),
        },
      }),
      chrome,
    );
  });

  app.post("/settings/schedule", zValidator("form", scheduleForm, formHook("/settings")), async (c) => {
    const form = c.req.valid("form");
    const enabled = form.enabled === "on" || form.enabled === "true";
    if (!deps.scheduler) {
      return redirectWithFlash(c, "/settings", {
        kind: "error",
        text: "The schedule can only be changed while GarminSync runs as the daemon (garminsync daemon --start).",
      });
    }
    try {
      const info = await deps.scheduler.update(enabled, form.cron_schedule);
      return redirectWithFlash(c, "/settings", {
        kind: "ok",
        text: info.enabled
          ? `Schedule saved: ${info.cron_schedule}. It applies now${
            info.next_run ? `; next run ${info.next_run}` : ""
          }.`
          : `Schedule saved (${info.cron_schedule}) and switched off: no syncs run on their own.`,
      });
    } catch (e) {
      if (!(e instanceof InvalidInput)) throw e;
      return redirectWithFlash(c, `/settings?cron_schedule=${encodeURIComponent(form.cron_schedule)}`, {
        kind: "error",
        text: `Not saved: ${errorText(e)}`,
      });
    }
  });

  app.post("/settings/request-delay", zValidator("form", delayForm, formHook("/settings")), async (c) => {
    const ms = c.req.valid("form").request_delay_ms;
    try {
      await deps.settings.setRequestDelayMs(ms);
    } catch (e) {
      if (!(e instanceof InvalidInput)) throw e;
      return redirectWithFlash(c, "/settings", { kind: "error", text: `Not saved: ${errorText(e)}` });
    }
    return redirectWithFlash(c, "/settings", {
      kind: "ok",
      text: `Request delay saved: ${ms.toLocaleString("en-US")} ms between requests to Garmin, from now on.`,
    });
  });

  app.get("/login", zValidator("query", loginQuery, queryHook), async (c) => {
    const { step } = c.req.valid("query");
    return page(
      c,
      LoginPage({
        flash: takeFlash(c),
        now: now(),
        ...(await authView()),
        step: step ?? null,
        envCredentials: Boolean(config.garminEmail && config.garminPassword),
      }),
      chrome,
    );
  });

  /** Turns the expected login failures into a flash on the login page; anything else goes to onError. */
  function loginFailure(c: Context, e: unknown, to = "/login"): Response {
    const text = deps.log.redact(errorText(e));
    if (e instanceof InvalidCredentials) {
      return redirectWithFlash(c, to, {
        kind: "error",
        text: `${text} Check the email and password, or import tokens instead (below).`,
      });
    }
    if (e instanceof GarminLoginBlocked || e instanceof GarminRateLimited || e instanceof GarminUnavailable) {
      return redirectWithFlash(c, to, {
        kind: "error",
        text: `${text} Other ways in: "garminsync login --browser" (sign in in a browser window), import tokens ` +
          `from python-garminconnect or garth (below), or a service ticket from a browser sign-in (below).`,
      });
    }
    if (e instanceof InvalidMfaCode) {
      return redirectWithFlash(c, "/login?step=mfa", { kind: "error", text: `${text} Try the code again.` });
    }
    if (e instanceof NoPendingLogin) {
      return redirectWithFlash(c, "/login", {
        kind: "error",
        text: `${text} Log in with your email and password again to get a new code.`,
      });
    }
    if (e instanceof InvalidInput || (e instanceof GarminSyncError && e.status < 500)) {
      return redirectWithFlash(c, to, { kind: "error", text });
    }
    throw e;
  }

  app.post("/login", zValidator("form", loginForm, formHook("/login")), async (c) => {
    const form = c.req.valid("form");
    const email = form.email ?? (form.password ? undefined : config.garminEmail);
    const password = form.password ?? (form.email ? undefined : config.garminPassword);
    if (!email || !password) {
      return redirectWithFlash(c, "/login", { kind: "error", text: "Enter both your Garmin email and password." });
    }
    let result;
    try {
      result = await deps.garmin.auth.login(email, password);
    } catch (e) {
      return loginFailure(c, e);
    }
    if (result.status === "mfa_required") {
      return redirectWithFlash(c, "/login?step=mfa", {
        kind: "info",
        text: "Garmin asks for a one-time code: enter the code it sent you.",
      });
    }
    return redirectWithFlash(c, "/", {
      kind: "ok",
      text: `Logged in to Garmin Connect${result.displayName ? ` as ${result.displayName}` : ""}.`,
    });
  });

  app.post("/login/mfa", zValidator("form", mfaForm, formHook("/login?step=mfa")), async (c) => {
    const { code } = c.req.valid("form");
    let result;
    try {
      result = await deps.garmin.auth.submitMfa(code);
    } catch (e) {
      return loginFailure(c, e, "/login?step=mfa");
    }
    if (result.status === "mfa_required") {
      return redirectWithFlash(c, "/login?step=mfa", { kind: "error", text: "Garmin still asks for a code." });
    }
    return redirectWithFlash(c, "/", {
      kind: "ok",
      text: `Logged in to Garmin Connect${result.displayName ? ` as ${result.displayName}` : ""}.`,
    });
  });

  app.post("/login/import", zValidator("form", importForm, formHook("/login")), async (c) => {
    const form = c.req.valid("form");
    const text = form.tokens?.trim() ?? "";
    const files = (Array.isArray(form.file) ? form.file : [form.file])
      .filter((f): f is File => f instanceof File && f.size > 0);
    if (!text && files.length === 0) {
      return redirectWithFlash(c, "/login", {
        kind: "error",
        text: "Paste the token JSON or choose a token file to import.",
      });
    }
    let data: unknown;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (e) {
        return redirectWithFlash(c, "/login", {
          kind: "error",
          text: `That is not JSON (${errorText(e).slice(0, 120)}): paste the whole garmin_tokens.json, or ` +
            `{"oauth1": …, "oauth2": …} from garth's two files (or choose both files instead).`,
        });
      }
    } else {
      try {
        data = mergeTokenFiles(await Promise.all(files.map(async (f) => ({ name: f.name, text: await f.text() }))));
      } catch (e) {
        return loginFailure(c, e);
      }
    }
    let result;
    try {
      result = await deps.garmin.auth.importTokens(data);
    } catch (e) {
      return loginFailure(c, e);
    }
    if (result.status !== "authenticated") {
      return redirectWithFlash(c, "/login", { kind: "error", text: "Those tokens were not accepted." });
    }
    return redirectWithFlash(c, "/", {
      kind: "ok",
      text: `Tokens imported: logged in${result.displayName ? ` as ${result.displayName}` : ""}.`,
    });
  });

  app.post("/login/ticket", zValidator("form", ticketForm, formHook("/login")), async (c) => {
    const form = c.req.valid("form");
    let result;
    try {
      result = await deps.garmin.auth.loginWithTicket(form.ticket, form.service_url);
    } catch (e) {
      return loginFailure(c, e);
    }
    if (result.status !== "authenticated") {
      return redirectWithFlash(c, "/login", { kind: "error", text: "Garmin did not accept that ticket." });
    }
    return redirectWithFlash(c, "/", {
      kind: "ok",
      text: `Logged in to Garmin Connect with the ticket${result.displayName ? ` as ${result.displayName}` : ""}.`,
    });
  });

  app.post("/logout", async (c) => {
    await deps.garmin.auth.logout();
    return redirectWithFlash(c, "/login", { kind: "ok", text: "Logged out: the stored Garmin tokens are deleted." });
  });

  return app;
}
