/**
 * Settings `/settings`: the sync schedule (cron with a plain-words reading and the next five run times, an
 * on/off switch), the request delay (a live setting, saved by its own form) and the read-only configuration
 * that matters day to day. Without the daemon there is no live scheduler, so the schedule is shown read-only
 * with a note.
 */
import { html } from "htm/preact";
import { type Flash, Layout, Time } from "./layout.ts";
import { fmtRelative, fmtUtc } from "./format.ts";
import { cronToWords } from "./cron_words.ts";
import type { ScheduleView } from "./overview_page.ts";

/** Everything the settings page shows. */
export interface SettingsProps {
  flash: Flash | null;
  now: Date;
  schedule: ScheduleView;
  /** The cron shown in the field and previewed: a draft from `?cron=` or the saved one. */
  cron: string;
  /** Whether `cron` is a draft that differs from the saved schedule. */
  draft: boolean;
  /** Next run times of `cron` (ISO), or an error saying why it is not valid. */
  preview: { runs: string[]; error: string | null };
  timeZone: string;
  /** When the last sync of any kind that lists activities finished (dashboard, API, CLI or schedule). */
  lastSync: string | null;
  /** The request delay in force now (ms). */
  requestDelayMs: number;
  /** Largest request delay accepted (ms). */
  requestDelayMax: number;
  config: {
    requestDelayMs: number;
    dataDir: string;
    database: string;
    garminUrl: string | null;
    apiToken: boolean;
    encryption: boolean;
  };
}

