/**
 * The single sync job's shape, shared by the job manager, the API, the dashboard and the CLI.
 */

export type JobKind = "activities" | "health" | "workouts" | "full";
export type JobStatus = "idle" | "in_progress" | "completed" | "failed";

/** The SyncJob object of the contract (snake_case, ISO-8601 UTC times). */
export interface SyncJob {
  status: JobStatus;
  progress: number;
  job_type: JobKind | null;
  start_time: string | null;
  end_time: string | null;
  error_message: string | null;
  details: string | null;
  items_done: number;
  items_total: number;
}

/** What a sync service is handed to report progress; it never sees the manager's internals. */
export interface ProgressReporter {
  /** Sets the number of items this phase will process (may grow as the list is discovered). */
  setTotal(total: number): void;
  /** Marks `n` more items done, with optional human text for `details`. */
  advance(n?: number, details?: string): void;
  /** Updates the human text only. */
  detail(details: string): void;
  /**
   * Optional finer steps, so progress moves with every request: `fraction` (0..1) of the way through the next item
   * (e.g. one of a day's requests), or, before any total is set, through the listing that finds the items.
   */
  partial?(fraction: number, details?: string): void;
  /**
   * Optional running totals of this phase so far (not increments), so the run's log row holds true numbers even
   * when the process is killed before the run ends.
   */
  counts?(c: { activities_processed?: number; activities_downloaded?: number }): void;
  /** Aborted when the process shuts down: stop at the next safe point. */
  readonly signal: AbortSignal;
}

/** The one-at-a-time job manager. */
export interface JobManager {
  /** Atomically starts a job, or throws SyncAlreadyRunning carrying the running job. Returns the job as started. */
  start(kind: JobKind, options?: { since?: string; trigger?: string }): SyncJob;
  status(): SyncJob;
  /** True while a job is in progress. */
  running(): boolean;
  /** Resolves when the current job (if any) has finished. */
  idle(): Promise<void>;
  /** Asks a running job to stop at a safe point, and waits for it (at most `timeoutMs`). */
  shutdown(timeoutMs?: number): Promise<void>;
}
