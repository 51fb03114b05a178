/**
 * Activities: the listings the API, dashboard and CLI read, and the writes the activity sync makes.
 */
import type { InStatement } from "@libsql/client";
import type { Db } from "./client.ts";
import type { GarminActivitySummary } from "../sync/garmin/types.ts";

export type ActivityState = "missing" | "downloaded" | "no_file" | "failed";
/** "missing" = state missing OR failed (the contract's "not on disk yet"). */
export type ActivityFilter = "all" | "missing" | "downloaded" | "no_file" | "failed";
export type ActivitySort = "start_time" | "name" | "type" | "distance" | "duration";

/** One stored activity (raw JSON not included). */
export interface ActivityRow {
  activity_id: number;
  name: string | null;
  activity_type: string | null;
  start_time_local: string;
  start_time_gmt: string | null;
  duration_s: number | null;
  distance_m: number | null;
  calories: number | null;
  avg_hr: number | null;
  max_hr: number | null;
  state: ActivityState;
  file_name: string | null;
  file_size: number | null;
  sha256: string | null;
  attempts: number;
  last_error: string | null;
  last_attempt_at: string | null;
  downloaded_at: string | null;
  first_seen_at: string;
  last_seen_at: string;
}

/** Query of `listActivities`. `from`/`to` are local dates (YYYY-MM-DD), inclusive. */
export interface ActivityQuery {
  filter: ActivityFilter;
  type?: string;
  from?: string;
  to?: string;
  sort?: ActivitySort;
  order?: "asc" | "desc";
  limit: number;
  offset: number;
}

const COLUMNS =
  "activity_id, name, activity_type, start_time_local, start_time_gmt, duration_s, distance_m, calories, " +
  "avg_hr, max_hr, state, file_name, file_size, sha256, attempts, last_error, last_attempt_at, downloaded_at, " +
  "first_seen_at, last_seen_at";

// Every sort ends on activity_id so paging is stable; start_time matches activities_start_idx exactly.
const SORTS: Record<ActivitySort, string> = {
  start_time: "start_time_gmt {o}, activity_id {o}",
  name: "name {o}, activity_id {o}",
  type: "activity_type {o}, start_time_gmt {o}, activity_id {o}",
  distance: "distance_m {o}, activity_id {o}",
  duration: "duration_s {o}, activity_id {o}",
};

