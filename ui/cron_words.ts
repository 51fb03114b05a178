/**
 * Plain-words reading of the common cron forms for the settings page ("every 6 hours, on the hour",
 * "every day at 06:30", "every weekday (Mon–Fri) at 07:00"). Anything it does not recognise falls back to
 * the expression itself, so it is never wrong, only sometimes terse.
 */

const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const DAY_ABBR: Record<string, number> = { SUN: 0, MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6 };

const NICKNAMES: Record<string, string> = {
  "@yearly": "once a year, on January 1 at 00:00",
  "@annually": "once a year, on January 1 at 00:00",
  "@monthly": "on the 1st of every month at 00:00",
  "@weekly": "every Sunday at 00:00",
  "@daily": "every day at 00:00",
  "@midnight": "every day at 00:00",
  "@hourly": "every hour, on the hour",
};

/** Describes a cron expression in words; falls back to `cron "<expr>"` for forms it does not know. */
export function cronToWords(expr: string): string {
  const trimmed = expr.trim();
  const fallback = `cron "${trimmed}"`;
  const nick = NICKNAMES[trimmed.toLowerCase()];
  if (nick) return nick;
  let fields = trimmed.split(/\s+/);
  if (fields.length === 6) {
    const [sec, ...rest] = fields;
    const restAll = rest.every((f) => f === "*");
    if (restAll && sec === "*") return "every second";
    const everySec = sec.match(/^\*\/(\d+)$/);
    if (restAll && everySec) return plural(Number(everySec[1]), "second", "every");
    if (sec !== "0" && sec !== "00") return fallback;
    fields = rest;
  }
  if (fields.length !== 5) return fallback;
  const [min, hour, dom, month, dow] = fields;
  if (month !== "*") return fallback;
  const days = dayPhrase(dom, dow);
  if (days === null) return fallback;

  // Interval forms: "every N minutes", "every hour at :MM", "every N hours, on the hour".
  if (hour === "*") {
    let base: string | null = null;
    if (min === "*") base = "every minute";
    const step = min.match(/^\*\/(\d+)$/);
    if (step) base = plural(Number(step[1]), "minute", "every");
    const m = number(min, 59);
    if (m !== null) base = m === 0 ? "every hour, on the hour" : `every hour at ${pad(m)} minutes past`;
    if (base === null) return fallback;
    return days.interval ? `${base}, ${days.interval}` : base;
  }
  const hourStep = hour.match(/^(?:\*|0)\/(\d+)$/);
  if (hourStep) {
    const m = number(min, 59);
    const n = Number(hourStep[1]);
    if (m === null || n < 1 || n > 23) return fallback;
    let base = `${plural(n, "hour", "every")}, ${m === 0 ? "on the hour" : `at ${pad(m)} minutes past`}`;
    const times: string[] = [];
    for (let h = 0; h < 24; h += n) times.push(`${pad(h)}:${pad(m)}`);
    if (times.length <= 6) base += ` (${joinWords(times)})`;
    return days.interval ? `${base}, ${days.interval}` : base;
  }

  // Time-of-day forms: "every day at 06:30", "every Monday at 07:00 and 19:00".
  const m = number(min, 59);
  if (m === null) return fallback;
  const range = hour.match(/^(\d{1,2})-(\d{1,2})$/);
  if (range) {
    const a = Number(range[1]), b = Number(range[2]);
    if (a > 23 || b > 23 || a >= b) return fallback;
    return `${days.timeOfDay}, every hour from ${pad(a)}:${pad(m)} to ${pad(b)}:${pad(m)}`;
  }
  const hours = list(hour, 23);
  if (hours === null) return fallback;
  return `${days.timeOfDay} at ${joinWords(hours.map((h) => `${pad(h)}:${pad(m)}`))}`;
}

/** The day part: for interval forms (may be empty) and for time-of-day forms; null when not understood. */
function dayPhrase(dom: string, dow: string): { interval: string; timeOfDay: string } | null {
  if (dom === "*" && (dow === "*" || dow === "?")) return { interval: "", timeOfDay: "every day" };
  if (dom !== "*" && dom !== "?" && dow !== "*" && dow !== "?") return null;
  if (dom !== "*" && dom !== "?") {
    const d = number(dom, 31);
    if (d === null || d < 1) return null;
    const text = `on the ${ordinal(d)} of every month`;
    return { interval: text, timeOfDay: text };
  }
  const days = weekdays(dow);
  if (days === null) return null;
  const key = days.join(",");
  if (key === "1,2,3,4,5") return { interval: "on weekdays (Mon–Fri)", timeOfDay: "every weekday (Mon–Fri)" };
  if (key === "0,6") return { interval: "on weekends", timeOfDay: "every Saturday and Sunday" };
  if (days.length === 7) return { interval: "", timeOfDay: "every day" };
  const names = days.map((d) => DAY_NAMES[d]);
  return { interval: `on ${joinWords(names.map((n) => `${n}s`))}`, timeOfDay: `every ${joinWords(names)}` };
}

/** Parses a day-of-week field (numbers 0-7, names, lists, ranges) into sorted unique days 0-6. */
function weekdays(field: string): number[] | null {
  const out = new Set<number>();
  for (const part of field.split(",")) {
    const range = part.split("-");
    if (range.length > 2) return null;
    const ends = range.map((p) => {
      const upper = p.toUpperCase();
      if (upper in DAY_ABBR) return DAY_ABBR[upper];
      return /^\d$/.test(p) && Number(p) <= 7 ? Number(p) % 7 : null;
    });
    if (ends.some((e) => e === null)) return null;
    const [a, b] = ends as number[];
    if (b === undefined) out.add(a);
    else {
      // "1-7" and "5-0" style ranges wrap through Sunday.
      const end = b < a ? b + 7 : b;
      for (let d = a; d <= end; d++) out.add(d % 7);
    }
  }
  return [...out].sort((x, y) => x - y);
}

function list(field: string, max: number): number[] | null {
  const parts = field.split(",").map((p) => number(p, max));
  if (parts.some((p) => p === null)) return null;
  return [...new Set(parts as number[])].sort((a, b) => a - b);
}

function number(field: string, max: number): number | null {
  if (!/^\d{1,2}$/.test(field)) return null;
  const n = Number(field);
  return n <= max ? n : null;
}

function plural(n: number, unit: string, every: string): string {
  return n === 1 ? `${every} ${unit}` : `${every} ${n} ${unit}s`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ??
    "th";
  return `${n}${s}`;
}

function joinWords(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
