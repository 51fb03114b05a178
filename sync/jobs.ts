/**
 * The one-at-a-time sync job: owns the single SyncJob, starts a run atomically, runs it in the background through
 * the sync runners, tracks progress from the reporter it hands them, and records the run in the sync log.
 */
import type { Db } from "../db/client.ts";
import type { Logger } from "../lib/log.ts";
import { InvalidInput, SyncAlreadyRunning, SyncInterrupted } from "../lib/errors.ts";
import {
  createLogCountWriter,
  finishLog,
  type LogCountWriter,
  type LogStatus,
  markRunningLogsInterrupted,
  recordLastSync,
  startLog,
} from "../db/logs.ts";
import type { JobKind, JobManager, ProgressReporter, SyncJob } from "./job_types.ts";

/** What one sync service does; it reports through `reporter` and stops at a safe point when its signal aborts. */
export type Runner = (reporter: ProgressReporter, options: { since?: string }) => Promise<RunSummary>;

/** How a runner's work ended (a thrown error means the run failed). */
export interface RunSummary {
  status: "success" | "partial";
  message: string;
  activities_processed?: number;
  activities_downloaded?: number;
  items_processed?: number;
}

type Phase = "activities" | "health" | "workouts";

const KINDS: readonly JobKind[] = ["activities", "health", "workouts", "full"];

// Share of the 0..1 range each phase of a full sync gets: downloads take the longest, workouts the least.
const FULL_WEIGHTS: Record<Phase, number> = { activities: 0.6, health: 0.25, workouts: 0.15 };

// Progress stays below 1.0 until the whole job has completed.
const RUNNING_CAP = 0.999;

// Share of a phase that its listing (the requests before a runner knows its total) can fill through `partial`.
const LISTING_SHARE = 0.1;

/**
 * How far through a listing of unknown length `pages` fetched pages are: p / (p + 50) of the listing share (half of
 * it at 50 pages, i.e. 5,000 activities). Every page moves progress, by less as the pages go on but still visibly at
 * six decimals up to a thousand pages (100,000 activities) even inside a full sync's activities share.
 */
export function listingFraction(pages: number): number {
  return pages <= 0 ? 0 : pages / (pages + 50);
}

