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
