/**
 * The sync log: one row per run (written 'running' at the start, finished with the outcome), plus one-shot rows.
 */
import { processAlive, processStartTicks, readGranted } from "../lib/process.ts";
import type { Db } from "./client.ts";
import { setSettings } from "./settings.ts";

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

/** The process that writes a 'running' row: its pid, host name and kernel start time (null where unknown). */
export interface LogOwner {
  pid: number;
  host: string | null;
  start_ticks: number | null;
}

function hostName(): string | null {
  // The kernel's host name, as gethostname() (Deno.hostname) gives it, but readable without --allow-sys.
  const fromProc = readGranted("/proc/sys/kernel/hostname")?.trim();
  if (fromProc) return fromProc;
  try {
    if (Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state === "granted") return Deno.hostname();
  } catch { /* not available */ }
  return null;
}

// An unknown host name (no permission to read it) might be this host: the pid and its start time then decide.
function sameHost(a: LogOwner, b: LogOwner): boolean {
  return a.host === null || b.host === null || a.host === b.host;
}

/** Process `pid` (default: this one) as the owner of the rows it writes. */
export function currentLogOwner(pid = Deno.pid): LogOwner {
  return { pid, host: hostName(), start_ticks: processStartTicks(pid) };
}

/**
 * Whether the process that wrote a row still runs: true or false when this host can tell, null when it cannot
 * (another host, or neither /proc nor a permitted signal probe). Only called for another pid than our own.
 */
export function ownerAlive(row: LogOwner, self: LogOwner): boolean | null {
  if (!sameHost(row, self)) return null;
  return processAlive(row.pid, row.start_ticks);
}

/** Writes a 'running' row for a run that starts now, owned by this process; returns its id. */
export async function startLog(
  db: Db,
  operation: string,
  now = new Date(),
  owner: LogOwner = currentLogOwner(),
): Promise<number> {
  const r = await db.execute({
    sql: "INSERT INTO sync_logs (timestamp, operation, status, pid, host, pid_start_ticks) " +
      "VALUES (?, ?, 'running', ?, ?, ?)",
    args: [now.toISOString(), operation, owner.pid, owner.host, owner.start_ticks],
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

/** The counts a run's row carries. */
export interface LogCounts {
  activities_processed: number;
  activities_downloaded: number;
  items_processed: number;
}

/** Sets the counts of a row that is still running (a finished row is left as its run finished it). */
export async function updateLogCounts(db: Db, id: number, c: LogCounts): Promise<void> {
  await db.execute({
    sql: "UPDATE sync_logs SET activities_processed = ?, activities_downloaded = ?, items_processed = ? " +
      "WHERE id = ? AND status = 'running'",
    args: [c.activities_processed, c.activities_downloaded, c.items_processed, id],
  });
}

/** Keeps a running row's counts current without a write per item; see `createLogCountWriter`. */
export interface LogCountWriter {
  /** The run's totals so far; written at once after `everyItems` more items or `everyMs` since the last write. */
  update(c: LogCounts): void;
  /** Stops the timer and waits for a write in flight (the run's finishLog writes the final counts). */
  close(): Promise<void>;
}

/**
 * Writes a running row's counts as the run goes, at most one write at a time: when `everyItems` (10) items were
 * done since the last write, or, for a slow trickle, `everyMs` (2 s) after it, so a killed run's row is at most that
 * far behind. Write errors go to `onError` and never stop the run.
 */
export function createLogCountWriter(
  db: Db,
  id: number,
  o: { everyItems?: number; everyMs?: number; onError?: (e: unknown) => void } = {},
): LogCountWriter {
  const everyItems = o.everyItems ?? 10, everyMs = o.everyMs ?? 2000;
  let written: LogCounts = { activities_processed: 0, activities_downloaded: 0, items_processed: 0 };
  let latest = written;
  let lastWrite = Date.now();
  let inFlight: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const moved = (c: LogCounts) =>
    Math.max(c.activities_processed - written.activities_processed, c.items_processed - written.items_processed);
  const same = (a: LogCounts, b: LogCounts) =>
    a.activities_processed === b.activities_processed && a.activities_downloaded === b.activities_downloaded &&
    a.items_processed === b.items_processed;

  function write() {
    clearTimeout(timer);
    timer = undefined;
    if (closed || inFlight || same(latest, written)) return;
    const c = latest;
    lastWrite = Date.now();
    inFlight = updateLogCounts(db, id, c).then(
      () => {
        written = c;
      },
      (e) => o.onError?.(e),
    ).finally(() => {
      inFlight = null;
      // Counts that came in meanwhile are written by the next update or the timer.
      if (!same(latest, written)) schedule();
    });
  }

  function schedule() {
    if (closed || timer !== undefined) return;
    timer = setTimeout(write, Math.max(0, lastWrite + everyMs - Date.now()));
  }

  return {
    update(c) {
      if (closed) return;
      latest = c;
      if (same(c, written)) return;
      if (!inFlight && (moved(c) >= everyItems || Date.now() - lastWrite >= everyMs)) write();
      else schedule();
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      await inFlight;
    },
  };
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

/**
 * Marks rows left 'running' by a process that is gone as 'interrupted'; called when a job manager starts. A row
 * whose process still runs on this host (the daemon's live sync while the CLI syncs) is left alone, and so is one
 * written on another host (sharing a remote database), which cannot be probed. Rows without an owner (written
 * before owners were recorded), with this process's own pid (it has started no run yet, so a pid reused after a
 * restart), or whose owner cannot be probed here are marked, as before. Returns how many were marked.
 */
export async function markRunningLogsInterrupted(
  db: Db,
  now = new Date(),
  self: LogOwner = currentLogOwner(),
): Promise<number> {
  const running = await db.execute(
    "SELECT id, pid, host, pid_start_ticks FROM sync_logs WHERE status = 'running'",
  );
  const dead: number[] = [];
  for (const r of running.rows) {
    const pid = r.pid === null || r.pid === undefined ? null : Number(r.pid);
    const host = r.host === null || r.host === undefined ? null : String(r.host);
    const owner = { pid: pid ?? 0, host, start_ticks: null as number | null };
    if (pid === null || pid === self.pid && sameHost(owner, self)) {
      dead.push(Number(r.id));
      continue;
    }
    owner.start_ticks = r.pid_start_ticks === null || r.pid_start_ticks === undefined
      ? null
      : Number(r.pid_start_ticks);
    const alive = ownerAlive(owner, self);
    if (alive === false || alive === null && sameHost(owner, self)) dead.push(Number(r.id));
  }
  if (!dead.length) return 0;
  const r = await db.execute({
    sql: "UPDATE sync_logs SET status = 'interrupted', finished_at = ?, " +
      "message = COALESCE(message, 'the process stopped before this run finished; it resumes on the next run') " +
      `WHERE status = 'running' AND id IN (${dead.map(() => "?").join(", ")})`,
    args: [now.toISOString(), ...dead],
  });
  return r.rowsAffected;
}

/** The settings key of the last sync that finished with success or partial, of any kind, and per kind. */
export function lastSyncKey(kind?: string): string {
  return kind ? `last_sync_at:${kind}` : "last_sync_at";
}

/**
 * Records that a sync of `kind` (activities, health, workouts, full, download) finished with success or partial at
 * `at`. Kept in the settings table, so clearing the log does not reset "last sync" to never.
 */
export async function recordLastSync(db: Db, kind: string, at = new Date()): Promise<void> {
  const iso = at.toISOString();
  await setSettings(db, { [lastSyncKey()]: iso, [lastSyncKey(kind)]: iso }, at);
}