function idleJob(): SyncJob {
  return {
    status: "idle",
    progress: 0,
    job_type: null,
    start_time: null,
    end_time: null,
    error_message: null,
    details: null,
    items_done: 0,
    items_total: 0,
  };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Creates the job manager. On construction it marks sync_logs rows left 'running' by a process that died as
 * 'interrupted'; the job itself starts `idle`. "full" runs activities, then health, then workouts.
 */
export function createJobManager(o: {
  db: Db;
  log: Logger;
  runners: Record<Phase, Runner>;
  clock?: () => Date;
}): JobManager {
  const clock = o.clock ?? (() => new Date());
  let job: SyncJob = idleJob();
  let current: Promise<void> | null = null;
  let controller: AbortController | null = null;
  let generation = 0;
  let closing = false;
  // Lets shutdown() close a run's log row itself when the runner does not stop in time.
  const runFinishers = new Map<number, (status: LogStatus, text: string | null) => Promise<void>>();
  // A run's own 'running' row must be written after this, or it would be marked interrupted too.
  const ready = markRunningLogsInterrupted(o.db, clock()).then(
    (n) => {
      if (n) o.log.warn(`${n} sync run(s) left unfinished by an earlier process were marked interrupted`);
    },
    (e) => o.log.error(`could not mark unfinished sync runs as interrupted: ${message(e)}`),
  );

  function snapshot(): SyncJob {
    // Six decimals keep float noise (0.20199999999999999) out of the JSON while every request's step still shows
    // (a listing page late in a long first sync moves a full sync by ~1e-6); flooring keeps it monotonic and
    // below 1.0 until completion.
    return { ...job, progress: Math.floor(job.progress * 1_000_000) / 1_000_000 };
  }

  function start(kind: JobKind, options: { since?: string; trigger?: string } = {}): SyncJob {
    if (!KINDS.includes(kind)) {
      throw new InvalidInput(`unknown sync kind ${JSON.stringify(kind)}: use one of ${KINDS.join(", ")}`);
    }
    if (closing) throw new SyncInterrupted("GarminSync is shutting down: no new sync is started");
    // Check-and-set with no await in between: of any number of simultaneous starts exactly one gets here first.
    if (job.status === "in_progress") throw new SyncAlreadyRunning(snapshot());
    const gen = ++generation;
    const startedAt = clock();
    controller = new AbortController();
    job = {
      ...idleJob(),
      status: "in_progress",
      job_type: kind,
      start_time: startedAt.toISOString(),
      details: "starting",
    };
    const started = snapshot();
    const run = execute(gen, kind, { since: options.since }, controller.signal, startedAt, options.trigger);
    current = run.catch((e) => o.log.error(`sync ${kind} crashed: ${message(e)}`)).finally(() => {
      if (generation === gen) current = null;
    });
    return started;
  }

  async function execute(
    gen: number,
    kind: JobKind,
    options: { since?: string },
    signal: AbortSignal,
    startedAt: Date,
    trigger?: string,
  ): Promise<void> {
    const phases: Phase[] = kind === "full" ? ["activities", "health", "workouts"] : [kind];
    const counts = { activities_processed: 0, activities_downloaded: 0, items_processed: 0 };
    const messages: string[] = [];
    let partial = false;
    let logId: number | null = null;
    let finished = false;
    // Items finished in earlier phases of a full sync, so items_done/total count across phases.
    let itemsBefore = 0;
    // The current phase's running totals, written to the log row as the run goes (see liveCounts).
    let phaseCounts = { activities_processed: 0, activities_downloaded: 0, items_processed: 0 };
    let counter: LogCountWriter | null = null;
    const isCurrent = () => generation === gen && !finished;

    function liveCounts() {
      counter?.update({
        activities_processed: counts.activities_processed + phaseCounts.activities_processed,
        activities_downloaded: counts.activities_downloaded + phaseCounts.activities_downloaded,
        items_processed: counts.items_processed + phaseCounts.items_processed,
      });
    }

    async function finish(status: LogStatus, text: string | null) {
      if (finished) return;
      finished = true;
      if (logId === null) return;
      await counter?.close();
      try {
        // The phase cut short by a failure or an interruption counts too.
        const total = {
          activities_processed: counts.activities_processed + phaseCounts.activities_processed,
          activities_downloaded: counts.activities_downloaded + phaseCounts.activities_downloaded,
          items_processed: counts.items_processed + phaseCounts.items_processed,
        };
        const at = clock();
        await finishLog(o.db, logId, { status, message: text === null ? null : o.log.redact(text), ...total }, at);
        if (status === "success" || status === "partial") await recordLastSync(o.db, kind, at);
      } catch (e) {
        o.log.error(`could not record the end of sync ${kind} in the log: ${message(e)}`);
      }
    }
    runFinishers.set(gen, finish);

    try {
      await ready;
      logId = await startLog(o.db, kind, startedAt);
      counter = createLogCountWriter(o.db, logId, {
        onError: (e) => o.log.warn(`could not record the sync's progress counts in the log: ${message(e)}`),
      });
      o.log.info(`sync ${kind} started${trigger ? ` (${trigger})` : ""}`);
      let phaseStart = 0;
      for (const phase of phases) {
        if (signal.aborted) throw new SyncInterrupted();
        const weight = kind === "full" ? FULL_WEIGHTS[phase] : 1;
        const phaseEnd = Math.min(1, phaseStart + weight);
        const tracker = createTracker(phaseStart, phaseEnd);
        phaseCounts = { activities_processed: 0, activities_downloaded: 0, items_processed: 0 };
        if (isCurrent()) job.details = kind === "full" ? `${phase}: starting` : "starting";
        const reporter: ProgressReporter = {
          signal,
          setTotal(total) {
            if (!isCurrent()) return;
            tracker.setTotal(total);
            publish(tracker);
          },
          advance(n = 1, details) {
            if (!isCurrent()) return;
            tracker.advance(n);
            if (details !== undefined) job.details = kind === "full" ? `${phase}: ${details}` : details;
            publish(tracker);
            phaseCounts.items_processed = tracker.done;
            liveCounts();
          },
          detail(details) {
            if (!isCurrent()) return;
            job.details = kind === "full" ? `${phase}: ${details}` : details;
          },
          partial(fraction, details) {
            if (!isCurrent()) return;
            tracker.partial(fraction);
            if (details !== undefined) job.details = kind === "full" ? `${phase}: ${details}` : details;
            publish(tracker);
          },
          counts(c) {
            if (!isCurrent()) return;
            phaseCounts.activities_processed = Math.max(0, c.activities_processed ?? phaseCounts.activities_processed);
            phaseCounts.activities_downloaded = Math.max(
              0,
              c.activities_downloaded ?? phaseCounts.activities_downloaded,
            );
            liveCounts();
          },
        };
        const summary = await o.runners[phase](reporter, options);
        if (signal.aborted) throw new SyncInterrupted();
        counts.activities_processed += summary.activities_processed ?? 0;
        counts.activities_downloaded += summary.activities_downloaded ?? 0;
        counts.items_processed += summary.items_processed ?? tracker.done;
        phaseCounts = { activities_processed: 0, activities_downloaded: 0, items_processed: 0 };
        if (summary.status === "partial") partial = true;
        messages.push(kind === "full" ? `${phase}: ${summary.message}` : summary.message);
        itemsBefore += tracker.done;
        if (isCurrent()) {
          job.progress = Math.max(job.progress, Math.min(RUNNING_CAP, phaseEnd));
          job.items_done = itemsBefore;
          job.items_total = Math.max(job.items_total, itemsBefore);
        }
        phaseStart = phaseEnd;
      }
      const text = messages.join("; ");
      if (isCurrent()) {
        job = {
          ...job,
          status: "completed",
          progress: 1,
          end_time: clock().toISOString(),
          details: text,
          error_message: partial ? text : null,
        };
      }
      o.log.info(`sync ${kind} ${partial ? "finished with failures" : "completed"}: ${text}`);
      await finish(partial ? "partial" : "success", text);
    } catch (e) {
      const interrupted = signal.aborted || e instanceof SyncInterrupted;
      const text = interrupted ? new SyncInterrupted().message : message(e);
      if (isCurrent()) {
        job = { ...job, status: "failed", end_time: clock().toISOString(), error_message: text };
      }
      (interrupted ? o.log.warn : o.log.error)(`sync ${kind} ${interrupted ? "interrupted" : "failed"}: ${text}`);
      const done = messages.length ? `${messages.join("; ")}; ` : "";
      await finish(interrupted ? "interrupted" : "error", done + text);
    } finally {
      runFinishers.delete(gen);
    }

    function publish(tracker: ReturnType<typeof createTracker>) {
      job.progress = Math.max(job.progress, Math.min(RUNNING_CAP, tracker.progress));
      job.items_done = itemsBefore + tracker.done;
      job.items_total = itemsBefore + Math.max(tracker.total, tracker.done);
    }
  }

  async function shutdown(timeoutMs = 10_000): Promise<void> {
    closing = true;
    controller?.abort(new SyncInterrupted());
    await ready;
    const run = current;
    if (!run) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      run.then(() => false),
      new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), Math.max(0, timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!timedOut) return;
    const gen = generation;
    o.log.warn(`the running sync did not stop within ${timeoutMs} ms; recording it as interrupted`);
    if (job.status === "in_progress") {
      job = { ...job, status: "failed", end_time: clock().toISOString(), error_message: new SyncInterrupted().message };
    }
    await runFinishers.get(gen)?.("interrupted", new SyncInterrupted().message);
  }

  return {
    start,
    status: snapshot,
    running: () => job.status === "in_progress",
    idle: () => current ?? Promise.resolve(),
    shutdown,
  };
}

