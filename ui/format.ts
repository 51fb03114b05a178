/**
 * Small pure formatters shared by the dashboard views. Times stored as ISO-8601 UTC are shown in UTC with the
 * zone stated; Garmin's start_time_local has no zone and is shown as the device's local time.
 */

const DASH = "—";

/** "12,345" (en-US grouping, so pages look the same on every server locale). */
export function fmtInt(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  return Math.round(n).toLocaleString("en-US");
}

/** Metres as kilometres with two decimals: "10.24 km". */
export function fmtDistance(m: number | null | undefined): string {
  if (m === null || m === undefined || !Number.isFinite(m) || m <= 0) return DASH;
  return `${(m / 1000).toFixed(2)} km`;
}

/** Seconds as "1:02:03" or "42:10". */
export function fmtDuration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s) || s < 0) return DASH;
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  const mm = String(m).padStart(h ? 2 : 1, "0");
  const ss = String(sec).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** Seconds as hours with one decimal: "7.4 h". */
export function fmtHours(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return DASH;
  return `${(s / 3600).toFixed(1)} h`;
}

/** Bytes as "12.3 KB". */
export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** An ISO-8601 instant as "2026-03-01 07:12 UTC" (seconds only when asked). */
export function fmtUtc(iso: string | null | undefined, seconds = false): string {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const s = d.toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, seconds ? 19 : 16)} UTC`;
}

/** Garmin's zone-less "YYYY-MM-DD HH:MM:SS" as "YYYY-MM-DD HH:MM". */
export function fmtLocal(local: string | null | undefined): string {
  if (!local) return DASH;
  return local.replace("T", " ").slice(0, 16);
}

/** "in 3 h 12 min" / "5 min ago" / "in 4 days" relative to `now`. */
export function fmtRelative(iso: string | null | undefined, now: Date): string {
  if (!iso) return "";
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return "";
  const diff = t - now.getTime();
  const abs = Math.abs(diff);
  const min = Math.round(abs / 60_000);
  let text: string;
  if (abs < 45_000) return diff >= 0 ? "in a moment" : "just now";
  else if (min < 60) text = `${min} min`;
  else if (min < 48 * 60) {
    const h = Math.floor(min / 60);
    const m = min % 60;
    text = m ? `${h} h ${m} min` : `${h} h`;
  } else text = `${Math.round(min / 1440)} days`;
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

/** Whole days from `now` until `iso` (negative when past), or null. */
export function daysUntil(iso: string | null | undefined, now: Date): number | null {
  if (!iso) return null;
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return null;
  return (t - now.getTime()) / 86_400_000;
}

/** Percent 0-100 from a 0.0-1.0 fraction, clamped and rounded. */
export function percent(progress: number | null | undefined): number {
  if (progress === null || progress === undefined || !Number.isFinite(progress)) return 0;
  return Math.max(0, Math.min(100, Math.round(progress * 100)));
}

/** "YYYY-MM-DD" of a Date in UTC. */
export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Adds `days` to a "YYYY-MM-DD" date (UTC calendar arithmetic). */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return isoDate(d);
}

/** Whole days from `from` to `to` ("YYYY-MM-DD"), inclusive of both ends. */
export function daysBetweenInclusive(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "Mar 1" for a "YYYY-MM-DD" date. */
export function shortDate(date: string): string {
  return `${MONTHS[Number(date.slice(5, 7)) - 1]} ${Number(date.slice(8, 10))}`;
}

/** "March 2026"-style month caption ("Mar 2026") for a "YYYY-MM" month. */
export function monthCaption(month: string): string {
  return `${MONTHS[Number(month.slice(5, 7)) - 1]} ${month.slice(0, 4)}`;
}

/** Activity type keys as words: "trail_running" → "Trail running". */
export function typeLabel(t: string | null | undefined): string {
  if (!t) return DASH;
  const s = t.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}
