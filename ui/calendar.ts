/**
 * A month-by-month calendar of which health data kinds (summary, sleep, weight) are stored for each day.
 * A filled square means present, a hollow one missing; each day also carries the same in words for screen
 * readers, so colour is never the only signal.
 */
import { html } from "htm/preact";
import { addDays, monthCaption } from "./format.ts";

/** What is stored for one day. */
export interface DayPresence {
  summary: boolean;
  sleep: boolean;
  weight: boolean;
}

const WEEKDAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];
const KINDS: { key: keyof DayPresence; cls: string; label: string }[] = [
  { key: "summary", cls: "s", label: "summary" },
  { key: "sleep", cls: "z", label: "sleep" },
  { key: "weight", cls: "w", label: "weight" },
];

/** Which days (inclusive range) have which kinds; `days` maps "YYYY-MM-DD" to presence. */
export function HealthCalendar(props: { from: string; to: string; days: Map<string, DayPresence> }) {
  const months: string[] = [];
  for (let m = props.from.slice(0, 7); m <= props.to.slice(0, 7); m = nextMonth(m)) months.push(m);
  return html`
    <div>
      <ul class="legend cal-legend">
          ${KINDS.map((k) => html`<li><i class=${`${k.cls} y`} aria-hidden="true"></i> ${k.label} stored</li>`)}
          <li><i class="s" aria-hidden="true"></i> hollow = missing</li>
        </ul>
      <div class="months">${months.map((m) =>
        html`<${Month} month=${m} from=${props.from} to=${props.to} days=${props.days} />`
      )}</div>
    </div>
  `;
}

function Month(props: { month: string; from: string; to: string; days: Map<string, DayPresence> }) {
  const first = `${props.month}-01`;
  // Monday-first weeks: how many blank cells before the 1st.
  const lead = (new Date(`${first}T00:00:00Z`).getUTCDay() + 6) % 7;
  const cells: (string | null)[] = Array(lead).fill(null);
  for (let d = first; d.startsWith(props.month); d = addDays(d, 1)) cells.push(d);
  while (cells.length % 7) cells.push(null);
  const weeks: (string | null)[][] = [];
  for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7));
  return html`
    <table class="cal">
      <caption>${monthCaption(props.month)}</caption>
      <thead>
        <tr>${WEEKDAYS.map((w) => html`<th scope="col">${w}</th>`)}</tr>
      </thead>
      <tbody>${weeks.map((w) =>
        html`<tr>${
          w.map((d) => {
            if (d === null || d < props.from || d > props.to) {
              return html`<td class="out">${d ? html`<b>${Number(d.slice(8))}</b>` : null}</td>`;
            }
            const p = props.days.get(d) ?? { summary: false, sleep: false, weight: false };
            const have = KINDS.filter((k) => p[k.key]).map((k) => k.label);
            const miss = KINDS.filter((k) => !p[k.key]).map((k) => k.label);
            const words = `${d}: ${have.length ? have.join(", ") : "nothing"} stored${
              miss.length && have.length ? `; ${miss.join(", ")} missing` : ""
            }`;
            return html`<td><span aria-hidden="true"><b>${Number(d.slice(8))}</b>${
              KINDS.map((k) => html`<i class=${p[k.key] ? `${k.cls} y` : k.cls}></i>`)
            }</span><span class="vh">${words}</span></td>`;
          })
        }</tr>`
      )}</tbody>
    </table>
  `;
}

function nextMonth(m: string): string {
  let y = Number(m.slice(0, 4));
  let mo = Number(m.slice(5, 7)) + 1;
  if (mo > 12) {
    mo = 1;
    y++;
  }
  return `${y}-${String(mo).padStart(2, "0")}`;
}
