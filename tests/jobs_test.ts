import { withDb } from "./fixtures/db.ts";
import { deepStrictEqual as assertEquals, ok as assert, throws as assertThrows } from "node:assert/strict";
import { clearLogs, listLogs, startLog } from "../db/logs.ts";
import { getSetting } from "../db/settings.ts";
import { createLogger } from "../lib/log.ts";
import { GarminUnavailable, SyncAlreadyRunning, SyncInterrupted } from "../lib/errors.ts";
import { createJobManager, listingFraction, type Runner } from "../sync/jobs.ts";
import type { JobManager, SyncJob } from "../sync/job_types.ts";
import { createSyncRunners } from "../sync/runners.ts";
import { ensureSession } from "../sync/garmin/garmin.ts";
import { activitiesToDownload, activityStats } from "../db/activities.ts";
import { refreshActivityList } from "../sync/activities.ts";
import { syncEnv } from "./fixtures/sync/env.ts";
import { openTestStack } from "./fixtures/stack.ts";

const log = createLogger({ sink: () => {}, level: "error" });

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A runner that processes `n` items, `ms` apart, stopping when its signal aborts. */
function stepper(n: number, ms: number, extra: { fail?: Error; partial?: boolean } = {}): Runner {
  return async (reporter) => {
    reporter.setTotal(n);
    for (let i = 0; i < n; i++) {
      if (reporter.signal.aborted) throw new SyncInterrupted();
      await sleep(ms);
      if (extra.fail && i === Math.floor(n / 2)) throw extra.fail;
      reporter.advance(1, `item ${i + 1} of ${n}`);
    }
    return {
      status: extra.partial ? "partial" : "success",
      message: extra.partial ? `1 of ${n} items failed: boom` : `${n} items`,
      items_processed: n,
      activities_processed: n,
      activities_downloaded: n - (extra.partial ? 1 : 0),
    };
  };
}

function runners(r: Partial<Record<"activities" | "health" | "workouts", Runner>> = {}) {
  return {
    activities: r.activities ?? stepper(3, 1),
    health: r.health ?? stepper(3, 1),
    workouts: r.workouts ?? stepper(3, 1),
  };
}

async function pollUntilDone(jobs: JobManager, everyMs = 2): Promise<SyncJob[]> {
  const seen: SyncJob[] = [];
  while (true) {
    const s = jobs.status();
    seen.push(s);
    if (s.status !== "in_progress") return seen;
    await sleep(everyMs);
  }
}

Deno.test("[jobs] a fresh manager is idle with progress 0, nulls and no items", async () => {
  await withDb(async (db) => {
    const jobs = createJobManager({ db, log, runners: runners() });
    assertEquals(jobs.status(), {
      status: "idle",
      progress: 0,
      job_type: null,
      start_time: null,
      end_time: null,
      error_message: null,
      details: null,
      items_done: 0,
      items_total: 0,
    });
    assertEquals(jobs.running(), false);
    await jobs.shutdown();
  });
});

Deno.test("[jobs] start returns in_progress at once, then polling sees rising progress up to completed 1.0", async () => {
  await withDb(async (db) => {
    const jobs = createJobManager({ db, log, runners: runners({ health: stepper(40, 3) }) });
    const t0 = performance.now();
    const started = jobs.start("health");
    assert(performance.now() - t0 < 50, "start must not wait for the work");
    assertEquals([started.status, started.progress, started.job_type], ["in_progress", 0, "health"]);
    assert(started.start_time && !Number.isNaN(Date.parse(started.start_time)));
    assertEquals(started.end_time, null);

    const seen = await pollUntilDone(jobs);
    const progresses = seen.map((s) => s.progress);
    for (let i = 1; i < progresses.length; i++) assert(progresses[i] >= progresses[i - 1], "progress went back");
    const during = seen.filter((s) => s.status === "in_progress").map((s) => s.progress);
    assert(new Set(during).size >= 5, `expected rising progress, saw ${[...new Set(during)].join(", ")}`);
    assert(during.every((p) => p < 1), "1.0 only on completion");
    // No step between two polls larger than a few items' worth (2 % of 40 items = 0.8 item).
    for (let i = 1; i < during.length; i++) assert(during[i] - during[i - 1] <= 0.1);

    const done = jobs.status();
    assertEquals([done.status, done.progress, done.job_type, done.error_message], ["completed", 1, "health", null]);
    assert(done.end_time && Date.parse(done.end_time) >= Date.parse(started.start_time!));
    assertEquals([done.items_done, done.items_total], [40, 40]);

    const logs = await listLogs(db, { limit: 10, offset: 0 });
    assertEquals(logs.rows.length, 1);
    assertEquals([logs.rows[0].operation, logs.rows[0].status, logs.rows[0].items_processed], [
      "health",
      "success",
      40,
    ]);
    assert(logs.rows[0].finished_at);
    // A finished job stays visible until the next start.
    await sleep(5);
    assertEquals(jobs.status().status, "completed");
    await jobs.shutdown();
  });
});

