/**
 * Health `/health`: steps, sleep stages, resting heart rate and weight over a chosen range as server-side SVG
 * charts, and a calendar of which days have which data stored.
 */
import { html } from "htm/preact";
import { type Flash, Layout } from "./layout.ts";
import { BarChart, LineChart, StackedBarChart } from "./charts.ts";
import { type DayPresence, HealthCalendar } from "./calendar.ts";
import { addDays, daysBetweenInclusive, fmtInt } from "./format.ts";

/** A stored health day (the fields the page reads). */
export interface HealthDayView {
  calendar_date: string;
  steps: number | null;
  step_goal: number | null;
  resting_hr: number | null;
  deep_sleep_seconds: number | null;
  light_sleep_seconds: number | null;
  rem_sleep_seconds: number | null;
  awake_sleep_seconds: number | null;
  weight_g: number | null;
  has_summary: boolean;
  has_sleep: boolean;
  has_weight: boolean;
}

/** Everything the health page shows. */
export interface HealthProps {
  flash: Flash | null;
  from: string;
  to: string;
  /** The preset chosen (7/30/90/365), or null for a custom from/to. */
  days: number | null;
  rows: HealthDayView[];
}

/** Preset ranges offered as links. */
export const HEALTH_PRESETS = [7, 30, 90, 365];

/** The health page. */
export function HealthPage(p: HealthProps) {
  const n = daysBetweenInclusive(p.from, p.to);
  const dates = Array.from({ length: n }, (_, i) => addDays(p.from, i));
  const byDate = new Map(p.rows.map((r) => [r.calendar_date, r]));
  const get = <T>(d: string, f: (r: HealthDayView) => T | null): T | null => {
    const r = byDate.get(d);
    return r ? f(r) : null;
  };
  const hours = (s: number | null) => (s === null ? null : s / 3600);
  const goals = p.rows.map((r) => r.step_goal).filter((g): g is number => g !== null && g > 0);
  const goal = goals.length ? goals[goals.length - 1] : null;
  const presence = new Map<string, DayPresence>(
    p.rows.map((r) => [r.calendar_date, { summary: r.has_summary, sleep: r.has_sleep, weight: r.has_weight }]),
  );
  const count = (f: (r: HealthDayView) => boolean) => p.rows.filter(f).length;
  const tickK = (v: number) => (v >= 1000 ? `${Math.round(v / 100) / 10}k` : String(Math.round(v)));
  return html`
    <${Layout} title="Health" current="health" flash=${p.flash}>
      <section class="card" aria-labelledby="range-h">
        <h2 id="range-h">Range</h2>
        <nav class="range-links" aria-label="Preset ranges">
            ${HEALTH_PRESETS.map((d) =>
              html`<a href=${`/health?days=${d}`} aria-current=${p.days === d ? "true" : undefined}>Last ${d} days</a>`
            )}
          </nav>
        <form method="get" action="/health" class="filters">
          <div
            class="field"><label for="h-from">From</label><input id="h-from" type="date" name="from" value=${p
              .from} required /></div>
          <div
            class="field"><label for="h-to">To</label><input id="h-to" type="date" name="to" value=${p
              .to} required /></div>
          <div class="field"><span class="label" aria-hidden="true"> </span><button type="submit">Show</button></div>
        </form>
        <p
          class="muted small">${p.from} to ${p.to} (${n} days, calendar dates as Garmin records them). ${p.rows.length
            ? `${fmtInt(p.rows.length)} days stored.`
            : html`No health data stored for these days: run a health sync from the <a href="/">overview</a>.`}</p>
      </section>
      <div class="charts">
        <section class="card">
          <${BarChart}
            id="chart-steps"
            title="Steps"
            cls="s-steps"
            unit="steps"
            points=${dates.map((d) => ({ date: d, value: get(d, (r) => r.steps) }))}
            goal=${goal}
            fmt=${fmtInt}
            tick=${tickK}
          />
        </section>
        <section class="card">
          <${StackedBarChart}
            id="chart-sleep"
            title="Sleep stages"
            unit="h"
            series=${[
              { label: "Deep", cls: "s-deep" },
              { label: "Light", cls: "s-light" },
              { label: "REM", cls: "s-rem" },
              { label: "Awake", cls: "s-awake" },
            ]}
            points=${dates.map((d) => ({
              date: d,
              values: [
                get(d, (r) => hours(r.deep_sleep_seconds)),
                get(d, (r) => hours(r.light_sleep_seconds)),
                get(d, (r) => hours(r.rem_sleep_seconds)),
                get(d, (r) => hours(r.awake_sleep_seconds)),
              ],
            }))}
            fmt=${(v: number) => v.toFixed(1)}
            tick=${(v: number) => `${Math.round(v * 10) / 10}h`}
          />
        </section>
        <section class="card">
          <${LineChart}
            id="chart-rhr"
            title="Resting heart rate"
            cls="line-hr"
            unit="bpm"
            points=${dates.map((d) => ({ date: d, value: get(d, (r) => r.resting_hr) }))}
            fmt=${(v: number) => String(Math.round(v))}
            tick=${(v: number) => String(Math.round(v))}
          />
        </section>
        <section class="card">
          <${LineChart}
            id="chart-weight"
            title="Weight"
            cls="line-weight"
            unit="kg"
            points=${dates.map((d) => ({
              date: d,
              value: get(d, (r) => (r.weight_g === null ? null : r.weight_g / 1000)),
            }))}
            fmt=${(v: number) => v.toFixed(1)}
            tick=${(v: number) => String(Math.round(v * 10) / 10)}
          />
        </section>
      </div>
      <${HealthTable} rows=${p.rows} />
      <section class="card" aria-labelledby="cal-h">
        <h2 id="cal-h">Stored days</h2>
        <ul class="coverage">
          <li>Summary: <strong>${count((r) => r.has_summary)}</strong> of ${n} days</li>
          <li>Sleep: <strong>${count((r) => r.has_sleep)}</strong> of ${n} days</li>
          <li>Weight: <strong>${count((r) =>
            r.has_weight
          )}</strong> of ${n} days <span class="muted small">(only days you weighed in)</span></li>
        </ul>
        <${HealthCalendar} from=${p.from} to=${p.to} days=${presence} />
      </section>
      <//>
  `;
}

