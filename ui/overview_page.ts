/**
 * Overview `/`: totals, last and next sync, the live progress of the one sync job with its buttons, the
 * Garmin session state with expiry warnings, and the latest log rows. The parts marked `data-refresh` are
 * swapped in place by /static/app.js when a sync finishes.
 */
import { html } from "htm/preact";
import type { SyncJob } from "../sync/job_types.ts";
import type { ActivityStats } from "../db/activities.ts";
import type { SyncLogRow } from "../db/logs.ts";
import type { ScheduleInfo } from "../lib/deps.ts";
import type { AuthStatus } from "../sync/garmin/types.ts";
import { Badge, type Flash, Layout, Time } from "./layout.ts";
import { daysUntil, fmtDuration, fmtInt, fmtRelative, fmtUtc, percent } from "./format.ts";
import { cronToWords } from "./cron_words.ts";

/** Totals as `activityStats` returns them. */
export type StatsView = ActivityStats;

/** A sync_logs row as the views use it. */
export type LogView = SyncLogRow;

/** The schedule as shown (daemon = a live scheduler applies it). */
export interface ScheduleView extends ScheduleInfo {
  daemon: boolean;
}

/** The Garmin session as shown: never a token. */
export type AuthView = AuthStatus;

/** Everything the overview shows. */
export interface OverviewProps {
  flash: Flash | null;
  now: Date;
  stats: StatsView;
  job: SyncJob;
  schedule: ScheduleView;
  auth: AuthView | null;
  authError: string | null;
  logs: LogView[];
}

const JOB_LABELS: Record<string, string> = {
  full: "Full sync",
  activities: "Activities",
  health: "Health",
  workouts: "Workouts",
};
const STATE_LABELS: Record<string, string> = {
  idle: "Idle",
  in_progress: "Running",
  completed: "Completed",
  failed: "Failed",
};

/** The overview page. */
export function OverviewPage(p: OverviewProps) {
  return html`
    <${Layout} title="Overview" current="overview" flash=${p.flash}>
      <${AuthBanner} auth=${p.auth} authError=${p.authError} now=${p.now} />
      <${Stats} stats=${p.stats} schedule=${p.schedule} now=${p.now} />
      <div class="grid">
        <${SyncPanel} job=${p.job} now=${p.now} />
        <div class="stack">
          <${ScheduleCard} schedule=${p.schedule} now=${p.now} />
          <${AuthCard} auth=${p.auth} authError=${p.authError} now=${p.now} />
        </div>
      </div>
      <${RecentLogs} logs=${p.logs} />
      <//>
  `;
}

/** A warning when the session is gone, expired or about to expire (refresh token within 7 days). */
export function authWarning(auth: AuthView | null, now: Date): { kind: "error" | "warn"; text: string } | null {
  if (!auth) return null;
  if (auth.state === "expired") {
    return { kind: "error", text: "Your Garmin session has expired, so syncs cannot run." };
  }
  if (auth.state === "key_mismatch") {
    return {
      kind: "error",
      text: "The stored Garmin tokens were saved with another GARMINSYNC_SECRET_KEY: set that key or log in again. " +
        "Until then syncs cannot run.",
    };
  }
  if (!auth.authenticated) {
    return { kind: "warn", text: "Not logged in to Garmin Connect, so syncs cannot run yet." };
  }
  const days = daysUntil(auth.refresh_expires_at, now);
  if (days !== null && days < 0) {
    return { kind: "error", text: `Your Garmin refresh token expired on ${fmtUtc(auth.refresh_expires_at)}.` };
  }
  if (days !== null && days <= 7) {
    return {
      kind: "warn",
      text: `Your Garmin refresh token expires ${fmtRelative(auth.refresh_expires_at, now)} (${
        fmtUtc(auth.refresh_expires_at)
      }); after that syncs stop until you log in again.`,
    };
  }
  return null;
}

function AuthBanner(props: { auth: AuthView | null; authError: string | null; now: Date }) {
  const w = authWarning(props.auth, props.now);
  if (!w) return null;
  const again = props.auth?.method || props.auth?.state === "expired" || props.auth?.state === "key_mismatch";
  return html`<p class=${`flash flash-${w.kind}`}>${w.text} <a href="/login">${
    again ? "Log in again" : "Log in"
  }</a>.</p>`;
}