function toRow(r: Record<string, unknown>): ActivityRow {
  return {
    activity_id: Number(r.activity_id),
    name: str(r.name),
    activity_type: str(r.activity_type),
    start_time_local: String(r.start_time_local),
    start_time_gmt: str(r.start_time_gmt),
    duration_s: num(r.duration_s),
    distance_m: num(r.distance_m),
    calories: num(r.calories),
    avg_hr: num(r.avg_hr),
    max_hr: num(r.max_hr),
    state: String(r.state) as ActivityState,
    file_name: str(r.file_name),
    file_size: num(r.file_size),
    sha256: str(r.sha256),
    attempts: Number(r.attempts ?? 0),
    last_error: str(r.last_error),
    last_attempt_at: str(r.last_attempt_at),
    downloaded_at: str(r.downloaded_at),
    first_seen_at: String(r.first_seen_at),
    last_seen_at: String(r.last_seen_at),
  };
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function whereOf(
  q: Pick<ActivityQuery, "type" | "from" | "to">,
  state: string | null,
): { sql: string; args: (string | number)[] } {
  const parts: string[] = [];
  const args: (string | number)[] = [];
  if (state === "missing_or_failed") parts.push("state IN ('missing', 'failed')");
  else if (state) {
    parts.push("state = ?");
    args.push(state);
  }
  if (q.type) {
    parts.push("activity_type = ?");
    args.push(q.type);
  }
  // start_time_local is "YYYY-MM-DD HH:MM:SS", so comparing the date prefix is exact. The extra GMT bounds (a local
  // day lies within UTC-12..UTC+14 of its GMT time) add nothing to the result but let the start-time index serve
  // the range in order, so a page never sorts the whole range.
  if (q.from) {
    parts.push("start_time_local >= ?", "start_time_gmt >= ?");
    args.push(q.from, shiftDay(q.from, -1));
  }
  if (q.to) {
    parts.push("start_time_local < ?", "start_time_gmt < ?");
    args.push(shiftDay(q.to, 1), shiftDay(q.to, 2));
  }
  return { sql: parts.length ? `WHERE ${parts.join(" AND ")}` : "", args };
}

function shiftDay(date: string, days: number): string {
  const d = new Date(`${date.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return date;
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** One page of activities plus the total matching the filter. */
export async function listActivities(db: Db, q: ActivityQuery): Promise<{ rows: ActivityRow[]; total: number }> {
  const order = q.order === "asc" ? "ASC" : "DESC";
  const sortKey = SORTS[q.sort ?? "start_time"] ? q.sort ?? "start_time" : "start_time";
  const orderBy = `ORDER BY ${SORTS[sortKey].replaceAll("{o}", order)} LIMIT ? OFFSET ?`;
  const paging = [Math.max(0, Math.floor(q.limit)), Math.max(0, Math.floor(q.offset))];
  const state = q.filter === "all" ? null : q.filter === "missing" ? "missing_or_failed" : q.filter;
  const where = whereOf(q, state);
  let page: InStatement;
  if (state === "missing_or_failed" && sortKey === "start_time") {
    // Two index-ordered halves merged: SQLite pages them without sorting every missing row (IN would sort).
    const m = whereOf(q, "missing"), f = whereOf(q, "failed");
    page = {
      sql: `SELECT ${COLUMNS} FROM activities ${m.sql} UNION ALL SELECT ${COLUMNS} FROM activities ${f.sql} ${orderBy}`,
      args: [...m.args, ...f.args, ...paging],
    };
  } else {
    page = { sql: `SELECT ${COLUMNS} FROM activities ${where.sql} ${orderBy}`, args: [...where.args, ...paging] };
  }
  const [rows, count] = await db.batch([
    page,
    { sql: `SELECT COUNT(*) AS n FROM activities ${where.sql}`, args: where.args },
  ], "read");
  return { rows: rows.rows.map((r) => toRow(r as Record<string, unknown>)), total: Number(count.rows[0].n) };
}

/** The activity with this id, or null. */
export async function getActivity(db: Db, id: number): Promise<ActivityRow | null> {
  const r = await db.execute({ sql: `SELECT ${COLUMNS} FROM activities WHERE activity_id = ?`, args: [id] });
  return r.rows.length ? toRow(r.rows[0] as Record<string, unknown>) : null;
}

/** Activity totals: `missing` counts missing + failed (the contract), `failed` the subset that failed. */
export interface ActivityStats {
  total: number;
  downloaded: number;
  missing: number;
  no_file: number;
  failed: number;
  last_sync: string | null;
}

// The runs that sync activities; their finish times are kept in settings (see recordLastSync in db/logs.ts).
const ACTIVITY_SYNC_KINDS = ["activities", "full", "download"];

/**
 * Counts per state (missing includes failed, as in the contract) and when the last activity sync finished: from
 * the settings the job manager and the CLI write, or, for runs recorded before those existed, from the log.
 */
export async function activityStats(db: Db): Promise<ActivityStats> {
  const kinds = ACTIVITY_SYNC_KINDS.map((k) => `last_sync_at:${k}`);
  const [states, last] = await db.batch([
    "SELECT state, COUNT(*) AS n FROM activities GROUP BY state",
    {
      sql: "SELECT MAX(t) AS finished_at FROM (" +
        `SELECT MAX(value) AS t FROM settings WHERE key IN (${kinds.map(() => "?").join(", ")}) UNION ALL ` +
        `SELECT MAX(finished_at) FROM sync_logs WHERE operation IN (${
          ACTIVITY_SYNC_KINDS.map(() => "?").join(", ")
        }) AND status IN ('success', 'partial'))`,
      args: [...kinds, ...ACTIVITY_SYNC_KINDS],
    },
  ], "read");
  const by: Record<string, number> = {};
  for (const r of states.rows) by[String(r.state)] = Number(r.n);
  const downloaded = by.downloaded ?? 0, missing = by.missing ?? 0, noFile = by.no_file ?? 0, failed = by.failed ?? 0;
  return {
    total: downloaded + missing + noFile + failed,
    downloaded,
    missing: missing + failed,
    no_file: noFile,
    failed,
    last_sync: last.rows[0]?.finished_at == null ? null : String(last.rows[0].finished_at),
  };
}

/** Distinct activity types, sorted. */
export async function activityTypes(db: Db): Promise<string[]> {
  // A skip scan over the (activity_type, ...) index: one index seek per distinct type instead of reading every
  // row (0.1 ms instead of ~10 ms at 100,000 activities; there are only a few dozen types).
  const r = await db.execute(`
    WITH RECURSIVE types(t) AS (
      SELECT min(activity_type) FROM activities WHERE activity_type IS NOT NULL
      UNION ALL
      SELECT (SELECT min(activity_type) FROM activities WHERE activity_type > t) FROM types WHERE t IS NOT NULL
    )
    SELECT t AS activity_type FROM types WHERE t IS NOT NULL`);
  return r.rows.map((row) => String(row.activity_type));
}

/**
 * Per-activity retry: a failed, missing or no_file activity goes back to `missing` with attempts 0, so the next
 * download run tries it again. A downloaded one is left alone. False when the id is unknown.
 */
export async function resetActivity(db: Db, id: number): Promise<boolean> {
  const r = await db.batch([
    {
      sql: "UPDATE activities SET state = 'missing', attempts = 0, last_error = NULL " +
        "WHERE activity_id = ? AND state IN ('failed', 'missing', 'no_file')",
      args: [id],
    },
    { sql: "SELECT 1 FROM activities WHERE activity_id = ?", args: [id] },
  ], "write");
  return r[1].rows.length > 0;
}

// ---- writes used by the activity sync ----

/** Which of `ids` are already stored. */
export async function knownActivityIds(db: Db, ids: number[]): Promise<Set<number>> {
  if (!ids.length) return new Set();
  const r = await db.execute({
    sql: `SELECT activity_id FROM activities WHERE activity_id IN (${ids.map(() => "?").join(", ")})`,
    args: ids,
  });
  return new Set(r.rows.map((row) => Number(row.activity_id)));
}

/** Inserts new activities (state missing) and refreshes the metadata of known ones, in one transaction. */
export async function upsertActivities(db: Db, items: GarminActivitySummary[], now = new Date()): Promise<void> {
  if (!items.length) return;
  const ts = now.toISOString();
  const stmts: InStatement[] = items.map((a) => ({
    sql: "INSERT INTO activities (activity_id, name, activity_type, start_time_local, start_time_gmt, duration_s, " +
      "distance_m, calories, avg_hr, max_hr, first_seen_at, last_seen_at, raw_json) " +
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(activity_id) DO UPDATE SET name = excluded.name, " +
      "activity_type = excluded.activity_type, start_time_local = excluded.start_time_local, " +
      "start_time_gmt = excluded.start_time_gmt, duration_s = excluded.duration_s, distance_m = excluded.distance_m, " +
      "calories = excluded.calories, avg_hr = excluded.avg_hr, max_hr = excluded.max_hr, " +
      "last_seen_at = excluded.last_seen_at, raw_json = excluded.raw_json",
    args: [
      a.activityId,
      a.activityName ?? null,
      a.activityType?.typeKey ?? null,
      a.startTimeLocal ?? a.startTimeGMT ?? "",
      // Without a GMT time the local one stands in (within a day of it), so every row sorts and ranges by start.
      a.startTimeGMT ?? a.startTimeLocal ?? "",
      numOrNull(a.duration),
      numOrNull(a.distance),
      numOrNull(a.calories),
      numOrNull(a.averageHR),
      numOrNull(a.maxHR),
      ts,
      ts,
      JSON.stringify(a),
    ],
  }));
  await db.batch(stmts, "write");
}

function numOrNull(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** Activities to download (missing or failed), newest first. */
export async function activitiesToDownload(
  db: Db,
): Promise<{ activity_id: number; start_time_local: string; attempts: number }[]> {
  const r = await db.execute(
    "SELECT activity_id, start_time_local, attempts FROM activities WHERE state IN ('missing', 'failed') " +
      "ORDER BY start_time_gmt DESC, activity_id DESC",
  );
  return r.rows.map((row) => ({
    activity_id: Number(row.activity_id),
    start_time_local: String(row.start_time_local),
    attempts: Number(row.attempts),
  }));
}

/** Every downloaded activity's file name (to notice files removed from disk). */
export async function downloadedFiles(db: Db): Promise<{ activity_id: number; file_name: string | null }[]> {
  const r = await db.execute("SELECT activity_id, file_name FROM activities WHERE state = 'downloaded'");
  return r.rows.map((row) => ({ activity_id: Number(row.activity_id), file_name: str(row.file_name) }));
}

/** Puts downloaded activities whose file is gone back to missing. */
export async function markFilesVanished(db: Db, ids: number[]): Promise<void> {
  if (!ids.length) return;
  await db.batch(
    ids.map((id) => ({
      sql: "UPDATE activities SET state = 'missing', file_name = NULL, file_size = NULL, sha256 = NULL, " +
        "downloaded_at = NULL, last_error = 'the downloaded file was no longer on disk' " +
        "WHERE activity_id = ? AND state = 'downloaded'",
      args: [id],
    })),
    "write",
  );
}

/** Records a finished download: file name, size and checksum in one statement (one transaction). */
export async function markDownloaded(
  db: Db,
  id: number,
  file: { file_name: string; file_size: number; sha256: string },
  now = new Date(),
): Promise<void> {
  const ts = now.toISOString();
  await db.execute({
    sql: "UPDATE activities SET state = 'downloaded', file_name = ?, file_size = ?, sha256 = ?, " +
      "attempts = attempts + 1, last_error = NULL, last_attempt_at = ?, downloaded_at = ? WHERE activity_id = ?",
    args: [file.file_name, file.file_size, file.sha256, ts, ts, id],
  });
}

/** Garmin has no original for this activity (manual entry): never retried as a failure. */
export async function markNoFile(db: Db, id: number, reason: string, now = new Date()): Promise<void> {
  await db.execute({
    sql: "UPDATE activities SET state = 'no_file', attempts = attempts + 1, last_error = ?, last_attempt_at = ? " +
      "WHERE activity_id = ?",
    args: [reason, now.toISOString(), id],
  });
}

/** A download failed: state failed, attempts + 1, the reason kept. */
export async function markFailed(db: Db, id: number, reason: string, now = new Date()): Promise<void> {
  await db.execute({
    sql: "UPDATE activities SET state = 'failed', attempts = attempts + 1, last_error = ?, last_attempt_at = ? " +
      "WHERE activity_id = ?",
    args: [reason, now.toISOString(), id],
  });
}

// ---- whole listings for the CLI, formatted in SQL ----

// JavaScript's String.prototype.trimEnd removes these (WhiteSpace and LineTerminator code points).
const JS_TRAILING_SPACE = [
  9,
  10,
  11,
  12,
  13,
  32,
  160,
  5760,
  8192,
  8193,
  8194,
  8195,
  8196,
  8197,
  8198,
  8199,
  8200,
  8201,
  8202,
  8232,
  8233,
  8239,
  8287,
  12288,
  65279,
];

/** SQL for Math.floor(e) without the math extension (not in every libSQL build): truncation, corrected below 0. */
function floorSql(e: string): string {
  return `(CAST(${e} AS INTEGER) - ((${e}) < CAST(${e} AS INTEGER)))`;
}

/**
 * SQL for JavaScript's `e % d` (fmod, sign of e) for a positive integer d. e − d·trunc(e/d) is exact; when e/d
 * rounded across an integer the remainder comes out with the wrong sign, and one step back gives fmod's value.
 */
function fmodSql(e: string, d: number): string {
  const q = `CAST((${e}) / ${d}.0 AS INTEGER)`;
  const r = `((${e}) - ${d} * ${q})`;
  return `(CASE WHEN (${e}) >= 0 AND ${r} < 0 THEN (${e}) - ${d} * (${q} - 1) ` +
    `WHEN (${e}) < 0 AND ${r} > 0 THEN (${e}) - ${d} * (${q} + 1) ELSE ${r} END)`;
}

/** SQL for Math.round(e): floor, plus one when the fraction is at least a half (exact for every double). */
function roundSql(e: string): string {
  return `(${floorSql(e)} + ((${e}) - ${floorSql(e)} >= 0.5))`;
}

/** The text line of cli/list.ts `formatActivityLine`, built in SQL from the row's columns. */
const TEXT_LINE_SQL = (() => {
  const s = "duration_s";
  const min = floorSql(`${fmodSql(s, 3600)} / 60.0`);
  const sec = roundSql(fmodSql(s, 60));
  const dur = `CASE WHEN ${s} IS NULL THEN '-' ELSE printf('%d:%02d:%02d', ${
    floorSql(`${s} / 3600.0`)
  }, ${min}, ${sec}) END`;
  const km = "CASE WHEN distance_m IS NULL THEN '-' ELSE printf('%.2f km', distance_m / 1000.0) END";
  const file = "CASE state WHEN 'downloaded' THEN COALESCE(file_name, '') " +
    "WHEN 'failed' THEN '(' || COALESCE(last_error, 'failed') || ')' ELSE '' END";
  return `rtrim(CAST(activity_id AS TEXT) || '  ' || start_time_local || '  ' || ` +
    `printf('%!-16s', COALESCE(activity_type, '-')) || '  ' || printf('%!-10s', state) || '  ' || ` +
    `printf('%!10s', ${km}) || '  ' || printf('%!8s', ${dur}) || '  ' || COALESCE(name, '') || '  ' || ${file}, ` +
    `char(${JS_TRAILING_SPACE.join(", ")}))`;
})();

/**
 * SQL choosing the shortest of 15, 16 or 17 significant digits that reads back as the same double, as
 * JSON.stringify does. One difference is left: on an exact tie (the double is exactly halfway between two such
 * decimals, e.g. 2.77179718017578125) JavaScript takes the even last digit and printf rounds up; both read back as
 * the same number. Telling a tie apart needs the exact decimal expansion, which SQL cannot give cheaply.
 */
function shortestSql(c: string): string {
  const s15 = `printf('%.15g', ${c})`, s16 = `printf('%.16g', ${c})`;
  return `CASE WHEN CAST(${s15} AS REAL) = ${c} THEN ${s15} WHEN CAST(${s16} AS REAL) = ${c} THEN ${s16} ` +
    `ELSE printf('%!.17g', ${c}) END`;
}

/**
 * SQL for JSON.stringify(Number(c)) of a numeric column that may be NULL: integers as they are, integral reals
 * without ".0", others by `shortestSql`, with printf's exponent forms rewritten to JavaScript's (fixed notation
 * down to 1e-6, no zero-padded exponent).
 */
function jsonNumberSql(c: string): string {
  // CASE is lazy: the common forms (NULL, integers, integral reals, plain decimals) never reach the rare ones, which
  // name the printf result through a one-row subquery.
  const s = "s";
  const exp = `CAST(substr(${s}, instr(${s}, 'e') + 2) AS INTEGER)`;
  const digits = `replace(replace(substr(${s}, 1, instr(${s}, 'e') - 1), '-', ''), '.', '')`;
  const rare = `CASE WHEN instr(${s}, 'e') = 0 THEN ${s} ` +
    `WHEN abs(${c}) >= 0.000001 AND abs(${c}) < 1 THEN (CASE WHEN ${c} < 0 THEN '-' ELSE '' END) || '0.' || ` +
    `substr('000000', 1, ${exp} - 1) || ${digits} ` +
    `ELSE replace(replace(${s}, 'e-0', 'e-'), 'e+0', 'e+') END`;
  return `CASE WHEN ${c} IS NULL THEN 'null' WHEN typeof(${c}) = 'integer' THEN CAST(${c} AS TEXT) ` +
    `WHEN ${c} = CAST(${c} AS INTEGER) AND abs(${c}) < 9007199254740992.0 THEN CAST(CAST(${c} AS INTEGER) AS TEXT) ` +
    `WHEN abs(${c}) >= 0.0001 AND abs(${c}) < 1e15 THEN ${shortestSql(c)} ` +
    `ELSE (SELECT ${rare} FROM (SELECT ${shortestSql(c)} AS ${s})) END`;
}

const NUMBER_COLUMNS = ["duration_s", "distance_m", "calories", "avg_hr", "max_hr", "file_size", "attempts"];

/** JSON.stringify of the ActivityRow `toRow` builds (same keys, same order), built in SQL. */
const JSON_LINE_SQL = (() => {
  const text = (c: string) => `json_quote(CAST(${c} AS TEXT))`;
  const fields = COLUMNS.split(",").map((c) => c.trim()).map((c) => {
    const value = c === "activity_id"
      ? "CAST(activity_id AS TEXT)"
      : NUMBER_COLUMNS.includes(c)
      ? jsonNumberSql(c)
      : text(c);
    return `'"${c}":' || ${value}`;
  });
  return `'{' || ${fields.join(" || ',' || ")} || '}'`;
})();

/**
 * Every activity of `filter`, newest first (the order of `listActivities`), as output made by SQL: "text" lines are
 * exactly cli/list.ts `formatActivityLine`, "json" lines the row's `JSON.stringify` (same keys and order, the same
 * numbers; see shortestSql for the one rare spelling difference). Yields one string per `batch` rows: their lines
 * joined by "\n" (text) or ",\n" (json), with no separator at the end. Pages by key (start_time_gmt, activity_id)
 * instead of OFFSET, with no COUNT, and joins each batch in SQL: the client converts one value per batch instead
 * of twenty per row, which is what made a 100,000-activity listing slow.
 */
export async function* activityLines(
  db: Db,
  filter: ActivityFilter,
  format: "text" | "json",
  batch = 5000,
): AsyncGenerator<string> {
  const size = Math.max(1, Math.floor(batch));
  const line = format === "json" ? JSON_LINE_SQL : TEXT_LINE_SQL;
  const separator = format === "json" ? ",\n" : "\n";
  const states = filter === "all" ? null : filter === "missing" ? ["missing", "failed"] : [filter];
  const stateSql = states === null ? "" : `state IN (${states.map(() => "?").join(", ")}) AND `;

  // Two phases: rows with a start time (newest first), then any without one, as ORDER BY start_time_gmt DESC sorts
  // NULLs last. Per batch, an index-only query finds the batch's last row, then one query builds and joins the
  // lines of the rows down to it.
  const phases = [
    { key: ["start_time_gmt", "activity_id"], base: "start_time_gmt IS NOT NULL" },
    { key: ["activity_id"], base: "start_time_gmt IS NULL" },
  ];
  for (const { key, base } of phases) {
    const order = key.map((k) => `${k} DESC`).join(", ");
    const tuple = key.length > 1 ? `(${key.join(", ")})` : key[0];
    const marks = key.length > 1 ? `(${key.map(() => "?").join(", ")})` : "?";
    let cursor: (string | number)[] = [];
    while (true) {
      const cond = `${base}${cursor.length ? ` AND ${tuple} < ${marks}` : ""}`;
      // The batch's last row; for two states, their index-ordered scans merged (no sort of every matching row).
      const scan = (st: string | null) =>
        `SELECT ${key.join(", ")} FROM activities WHERE ${
          st === null ? "" : "state = ? AND "
        }${cond} ORDER BY ${order}`;
      const boundarySql = states === null || states.length === 1
        ? `${scan(states?.[0] ?? null)} LIMIT 1 OFFSET ?`
        : `SELECT * FROM (${states.map((st) => `SELECT * FROM (${scan(st)})`).join(" UNION ALL ")}) ` +
          `ORDER BY ${order} LIMIT 1 OFFSET ?`;
      const boundaryArgs = states === null ? [...cursor] : states.flatMap((st) => [st, ...cursor]);
      const b = await db.execute({ sql: boundarySql, args: [...boundaryArgs, size - 1] });
      const end = b.rows.length ? key.map((k) => b.rows[0][k] as string | number) : null;
      // An aggregate over an ordered subquery: SQLite does not flatten it (the outer query aggregates), so
      // group_concat sees the rows in that order. (ORDER BY inside the aggregate is newer than libSQL's server.)
      const r = await db.execute({
        sql: `SELECT group_concat(line, ?) AS lines FROM (SELECT ${line} AS line FROM activities ` +
          `WHERE ${stateSql}${cond}${end ? ` AND ${tuple} >= ${marks}` : ""} ORDER BY ${order})`,
        args: [separator, ...(states ?? []), ...cursor, ...(end ?? [])],
      });
      const lines = r.rows[0]?.lines;
      if (lines !== null && lines !== undefined) yield String(lines);
      if (!end) break;
      cursor = end.map((v, i) => (key[i] === "activity_id" ? Number(v) : String(v)));
    }
  }
}