Deno.test("[jobs] a second start while running throws SyncAlreadyRunning carrying the running job", async () => {
  await withDb(async (db) => {
    const jobs = createJobManager({ db, log, runners: runners({ workouts: stepper(10, 5) }) });
    jobs.start("workouts");
    let err: unknown;
    try {
      jobs.start("activities");
    } catch (e) {
      err = e;
    }
    assert(err instanceof SyncAlreadyRunning);
    assertEquals(err.status, 409);
    const carried = err.extra.job as SyncJob;
    assertEquals([carried.status, carried.job_type], ["in_progress", "workouts"]);
    await jobs.idle();
    assertEquals(jobs.status().status, "completed");
    // After it finished, a new start wins and resets the job.
    const again = jobs.start("activities");
    assertEquals([again.status, again.job_type, again.progress, again.end_time], [
      "in_progress",
      "activities",
      0,
      null,
    ]);
    await jobs.idle();
    await jobs.shutdown();
  });
});

Deno.test("[jobs] of 50 simultaneous starts exactly one wins, the other 49 get SyncAlreadyRunning", async () => {
  await withDb(async (db) => {
    const jobs = createJobManager({ db, log, runners: runners({ activities: stepper(5, 2) }) });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => Promise.resolve().then(() => jobs.start(i % 2 ? "activities" : "full"))),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    assertEquals(won.length, 1);
    assertEquals(lost.length, 49);
    assert(lost.every((r) => r.status === "rejected" && r.reason instanceof SyncAlreadyRunning));
    await jobs.idle();
    assertEquals((await listLogs(db, { limit: 100, offset: 0 })).total, 1);
    await jobs.shutdown();
  });
});

Deno.test("[jobs] a failing runner keeps the progress reached, sets error_message and end_time, logs error", async () => {
  await withDb(async (db) => {
    const fail = new GarminUnavailable("Garmin Connect kept answering 503: try again later");
    const jobs = createJobManager({ db, log, runners: runners({ activities: stepper(10, 1, { fail }) }) });
    jobs.start("activities");
    await jobs.idle();
    const s = jobs.status();
    assertEquals(s.status, "failed");
    assertEquals(s.error_message, fail.message);
    assert(s.end_time);
    assertEquals(s.items_done, 5);
    assert(Math.abs(s.progress - 0.5) < 1e-9, `progress kept at 0.5, got ${s.progress}`);
    const row = (await listLogs(db, { limit: 1, offset: 0 })).rows[0];
    assertEquals([row.status, row.message], ["error", fail.message]);
    await jobs.shutdown();
  });
});

Deno.test("[jobs] a partial run completes with the reason and a 'partial' log row", async () => {
  await withDb(async (db) => {
    const jobs = createJobManager({ db, log, runners: runners({ activities: stepper(4, 1, { partial: true }) }) });
    jobs.start("activities");
    await jobs.idle();
    const s = jobs.status();
    assertEquals([s.status, s.progress, s.error_message], ["completed", 1, "1 of 4 items failed: boom"]);
    const row = (await listLogs(db, { limit: 1, offset: 0 })).rows[0];
    assertEquals([row.status, row.activities_processed, row.activities_downloaded], ["partial", 4, 3]);
    await jobs.shutdown();
  });
});