function Stats(props: { stats: StatsView; schedule: ScheduleView; now: Date }) {
  const s = props.stats;
  const next = props.schedule.daemon && props.schedule.enabled ? props.schedule.next_run : null;
  const count = (label: string, n: number, href: string) =>
    html`
      <dl class="stat">
        <dt>${label}</dt>
        <dd><a href=${href}>${fmtInt(n)}</a></dd>
      </dl>
    `;
  const when = (iso: string | null, none: string) =>
    iso
      ? html`<${Time} iso=${iso} text=${fmtUtc(iso)} /> <span class="muted">(${fmtRelative(iso, props.now)})</span>`
      : none;
  return html`<div class="stats" id="stats" data-refresh="">
    ${count("Activities", s.total, "/activities")} ${count("Downloaded", s.downloaded, "/activities?filter=downloaded")}
    ${count("Missing", s.missing, "/activities?filter=missing")} ${
    count("No file", s.no_file, "/activities?filter=no_file")
  }
    ${s.failed ? count("Failed", s.failed, "/activities?filter=failed") : null}
    <dl class="stat wide">
      <dt>Last sync</dt><dd class="when">${when(s.last_sync, "never")}</dd>
      <dt>Next sync</dt><dd class="when">${
    when(next, props.schedule.daemon ? "schedule off" : "not scheduled (daemon not running)")
  }</dd>
    </dl>
  </div>`;
}

function SyncPanel(props: { job: SyncJob; now: Date }) {
  const j = props.job;
  const pct = percent(j.status === "completed" ? 1 : j.progress);
  const type = j.job_type ? JOB_LABELS[j.job_type] ?? j.job_type : "none";
  const line = `${STATE_LABELS[j.status] ?? j.status}${j.job_type ? `: ${type}` : ""}${
    j.status === "idle" ? "" : ` ${pct}%`
  }`;
  let details = j.status === "failed" && j.error_message ? j.error_message : j.details ?? "";
  if (j.items_total > 0) details += `${details ? " · " : ""}${j.items_done} of ${j.items_total} items`;
  return html`
    <section class="card" id="sync-panel" data-status=${j.status} aria-labelledby="sync-h">
      <h2 id="sync-h">Sync</h2>
      <p class="sync-line" id="sync-line" aria-live="polite">${line}</p>
      <div class="progress-wrap">
        <label class="vh" for="sync-progress">Sync progress</label>
        <progress id="sync-progress" max="100" value=${pct}>${pct}%</progress>
        <span class="pct" id="sync-percent" aria-hidden="true">${pct}%</span>
      </div>
      <dl class="facts small">
          <dt>Job</dt><dd id="sync-type">${type}</dd>
          <dt>Details</dt><dd id="sync-details">${details}</dd>
          ${j.start_time
            ? html`
              <dt>Started</dt>
              <dd>
                <${Time} iso=${j.start_time} text=${fmtUtc(j.start_time, true)} />
              </dd>
            `
            : null}
          ${j.end_time
            ? html`
              <dt>Ended</dt>
              <dd>
                <${Time} iso=${j.end_time} text=${fmtUtc(j.end_time, true)} />
              </dd>
            `
            : null}
        </dl>
      <form method="post" action="/sync" class="actions">
        <button type="submit" name="kind" value="full">Sync now</button>
        <button type="submit" name="kind" value="activities" class="secondary">Activities</button>
        <button type="submit" name="kind" value="health" class="secondary">Health</button>
        <button type="submit" name="kind" value="workouts" class="secondary">Workouts</button>
      </form>
      <p
        class="muted small">“Sync now” lists new activities, downloads missing FIT files, then fetches health data and workouts.</p>
    </section>
  `;
}