/**
 * Wraps `reporter` so a running log row gets the activity counts as a download run goes (for a run outside the job
 * manager, e.g. `download --missing`): pass `createLogCountWriter(db, logId)` and close it before `finishLog`.
 */
export function withLogCounts(reporter: ProgressReporter, writer: LogCountWriter): ProgressReporter {
  return {
    signal: reporter.signal,
    setTotal: (t) => reporter.setTotal(t),
    advance: (n, d) => reporter.advance(n, d),
    detail: (d) => reporter.detail(d),
    partial: (f, d) => reporter.partial?.(f, d),
    counts(c) {
      reporter.counts?.(c);
      const processed = c.activities_processed ?? 0;
      writer.update({
        activities_processed: processed,
        activities_downloaded: c.activities_downloaded ?? 0,
        items_processed: processed,
      });
    },
  };
}

/**
 * Progress inside one phase's share [start, end] of the range. Totals may grow as a runner discovers work: each
 * new total re-spreads the share still left over the items still left, so progress never jumps back or stalls.
 * Before the first total (a listing of unknown length), `partial` fills up to LISTING_SHARE of the phase; after it,
 * `partial` moves within the next item's share.
 */
function createTracker(start: number, end: number) {
  let base = start;
  let baseDone = 0;
  let done = 0;
  let total = 0;
  let fraction = 0;
  let listing = true;
  let progress = start;
  function recompute() {
    let p: number;
    if (listing) p = start + (end - start) * LISTING_SHARE * fraction;
    else {
      const remaining = total - baseDone;
      if (remaining <= 0) return;
      p = base + (end - base) * Math.min(1, (done - baseDone + fraction) / remaining);
    }
    if (p > progress) progress = p;
  }
  return {
    get done() {
      return done;
    },
    get total() {
      return total;
    },
    get progress() {
      return progress;
    },
    setTotal(t: number) {
      const next = Math.max(Math.floor(t), done);
      const wasListing = listing;
      listing = false;
      // What a partial step reached is kept in `progress`, which the new base starts from.
      fraction = 0;
      if (next === total && !wasListing) return;
      total = next;
      base = progress;
      baseDone = done;
      recompute();
    },
    advance(n: number) {
      if (listing) {
        listing = false;
        base = progress;
      }
      fraction = 0;
      done += Math.max(0, n);
      if (done > total) {
        // More work than announced: treat the total as growing with it.
        total = done;
      }
      recompute();
    },
    partial(f: number) {
      // Short of a whole item: only `advance` finishes one, so an item's share is never used up early.
      const next = Math.min(0.99, Math.max(0, Number.isFinite(f) ? f : 0));
      if (next <= fraction) return;
      fraction = next;
      recompute();
    },
  };
}