Deno.test("[jobs] full runs activities, health, workouts in order sharing one rising 0..1 range", async () => {
  await withDb(async (db) => {
    const order: string[] = [];
    const tag = (name: string, r: Runner): Runner => async (rep, opt) => {
      order.push(name);
      return await r(rep, opt);
    };
    const jobs = createJobManager({
      db,
      log,
      runners: {
        activities: tag("activities", stepper(10, 2)),
        health: tag("health", stepper(10, 2)),
        workouts: tag("workouts", stepper(10, 2)),
      },
    });
    jobs.start("full", { since: "2024-01-01" });
    const seen = await pollUntilDone(jobs, 1);
    assertEquals(order, ["activities", "health", "workouts"]);
    const p = seen.map((s) => s.progress);
    for (let i = 1; i < p.length; i++) assert(p[i] >= p[i - 1]);
    assert(seen.some((s) => s.status === "in_progress" && s.details?.startsWith("health:")));
    const mid = seen.filter((s) => s.details?.startsWith("health:") && s.status === "in_progress");
    assert(mid.every((s) => s.progress >= 0.6 - 1e-9 && s.progress <= 0.85 + 1e-9), "health owns 0.6..0.85");
    const done = jobs.status();
    assertEquals([done.status, done.progress, done.job_type, done.items_done], ["completed", 1, "full", 30]);
    const row = (await listLogs(db, { limit: 1, offset: 0 })).rows[0];
    assertEquals([row.operation, row.status, row.activities_processed, row.items_processed], [
      "full",
      "success",
      30,
      30,
    ]);
    await jobs.shutdown();
  });
});

Deno.test("[jobs] shutdown mid-run aborts the reporter's signal and records the run as interrupted", async () => {
  await withDb(async (db) => {
    const jobs = createJobManager({ db, log, runners: runners({ activities: stepper(1000, 2) }) });
    jobs.start("activities");
    await sleep(30);
    await jobs.shutdown(2000);
    const s = jobs.status();
    assertEquals(s.status, "failed");
    assert(s.progress > 0 && s.progress < 1);
    assert(s.error_message?.includes("interrupted"));
    const row = (await listLogs(db, { limit: 1, offset: 0 })).rows[0];
    assertEquals(row.status, "interrupted");
    assert(row.finished_at);
    assertThrows(() => jobs.start("health"), SyncInterrupted);
  });
});

Deno.test("[jobs] shutdown records interrupted even when a runner ignores the signal past the timeout", async () => {
  await withDb(async (db) => {
    const stubborn: Runner = async (rep) => {
      rep.setTotal(1);
      await sleep(200);
      rep.advance(1);
      return { status: "success", message: "done anyway" };
    };
    const jobs = createJobManager({ db, log, runners: runners({ workouts: stubborn }) });
    jobs.start("workouts");
    await sleep(10);
    const t0 = performance.now();
    await jobs.shutdown(30);
    assert(performance.now() - t0 < 150);
    assertEquals((await listLogs(db, { limit: 1, offset: 0 })).rows[0].status, "interrupted");
    await jobs.idle();
    // The late finish changes neither the job nor the log row.
    assertEquals(jobs.status().status, "failed");
    assertEquals((await listLogs(db, { limit: 1, offset: 0 })).rows[0].status, "interrupted");
  });
});

Deno.test("[jobs] a new manager after a process died mid-sync is idle and marks the old row interrupted", async () => {
  await withDb(async (db) => {
    const dead = await startLog(db, "full", new Date("2024-01-01T00:00:00Z"));
    const jobs = createJobManager({ db, log, runners: runners() });
    assertEquals(jobs.status().status, "idle");
    // The next run's own row is not caught by the start-up sweep.
    jobs.start("health");
    await jobs.idle();
    const rows = (await listLogs(db, { limit: 10, offset: 0 })).rows;
    assertEquals(rows.find((r) => r.id === dead)?.status, "interrupted");
    assertEquals(rows.find((r) => r.id !== dead)?.status, "success");
    await jobs.shutdown();
  });
});