function ScheduleCard(props: { schedule: ScheduleView; now: Date }) {
  const s = props.schedule;
  return html`<section class="card" id="schedule-summary" data-refresh="" aria-labelledby="sched-h">
    <h2 id="sched-h">Schedule</h2>
    <p>${
    s.enabled ? html`Runs ${cronToWords(s.cron_schedule)}.` : "Scheduled syncs are off."
  } <span class="muted small">(<code>${s.cron_schedule}</code>)</span></p>
    ${
    !s.daemon
      ? html`
        <p
          class="muted small">Not running as the daemon: start it with <code>garminsync daemon --start</code> for scheduled syncs.</p>
      `
      : s.enabled && s.next_run
      ? html`<p>Next run <${Time} iso=${s.next_run} text=${fmtUtc(s.next_run)} /> (${
        fmtRelative(s.next_run, props.now)
      }).</p>`
      : null
  }
    ${s.last_run ? html`<p class="muted small">Last scheduled run ${fmtUtc(s.last_run)}.</p>` : null}
    <p><a href="/settings">Change the schedule</a></p>
  </section>`;
}

function AuthCard(props: { auth: AuthView | null; authError: string | null; now: Date }) {
  const a = props.auth;
  return html`<section class="card" aria-labelledby="auth-h">
    <h2 id="auth-h">Garmin account</h2>
    ${
    props.authError
      ? html`<p class="err-text">Cannot read the login state: ${props.authError}</p>`
      : !a || (!a.authenticated && a.state !== "expired" && a.state !== "key_mismatch")
      ? html`<p>Not logged in. <a href="/login">Log in to Garmin Connect</a> to sync.</p>`
      : html`
        <dl class="facts small">
          <dt>State</dt>
          <dd>${a.state === "expired"
            ? html`<${Badge} value="failed" label="expired" /> <a href="/login">Log in again</a>`
            : a.state === "key_mismatch"
            ? html`<${Badge} value="failed" label="key mismatch" /> <a href="/login">Log in again</a>`
            : html`<${Badge} value="success" label="logged in" />`}</dd>
          <dt>Account</dt>
          <dd>${a.display_name ?? "—"}</dd>
          <dt>Method</dt>
          <dd>${a.method ?? "—"}</dd>
          <dt>Session renews</dt>
          <dd>${a.refresh_expires_at ? `until ${fmtUtc(a.refresh_expires_at)}` : "—"}</dd>
        </dl>
        <p class="small"><a href="/login">Login details</a></p>
      `
  }
  </section>`;
}

function RecentLogs(props: { logs: LogView[] }) {
  return html`<section class="card" id="recent-logs" data-refresh="" aria-labelledby="logs-h">
    <h2 id="logs-h">Recent sync log</h2>
    ${
    props.logs.length
      ? html`
        <div class="table-wrap">
          <${LogTable} logs=${props.logs} />
        </div>
      `
      : html`<p class="muted">No syncs have run yet.</p>`
  }
    <p class="small"><a href="/logs">All log rows</a></p>
  </section>`;
}

/** The sync log as a table (also used by the logs page); on a phone each row is a card (app.css). */
export function LogTable(props: { logs: LogView[] }) {
  return html`
    <table class="logs">
      <thead>
        <tr>
          <th scope="col">Started (UTC)</th>
          <th scope="col">Status</th>
          <th scope="col">Operation</th>
          <th scope="col">Message</th>
          <th scope="col" class="num">Took</th>
          <th scope="col" class="num">Activities</th>
          <th scope="col" class="num">Downloaded</th>
          <th scope="col" class="num">Items</th>
        </tr>
      </thead>
      <tbody>${props.logs.map((l) =>
        html`
          <tr>
            <td class="nowrap c-time">
              <${Time} iso=${l.timestamp} text=${fmtUtc(l.timestamp, true).replace(" UTC", "")} />
            </td>
            <td class="c-status">
              <${Badge} value=${l.status} />
            </td>
            <td class="c-op">${l.operation}</td>
            <td class="msg">${l.message ?? ""}</td>
            <td class="num nowrap c-n" data-label="took">${l.finished_at
              ? fmtDuration((Date.parse(l.finished_at) - Date.parse(l.timestamp)) / 1000)
              : ""}</td>
            <td class="num c-n" data-label="activities">${fmtInt(l.activities_processed)}</td>
            <td class="num c-n" data-label="downloaded">${fmtInt(l.activities_downloaded)}</td>
            <td class="num c-n" data-label="items">${fmtInt(l.items_processed)}</td>
          </tr>
        `
      )}</tbody>
    </table>
  `;
}