/** The settings page. */
export function SettingsPage(p: SettingsProps) {
  const s = p.schedule;
  const readOnly = !s.daemon;
  return html`
    <${Layout} title="Settings" current="settings" flash=${p.flash}>
      <div class="grid">
        <section class="card" aria-labelledby="sched-h">
            <h2 id="sched-h">Sync schedule</h2>
            ${readOnly
              ? html`<p class="flash flash-info">GarminSync is not running as the daemon, so nothing runs on a schedule and the schedule
            cannot be changed here. Start it with <code>garminsync daemon --start</code> (or <code>deno task start</code>).</p>`
              : null}
            <form method="post" action="/settings/schedule">
              <p class="check">
                <input type="checkbox" id="s-enabled" name="enabled" value="on" checked=${s
                  .enabled} disabled=${readOnly} />
                <label for="s-enabled">Run syncs on this schedule</label>
              </p>
              <div class="field field-wide">
                <label for="s-cron">Cron expression (minute hour day month weekday)</label>
                <input id="s-cron" type="text" name="cron_schedule" value=${p
                  .cron} required maxlength="100" spellcheck="false"
                  autocomplete="off" aria-describedby="s-cron-words s-cron-help" readonly=${readOnly} />
              </div>
              <p id="s-cron-words" class=${p.preview.error ? "err-text" : undefined}>
                ${p.preview.error
                  ? `Not a valid cron expression: ${p.preview.error}`
                  : html`<strong>${p.draft ? "Would run" : "Runs"} ${
                    cronToWords(p.cron)
                  }</strong> (server time zone ${p.timeZone}).`}
              </p>
              <p id="s-cron-help" class="muted small">Examples: <code>0 */6 * * *</code> every 6 hours, <code>30 5 * * *</code> every day at
                05:30, <code>0 7 * * 1-5</code> weekdays at 07:00, <code>*/30 * * * *</code> every 30 minutes.</p>
              ${readOnly ? null : html`
                <p class="actions">
                  <button type="submit">Save schedule</button>
                  <button type="submit" class="secondary" formmethod="get" formaction="/settings" formnovalidate="">Preview</button>
                </p>
              `}
            </form>
            ${p.preview.runs.length
              ? html`
                <h3>Next ${p.preview.runs.length} run times${p.draft ? " (preview, not saved)" : ""}</h3>
                <ol class="runs">${p.preview.runs.map((r) =>
                  html`<li><${Time} iso=${r} text=${fmtUtc(r)} /> <span class="muted small">${
                    fmtRelative(r, p.now)
                  }</span></li>`
                )}</ol>
              `
              : null}
            ${s.daemon
              ? html`
                <dl class="facts small">
                  <dt>Saved</dt>
                  <dd><code>${s.cron_schedule}</code> · ${s.enabled ? "on" : "off"}</dd>
                  <dt>Next run</dt>
                  <dd>${s.enabled && s.next_run ? fmtUtc(s.next_run) : "—"}</dd>
                  <dt>Last scheduled run</dt>
                  <dd>${s.last_run ? fmtUtc(s.last_run) : "never"}</dd>
                  <dt>Last sync (any kind)</dt>
                  <dd>${p.lastSync ? fmtUtc(p.lastSync) : "never"}</dd>
                </dl>
              `
              : html`
                <dl class="facts small">
                  <dt>Last sync (any kind)</dt>
                  <dd>${p.lastSync ? fmtUtc(p.lastSync) : "never"}</dd>
                </dl>
              `}
          </section>
        <div class="stack">
          <${DelayCard} value=${p.requestDelayMs} max=${p.requestDelayMax} envDefault=${p.config.requestDelayMs} />
          <section class="card" aria-labelledby="cfg-h">
            <h2 id="cfg-h">Configuration</h2>
            <p class="muted small">Set in the environment (or a <code>.env</code> file); restart GarminSync to change.</p>
            <dl class="facts">
              <dt>Default request delay</dt>
              <dd>${p.config.requestDelayMs.toLocaleString(
                "en-US",
              )} ms <span class="muted small">(<code>GARMINSYNC_REQUEST_DELAY_MS</code>, used until one is saved here)</span></dd>
              <dt>Data folder</dt>
              <dd><code>${p.config
                .dataDir}</code> <span class="muted small">(<code>GARMINSYNC_DATA_DIR</code>)</span></dd>
              <dt>Database</dt>
              <dd>${p.config.database} <span class="muted small">(<code>GARMINSYNC_DB_URL</code>)</span></dd>
              <dt>Garmin servers</dt>
              <dd>${p.config.garminUrl
                ? html`<code>${p.config.garminUrl}</code> <span class="muted small">(<code>GARMINSYNC_GARMIN_URL</code>)</span>`
                : "Garmin Connect"}</dd>
              <dt>API token</dt>
              <dd>${p.config.apiToken ? "required" : "not set (anyone who can reach this port can use it)"} <span
                class="muted small">(<code>GARMINSYNC_API_TOKEN</code>)</span></dd>
              <dt>Tokens at rest</dt>
              <dd>${p.config.encryption ? "encrypted" : "not encrypted"} <span class="muted small">(<code
              >GARMINSYNC_SECRET_KEY</code>)</span></dd>
              <dt>Default schedule</dt>
              <dd><span class="muted small"><code>GARMINSYNC_SCHEDULE</code>, used until one is saved here</span></dd>
            </dl>
          </section>
        </div>
      </div>
      <//>
  `;
}

function DelayCard(props: { value: number; max: number; envDefault: number }) {
  return html`
    <section class="card" aria-labelledby="delay-h">
      <h2 id="delay-h">Requests to Garmin</h2>
      <form method="post" action="/settings/request-delay">
        <div class="field">
          <label for="s-delay">Request delay (ms)</label>
          <input id="s-delay" type="number" name="request_delay_ms" value=${props.value} min="0" max=${props
            .max} step="1"
            required inputmode="numeric" aria-describedby="s-delay-help" />
        </div>
        <p id="s-delay-help"
          class="muted small">The least time between two requests to Garmin Connect, from 0 to ${props.max
            .toLocaleString(
              "en-US",
            )} ms. Longer is gentler on Garmin and less likely to be rate limited; syncs take longer.
          Applies at once, without a restart. Default ${props.envDefault.toLocaleString("en-US")} ms (<code
          >GARMINSYNC_REQUEST_DELAY_MS</code>).</p>
        <p class="actions"><button type="submit">Save delay</button></p>
      </form>
    </section>
  `;
}