Deno.test("[jobs] an unknown kind is refused without starting anything", async () => {
  await withDb(async (db) => {
    const jobs = createJobManager({ db, log, runners: runners() });
    // deno-lint-ignore no-explicit-any
    assertThrows(() => jobs.start("everything" as any), /unknown sync kind/);
    assertEquals(jobs.status().status, "idle");
    await jobs.shutdown();
  });
});

Deno.test("[jobs] a full sync through the real runners against the simulator completes with counts in the log", async () => {
  await using env = await syncEnv({ activities: 30, workouts: 3, fitRecords: 5 });
  const runners = env.runners();
  const jobs = createJobManager({ db: env.db, log: env.log, runners });
  jobs.start("full");
  const seen = await pollUntilDone(jobs, 1);
  for (let i = 1; i < seen.length; i++) assert(seen[i].progress >= seen[i - 1].progress);
  const done = jobs.status();
  assertEquals([done.status, done.progress, done.error_message], ["completed", 1, null]);
  const manual = env.sim.activities.filter((a) => a.manual).length;
  assert(done.details?.includes(`activities: 30 new activities listed, ${30 - manual} downloaded`), done.details!);
  const row = (await listLogs(env.db, { limit: 1, offset: 0 })).rows[0];
  assertEquals([row.operation, row.status, row.activities_processed, row.activities_downloaded], [
    "full",
    "success",
    30,
    30 - manual,
  ]);
  assertEquals(row.items_processed, 30 + 30 + 3, "30 downloads + 30 health days + 3 workouts");
  await jobs.shutdown();
});

Deno.test("[jobs] a sync with no Garmin session fails at once with the how-to-log-in message", async () => {
  await using env = await syncEnv({ activities: 5 }, { login: false });
  const runners = env.runners();
  const jobs = createJobManager({ db: env.db, log: env.log, runners });
  const t0 = performance.now();
  jobs.start("activities");
  await jobs.idle();
  assert(performance.now() - t0 < 1000);
  const s = jobs.status();
  assertEquals(s.status, "failed");
  assert(s.error_message?.includes("garminsync login"), s.error_message!);
  assertEquals(env.sim.calls().length, 0);
  assertEquals((await listLogs(env.db, { limit: 1, offset: 0 })).rows[0].status, "error");
  await jobs.shutdown();
});

Deno.test("[jobs] shutdown during a real download run stops it and logs interrupted; nothing is marked failed", async () => {
  await using env = await syncEnv({ activities: 40, fitRecords: 5, downloadDelayMs: 20 });
  const runners = env.runners();
  const jobs = createJobManager({ db: env.db, log: env.log, runners });
  jobs.start("activities");
  await waitUntil(() => jobs.status().items_done >= 3);
  await jobs.shutdown(3000);
  const s = jobs.status();
  assertEquals(s.status, "failed");
  assert(s.progress > 0 && s.progress < 1);
  assertEquals((await listLogs(env.db, { limit: 1, offset: 0 })).rows[0].status, "interrupted");
  const stats = await activityStats(env.db);
  assertEquals(stats.failed, 0);
  assert(stats.downloaded < 40);
});

async function waitUntil(fn: () => boolean, timeoutMs = 5000) {
  const until = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await sleep(2);
  }
}