function num(v: number | null, f: (v: number) => string): string {
  return v === null ? "—" : f(v);
}

/** Every stored day's numbers: the text alternative of the four charts. */
function HealthTable(props: { rows: HealthDayView[] }) {
  const h = (s: number | null) => num(s, (v) => (v / 3600).toFixed(1));
  return html`
    <section class="card" aria-labelledby="table-h">
      <h2 id="table-h" class="vh">Health numbers</h2>
      <details>
        <summary>The charts' numbers as a table (${props.rows.length} stored days)</summary>
        <div class="table-wrap">
          <table class="data">
            <caption class="vh">Health numbers per day</caption>
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Steps</th>
                <th scope="col">Deep (h)</th>
                <th scope="col">Light (h)</th>
                <th scope="col">REM (h)</th>
                <th scope="col">Awake (h)</th>
                <th scope="col">Sleep (h)</th>
                <th scope="col">Resting HR (bpm)</th>
                <th scope="col">Weight (kg)</th>
              </tr>
            </thead>
            <tbody>${props.rows.map((r) => {
              const stages = [r.deep_sleep_seconds, r.light_sleep_seconds, r.rem_sleep_seconds, r.awake_sleep_seconds];
              const total = stages.some((v) => v !== null) ? stages.reduce<number>((a, v) => a + (v ?? 0), 0) : null;
              return html`<tr><th scope="row">${r.calendar_date}</th><td>${num(r.steps, fmtInt)}</td>${
                stages.map((v) => html`<td>${h(v)}</td>`)
              }<td>${h(total)}</td><td>${num(r.resting_hr, String)}</td><td>${
                num(r.weight_g, (v) => (v / 1000).toFixed(1))
              }</td></tr>`;
            })}</tbody>
          </table>
        </div>
      </details>
    </section>
  `;
}
