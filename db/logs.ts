/**
 * The sync log: one row per run (written 'running' at the start, finished with the outcome), plus one-shot rows.
 */
import type { Db } from "./client.ts";

export type LogStatus = "running" | "success" | "error" | "partial" | "interrupted" | "skipped";

/** One sync_logs row. */
export interface SyncLogRow {
  id: number;
  timestamp: string;
  finished_at: string | null;
  operation: string;
  status: LogStatus;
  message: string | null;
  activities_processed: number;
  activities_downloaded: number;
  items_processed: number;
}

function toRow(r: Record<string, unknown>): SyncLogRow {
  return {
    id: Number(r.id),
    timestamp: String(r.timestamp),
    finished_at: r.finished_at === null || r.finished_at === undefined ? null : String(r.finished_at),
    operation: String(r.operation),
    status: String(r.status) as LogStatus,
    message: r.message === null || r.message === undefined ? null : String(r.message),
    activities_processed: Number(r.activities_processed ?? 0),
    activities_downloaded: Number(r.activities_downloaded ?? 0),
    items_processed: Number(r.items_processed ?? 0),
  };
}

/** Writes a 'running' row for a run that starts now; returns its id. */
export async function startLog(db: Db, operation: string, now = new Date()): Promise<number> {
  const r = await db.execute({
    sql: "INSERT INTO sync_logs (timestamp, operation, status) VALUES (?, ?, 'running')",
    args: [now.toISOString(), operation],
  });
  return Number(r.lastInsertRowid);
}

/** Finishes a run's row with its outcome and counts. */
export async function finishLog(
  db: Db,
  id: number,
  r: {
    status: LogStatus;
    message?: string | null;
    activities_processed?: number;
    activities_downloaded?: number;
    items_processed?: number;
  },
  now = new Date(),
): Promise<void> {
  await db.execute({
    sql: "UPDATE sync_logs SET status = ?, message = ?, finished_at = ?, activities_processed = ?, " +
      "activities_downloaded = ?, items_processed = ? WHERE id = ?",
    args: [
      r.status,
      r.message ?? null,
      now.toISOString(),
      r.activities_processed ?? 0,
      r.activities_downloaded ?? 0,
      r.items_processed ?? 0,
      id,
    ],
  });
}

/** A one-shot row (e.g. a scheduled run 'skipped' because a sync was running); returns its id. */
export async function addLog(
  db: Db,
  r: { operation: string; status: LogStatus; message?: string | null },
  now = new Date(),
): Promise<number> {
  const ts = now.toISOString();
  const res = await db.execute({
    sql: "INSERT INTO sync_logs (timestamp, finished_at, operation, status, message) VALUES (?, ?, ?, ?, ?)",
    args: [ts, r.status === "running" ? null : ts, r.operation, r.status, r.message ?? null],
  });
  return Number(res.lastInsertRowid);
}

/** One page of the log, newest first, plus the total matching. */
export async function listLogs(
  db: Db,
  q: { status?: LogStatus; operation?: string; limit: number; offset: number },
): Promise<{ rows: SyncLogRow[]; total: number }> {
  const parts: string[] = [];
  const args: (string | number)[] = [];
  if (q.status) {
    parts.push("status = ?");
    args.push(q.status);
  }
  if (q.operation) {
    parts.push("operation = ?");
    args.push(q.operation);
  }
  const where = parts.length ? `WHERE ${parts.join(" AND ")}` : "";
  const [page, count] = await db.batch([
    {
      sql: `SELECT * FROM sync_logs ${where} ORDER BY timestamp DESC, id DESC LIMIT ? OFFSET ?`,
      args: [...args, Math.max(0, Math.floor(q.limit)), Math.max(0, Math.floor(q.offset))],
    },
    { sql: `SELECT COUNT(*) AS n FROM sync_logs ${where}`, args },
  ], "read");
  return { rows: page.rows.map((r) => toRow(r as Record<string, unknown>)), total: Number(count.rows[0].n) };
}

/** Deletes every finished row (a run in progress keeps its row); returns how many were deleted. */
export async function clearLogs(db: Db): Promise<number> {
  const r = await db.execute("DELETE FROM sync_logs WHERE status <> 'running'");
  return r.rowsAffected;
}

/** Marks rows left 'running' by a process that died as 'interrupted'; called at start-up. Returns how many. */
export async function markRunningLogsInterrupted(db: Db, now = new Date()): Promise<number> {
  const r = await db.execute({
    sql: "UPDATE sync_logs SET status = 'interrupted', finished_at = ?, " +
      "message = COALESCE(message, 'the process stopped before this run finished; it resumes on the next run') " +
      "WHERE status = 'running'",
    args: [now.toISOString()],
  });
  return r.rowsAffected;
}