Deno.test("[jobs] listing steps fill at most the listing share, partial steps never finish an item, never backwards", async () => {
  await withDb(async (db) => {
    const seen: number[] = [];
    const box: { jobs?: JobManager } = {};
    const activities: Runner = async (reporter) => {
      await sleep(0);
      const at = () => seen.push(box.jobs!.status().progress);
      for (let p = 1; p <= 1000; p++) reporter.partial?.(listingFraction(p)), at();
      reporter.setTotal(4);
      at();
      for (let i = 0; i < 4; i++) {
        reporter.partial?.(0.5), at();
        reporter.partial?.(0.25), at(); // lower than before: ignored
        reporter.partial?.(5), at(); // clamped short of the whole item
        reporter.advance(1), at();
      }
      return { status: "success", message: "ok" };
    };
    const jobs = box.jobs = createJobManager({ db, log, runners: runners({ activities }) });
    jobs.start("full");
    await jobs.idle();
    for (let i = 1; i < seen.length; i++) assert(seen[i] >= seen[i - 1], `went back at ${i}`);
    // Full sync: activities own 0.6, their listing 10 % of that.
    const listing = seen.slice(0, 1000);
    assert(listing[999] < 0.06 && listing[999] > 0.05, `listing ends inside its share: ${listing[999]}`);
    // Every page moved the six-decimal progress, even the 1000th (100,000 activities).
    for (let i = 1; i < 1000; i++) assert(listing[i] > listing[i - 1], `page ${i + 1} did not move progress`);
    const items = seen.slice(1001);
    const afterFirstItem = items[3];
    assert(items[2] < afterFirstItem, "a partial step stops short of the item");
    assert(Math.abs(items.at(-1)! - 0.6) < 1e-6, "the phase ends at its share");
    assertEquals(jobs.status().progress, 1);
    await jobs.shutdown();
  });
});

Deno.test("[jobs] a real full sync at a 400 ms request delay moves progress with every request (no stall)", async () => {
  await using env = await syncEnv({ activities: 150, workouts: 4, fitRecords: 5 });
  // Prepare at delay 0: everything stored. Then leave one request's worth of work of each kind for the slow run.
  const fast = createJobManager({
    db: env.db,
    log: env.log,
    runners: env.runners(),
  });
  fast.start("full");
  await fast.idle();
  assertEquals(fast.status().status, "completed");
  await fast.shutdown();
  // The listing pages to the end again (2 pages), two downloads, the 4 overlap days of health, one changed workout.
  await env.db.execute("DELETE FROM settings WHERE key = 'activities_list_complete_at'");
  await env.db.execute(
    "UPDATE activities SET state = 'missing' WHERE activity_id IN " +
      "(SELECT activity_id FROM activities WHERE state = 'downloaded' LIMIT 2)",
  );
  env.sim.touchWorkout(env.sim.workoutIds()[0]);

  const delayMs = 400;
  const slow = await openTestStack({
    dir: env.dir,
    garminUrl: env.sim.url,
    env: { GARMINSYNC_REQUEST_DELAY_MS: String(delayMs) },
  });
  const { db, config, garmin } = slow.deps;
  try {
    const jobs = createJobManager({
      db,
      log: slow.log,
      runners: createSyncRunners({
        db,
        config,
        log: slow.log,
        garmin,
        ensureSession: () => ensureSession(garmin, config),
      }),
    });
    env.sim.resetCalls();
    const t0 = performance.now();
    jobs.start("full");
    let last = { t: t0, p: 0 };
    let maxGap = 0;
    const moves: number[] = [];
    while (true) {
      await sleep(50);
      const s = jobs.status();
      const t = performance.now();
      if (s.progress !== last.p) {
        maxGap = Math.max(maxGap, t - last.t);
        moves.push(s.progress);
        last = { t, p: s.progress };
      }
      if (s.status !== "in_progress") break;
    }
    await jobs.shutdown();
    assertEquals(jobs.status().status, "completed", jobs.status().error_message ?? "");
    const requests = env.sim.calls().length;
    assert(requests >= 12, `expected the slow run to make its requests, saw ${requests}`);
    // The pacer starts two requests at least `delayMs` apart, and every request now moves progress, so between two
    // observed moves lies at most one paced request plus its handling and the database writes, seen through a
    // 50 ms poll: `delayMs` + 300 ms covers that. Before, two requests or more lay between moves (the list pages,
    // a health day's summary and sleep): at least 2 × `delayMs`, which fails this bound.
    const bound = delayMs + 300;
    assert(maxGap <= bound, `progress stood still for ${Math.round(maxGap)} ms (bound ${bound} ms): ${moves}`);
    assert(maxGap < 2000, "the issue's 2 s");
    assert(moves.length >= requests - 2, `${moves.length} moves for ${requests} requests`);
  } finally {
    db.close();
  }
});

const JOB_CHILD = new URL("./fixtures/sync/job_child.ts", import.meta.url).pathname;

