/**
 * Server-rendered SVG charts (no chart library): bars, stacked bars and lines over a run of days. Each is an
 * `<svg role="img">` with a `<title>` and a `<desc>` summary (shown as text too); the page adds the numbers as
 * a table for people who cannot see the charts. Bars of one series are drawn as a single path, so a year of
 * days stays a few kilobytes.
 */
import { html } from "htm/preact";
import { shortDate } from "./format.ts";

/** One day's value (null = no data that day). */
export interface DayValue {
  date: string;
  value: number | null;
}

/** One day's values for a stacked chart, in the order of the series. */
export interface DayValues {
  date: string;
  values: (number | null)[];
}

/** A stacked series: its label and CSS class (colour). */
export interface Series {
  label: string;
  cls: string;
}

const W = 720;
const H = 240;
const M = { left: 64, right: 14, top: 14, bottom: 30 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

function r1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** A "nice" axis from lo to hi with about `ticks` steps (1, 2, 2.5, 5 × 10^k). */
function niceScale(lo: number, hi: number, ticks = 4): { min: number; max: number; step: number } {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  return { min: Math.floor(lo / step) * step, max: Math.ceil(hi / step) * step, step };
}

/** Indices of up to `count` evenly spaced x labels. */
function labelIndices(n: number, count = 6): number[] {
  if (n <= count) return [...Array(n).keys()];
  const out = new Set<number>();
  for (let k = 0; k < count; k++) out.add(Math.round((k * (n - 1)) / (count - 1)));
  return [...out];
}

function Axes(
  props: { dates: string[]; scale: { min: number; max: number; step: number }; tick: (v: number) => string },
) {
  const { dates, scale } = props;
  const n = dates.length;
  const slot = PW / Math.max(1, n);
  const y = (v: number) => M.top + PH - ((v - scale.min) / (scale.max - scale.min)) * PH;
  const ticks: number[] = [];
  for (let v = scale.min; v <= scale.max + scale.step / 1000; v += scale.step) ticks.push(v);
  return html`<g aria-hidden="true">
    ${
    ticks.map((v) =>
      html`
        <line class="grid-line" x1=${M.left} x2=${W - M.right} y1=${r1(y(v))} y2=${r1(y(v))}></line>
        <text x=${M.left - 6} y=${r1(y(v) + 4)} text-anchor="end">${props.tick(v)}</text>
      `
    )
  }
    <line class="axis" x1=${M.left} x2=${W - M.right} y1=${M.top + PH} y2=${M.top + PH}></line>
    ${
    labelIndices(n).map((i) => {
      const x = M.left + slot * (i + 0.5);
      const anchor = n > 1 && i === 0 ? "start" : n > 1 && i === n - 1 ? "end" : "middle";
      const tx = anchor === "start" ? M.left : anchor === "end" ? W - M.right : x;
      return html`<text x=${r1(tx)} y=${H - 8} text-anchor=${anchor}>${shortDate(dates[i])}</text>`;
    })
  }
  </g>`;
}

function NoData() {
  return html`<text class="no-data" x=${W / 2} y=${H / 2} text-anchor="middle">No data in this range</text>`;
}

/**
 * The frame every chart shares: a figure with its caption and text summary, and the accessible SVG (title and
 * description) with the date axis and the scale; the chart's own marks go inside, its legend (if any) after.
 */
function ChartFigure(props: {
  id: string;
  title: string;
  summary: string;
  dates: string[];
  scale: { min: number; max: number; step: number };
  tick: (v: number) => string;
  legend?: unknown;
  children: unknown;
}) {
  return html`
    <figure class="chart">
      <figcaption>${props.title}</figcaption>
      <p class="chart-summary">${props.summary}</p>
      <svg role="img" viewBox=${`0 0 ${W} ${H}`} aria-labelledby=${`${props.id}-t ${props.id}-d`} id=${props.id}>
        <title id=${`${props.id}-t`}>${props.title}</title>
        <desc id=${`${props.id}-d`}>${props.summary}</desc>
        <${Axes} dates=${props.dates} scale=${props.scale} tick=${props.tick} />
        ${props.children}
      </svg>
      ${props.legend ?? null}
    </figure>
  `;
}

function rangeText(dates: string[]): string {
  return dates.length ? `${shortDate(dates[0])} to ${shortDate(dates[dates.length - 1])}` : "no days";
}

/** Bars per day (steps), with an optional dashed goal line. */
export function BarChart(props: {
  id: string;
  title: string;
  points: DayValue[];
  cls: string;
  unit: string;
  fmt: (v: number) => string;
  tick: (v: number) => string;
  goal?: number | null;
}) {
  const pts = props.points;
  const dates = pts.map((p) => p.date);
  const values = pts.filter((p) => p.value !== null) as { date: string; value: number }[];
  const max = Math.max(0, ...values.map((p) => p.value), props.goal ?? 0);
  const scale = niceScale(0, max || 1);
  const slot = PW / Math.max(1, pts.length);
  const bw = Math.max(0.8, slot * 0.72);
  const y = (v: number) => M.top + PH - (v / scale.max) * PH;
  let d = "";
  pts.forEach((p, i) => {
    if (p.value === null || p.value <= 0) return;
    const x = M.left + slot * i + (slot - bw) / 2;
    const top = y(p.value);
    d += `M${r1(x)} ${r1(top)}h${r1(bw)}V${M.top + PH}h${r1(-bw)}z`;
  });
  const best = values.reduce<{ date: string; value: number } | null>((b, p) => (!b || p.value > b.value ? p : b), null);
  const avg = values.length ? values.reduce((s, p) => s + p.value, 0) / values.length : 0;
  const summary = values.length
    ? `${props.title}, ${rangeText(dates)}: average ${props.fmt(avg)} ${props.unit}, highest ${
      props.fmt(best!.value)
    } on ${shortDate(best!.date)}; ${values.length} of ${pts.length} days with data.`
    : `${props.title}, ${rangeText(dates)}: no data.`;
  const legend = props.goal
    ? html`
      <ul class="legend">
        <li><span class="swatch sw-goal" aria-hidden="true"></span>Goal ${props.fmt(props.goal)} ${props.unit}</li>
      </ul>
    `
    : null;
  return html`
    <${ChartFigure} id=${props.id} title=${props.title} summary=${summary} dates=${dates} scale=${scale}
      tick=${props.tick} legend=${legend}>
      ${values.length ? html`<path class=${props.cls} d=${d}></path>` : html`<${NoData} />`}
      ${props.goal
        ? html`<line class="goal" x1=${M.left} x2=${W - M.right} y1=${r1(y(props.goal))} y2=${
          r1(y(props.goal))
        }></line>`
        : null}
    <//>
  `;
}

/** Stacked bars per day (sleep stages). */
export function StackedBarChart(props: {
  id: string;
  title: string;
  points: DayValues[];
  series: Series[];
  unit: string;
  fmt: (v: number) => string;
  tick: (v: number) => string;
}) {
  const pts = props.points;
  const dates = pts.map((p) => p.date);
  const totals = pts.map((p) => p.values.reduce<number>((s, v) => s + (v ?? 0), 0));
  const withData = pts.filter((p) => p.values.some((v) => v !== null && v > 0));
  const scale = niceScale(0, Math.max(1, ...totals));
  const slot = PW / Math.max(1, pts.length);
  const bw = Math.max(0.8, slot * 0.72);
  const y = (v: number) => M.top + PH - (v / scale.max) * PH;
  const paths = props.series.map(() => "");
  pts.forEach((p, i) => {
    const x = M.left + slot * i + (slot - bw) / 2;
    let base = 0;
    p.values.forEach((v, k) => {
      if (v === null || v <= 0) return;
      const y0 = y(base);
      const y1 = y(base + v);
      paths[k] += `M${r1(x)} ${r1(y1)}h${r1(bw)}V${r1(y0)}h${r1(-bw)}z`;
      base += v;
    });
  });
  const avgTotal = withData.length
    ? withData.reduce((s, p) => s + p.values.reduce<number>((a, v) => a + (v ?? 0), 0), 0) / withData.length
    : 0;
  const summary = withData.length
    ? `${props.title}, ${rangeText(dates)}: average ${props.fmt(avgTotal)} ${props.unit} a night (${
      props.series.map((s, k) => {
        const avg = withData.reduce((a, p) => a + (p.values[k] ?? 0), 0) / withData.length;
        return `${s.label} ${props.fmt(avg)}`;
      }).join(", ")
    }); ${withData.length} of ${pts.length} nights with data.`
    : `${props.title}, ${rangeText(dates)}: no data.`;
  const legend = html`
    <ul class="legend">
      ${props.series.map((s) =>
        html`<li><span class=${`swatch sw-${s.cls.replace(/^s-/, "")}`} aria-hidden="true"></span>${s.label}</li>`
      )}
    </ul>
  `;
  return html`
    <${ChartFigure} id=${props.id} title=${props.title} summary=${summary} dates=${dates} scale=${scale}
      tick=${props.tick} legend=${legend}>
      ${withData.length
        ? paths.map((d, k) => d ? html`<path class=${props.series[k].cls} d=${d}></path>` : null)
        : html`<${NoData} />`}
    <//>
  `;
}

/** A line through the days that have a value (resting HR, weight); gaps are bridged. */
export function LineChart(props: {
  id: string;
  title: string;
  points: DayValue[];
  cls: string;
  unit: string;
  fmt: (v: number) => string;
  tick: (v: number) => string;
}) {
  const pts = props.points;
  const dates = pts.map((p) => p.date);
  const slot = PW / Math.max(1, pts.length);
  const known = pts.map((p, i) => ({ ...p, i })).filter((p) => p.value !== null) as {
    date: string;
    value: number;
    i: number;
  }[];
  const lo = Math.min(...known.map((p) => p.value));
  const hi = Math.max(...known.map((p) => p.value));
  const pad = known.length ? Math.max((hi - lo) * 0.15, Math.abs(hi) * 0.02, 1) : 1;
  const scale = known.length ? niceScale(Math.max(0, lo - pad), hi + pad) : niceScale(0, 1);
  const y = (v: number) => M.top + PH - ((v - scale.min) / (scale.max - scale.min)) * PH;
  const xy = known.map((p) => [r1(M.left + slot * (p.i + 0.5)), r1(y(p.value))]);
  const d = xy.map(([x, yy], k) => `${k ? "L" : "M"}${x} ${yy}`).join("");
  const dotCls = props.cls.replace(/^line-/, "dot-");
  const first = known[0];
  const last = known[known.length - 1];
  const summary = known.length
    ? `${props.title}, ${rangeText(dates)}: from ${props.fmt(first.value)} ${props.unit} on ${
      shortDate(first.date)
    } to ${props.fmt(last.value)} ${props.unit} on ${shortDate(last.date)}; lowest ${props.fmt(lo)}, highest ${
      props.fmt(hi)
    }; ${known.length} of ${pts.length} days with data.`
    : `${props.title}, ${rangeText(dates)}: no data.`;
  return html`
    <${ChartFigure} id=${props.id} title=${props.title} summary=${summary} dates=${dates} scale=${scale}
      tick=${props.tick}>
      ${known.length ? html`<path class=${props.cls} d=${d}></path>` : html`<${NoData} />`}
      ${known.length <= 62 ? xy.map(([x, yy]) => html`<circle class=${dotCls} cx=${x} cy=${yy} r="3"></circle>`) : null}
    <//>
  `;
}