/** Starts the job child over `env`'s data folder and simulator; resolves once its run's log row exists. */
async function startJobChild(env: { dir: string; sim: { url: string } }, kind: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", new URL("../deno.json", import.meta.url).pathname, JOB_CHILD, kind],
    env: { GARMINSYNC_DATA_DIR: env.dir, GARMINSYNC_GARMIN_URL: env.sim.url },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("started\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the job child ended before its run started: ${out}`);
    out += value;
  }
  let killed = false;
  return {
    pid: child.pid,
    async kill() {
      if (killed) return;
      killed = true;
      try {
        child.kill("SIGKILL");
      } catch { /* it already ended */ }
      await child.status;
      await reader.cancel().catch(() => {});
    },
  };
}

async function waitForAsync(fn: () => Promise<boolean>, timeoutMs: number, what: string) {
  const until = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > until) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(20);
  }
}

Deno.test("[jobs] a sync process killed mid-run leaves true counts in its row; another process leaves its live row running", async () => {
  await using env = await syncEnv({ activities: 20, fitRecords: 5 });
  await refreshActivityList(env.ctx);
  // The eighth download (newest first) hangs, so the child is alive mid-run with seven activities processed.
  const stuck = (await activitiesToDownload(env.db))[7].activity_id;
  env.sim.fault({ match: new RegExp(`/download-service/files/activity/${stuck}$`), kind: "slow", delayMs: 20_000 });
  const truth = async () => {
    const r = await env.db.execute(
      "SELECT SUM(attempts > 0) AS processed, SUM(state = 'downloaded') AS downloaded FROM activities",
    );
    return { processed: Number(r.rows[0].processed), downloaded: Number(r.rows[0].downloaded) };
  };
  const row = async () => (await listLogs(env.db, { limit: 1, offset: 0 })).rows[0];
  const child = await startJobChild(env, "activities");
  try {
    // Counts reach the row while the run goes (seven items: the 2 s timer writes them, not the 10-item step).
    await waitForAsync(async () => (await row()).activities_processed === 7, 8000, "counts in the running row");
    const expected = await truth();
    assertEquals(expected.processed, 7);
    assert(expected.downloaded > 0 && expected.downloaded <= 7);

    // A job manager built by another process (the CLI while the daemon syncs) leaves the live run's row alone.
    const other = createJobManager({ db: env.db, log, runners: runners() });
    await other.shutdown();
    assertEquals((await row()).status, "running");

    await child.kill();
    const killed = await row();
    assertEquals(
      [killed.status, killed.activities_processed, killed.activities_downloaded, killed.items_processed],
      ["running", expected.processed, expected.downloaded, expected.processed],
    );
    // Its process is gone now: the next job manager marks the row interrupted and keeps the true counts.
    const next = createJobManager({ db: env.db, log, runners: runners() });
    await next.shutdown();
    const marked = await row();
    assertEquals(
      [marked.status, marked.activities_processed, marked.activities_downloaded],
      ["interrupted", expected.processed, expected.downloaded],
    );
  } finally {
    await child.kill();
  }
});

Deno.test("[jobs] a finished run records the last sync in the settings: clearing the log keeps it; a failed run does not", async () => {
  await withDb(async (db) => {
    const jobs = createJobManager({
      db,
      log,
      runners: runners({ health: stepper(2, 1, { fail: new Error("boom") }) }),
    });
    jobs.start("activities");
    await jobs.idle();
    const finished = (await listLogs(db, { limit: 1, offset: 0 })).rows[0].finished_at;
    assert(finished);
    assertEquals((await activityStats(db)).last_sync, finished);
    await clearLogs(db);
    assertEquals((await activityStats(db)).last_sync, finished, "not reset to never by clearing the log");
    assertEquals(await getSetting(db, "last_sync_at:activities"), finished);
    jobs.start("health");
    await jobs.idle();
    assertEquals(jobs.status().status, "failed");
    assertEquals(await getSetting(db, "last_sync_at:health"), undefined, "a failed run is not a sync");
    await jobs.shutdown();
  });
});
