import { withDb } from "./fixtures/db.ts";
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import {
  activitiesToDownload,
  activityLines,
  activityStats,
  activityTypes,
  getActivity,
  knownActivityIds,
  listActivities,
  markDownloaded,
  markFailed,
  markNoFile,
  resetActivity,
  upsertActivities,
} from "../db/activities.ts";
import {
  addLog,
  clearLogs,
  createLogCountWriter,
  currentLogOwner,
  finishLog,
  lastSyncKey,
  listLogs,
  markRunningLogsInterrupted,
  recordLastSync,
  startLog,
} from "../db/logs.ts";
import { getSetting } from "../db/settings.ts";
import { formatActivityLine } from "../cli/list.ts";
import { healthBounds, listHealthDays, upsertHealthDay } from "../db/health.ts";
import { listWorkouts, upsertWorkouts, workoutVersions } from "../db/workouts.ts";
import type { GarminActivitySummary } from "../sync/garmin/types.ts";

function act(
  id: number,
  day: number,
  type = "running",
  extra: Partial<GarminActivitySummary> = {},
): GarminActivitySummary {
  const d = String(day).padStart(2, "0");
  return {
    activityId: id,
    activityName: `Run ${id}`,
    startTimeLocal: `2024-03-${d} 07:00:00`,
    startTimeGMT: `2024-03-${d} 06:00:00`,
    activityType: { typeKey: type, typeId: 1 },
    duration: 1000 + id,
    distance: 5000 + (id % 7) * 100,
    calories: 300,
    averageHR: 140,
    maxHR: 170,
    ...extra,
  };
}

Deno.test("[db] listActivities filters by state, type and local date, sorts and pages", async () => {
  await withDb(async (db) => {
    await upsertActivities(db, [
      act(1, 1),
      act(2, 2, "cycling"),
      act(3, 3),
      act(4, 4, "swimming"),
      act(5, 5),
      act(6, 6, "cycling"),
    ]);
    await markDownloaded(db, 1, { file_name: "a.fit", file_size: 10, sha256: "ab" });
    await markDownloaded(db, 2, { file_name: "b.fit", file_size: 10, sha256: "cd" });
    await markNoFile(db, 3, "manual");
    await markFailed(db, 4, "boom");

    const all = await listActivities(db, { filter: "all", limit: 4, offset: 0 });
    assertEquals(all.total, 6);
    assertEquals(all.rows.map((r) => r.activity_id), [6, 5, 4, 3]);
    const page2 = await listActivities(db, { filter: "all", limit: 4, offset: 4 });
    assertEquals(page2.rows.map((r) => r.activity_id), [2, 1]);

    const missing = await listActivities(db, { filter: "missing", limit: 50, offset: 0 });
    assertEquals(missing.rows.map((r) => r.activity_id), [6, 5, 4]);
    assertEquals(missing.total, 3);
    assertEquals((await listActivities(db, { filter: "failed", limit: 50, offset: 0 })).rows[0].last_error, "boom");
    assertEquals((await listActivities(db, { filter: "no_file", limit: 50, offset: 0 })).total, 1);
    const dl = await listActivities(db, { filter: "downloaded", limit: 50, offset: 0, order: "asc" });
    assertEquals(dl.rows.map((r) => [r.activity_id, r.file_name, r.sha256]), [[1, "a.fit", "ab"], [2, "b.fit", "cd"]]);

    const cyc = await listActivities(db, { filter: "all", type: "cycling", limit: 50, offset: 0 });
    assertEquals(cyc.rows.map((r) => r.activity_id), [6, 2]);
    const range = await listActivities(db, {
      filter: "all",
      from: "2024-03-02",
      to: "2024-03-04",
      limit: 50,
      offset: 0,
    });
    assertEquals(range.rows.map((r) => r.activity_id), [4, 3, 2]);
    assertEquals(range.total, 3);

    const byName = await listActivities(db, { filter: "all", sort: "name", order: "asc", limit: 2, offset: 0 });
    assertEquals(byName.rows.map((r) => r.name), ["Run 1", "Run 2"]);
    const byDur = await listActivities(db, { filter: "all", sort: "duration", order: "desc", limit: 1, offset: 0 });
    assertEquals(byDur.rows[0].activity_id, 6);

    assertEquals(await activityTypes(db), ["cycling", "running", "swimming"]);
    assertEquals((await activitiesToDownload(db)).map((r) => r.activity_id), [6, 5, 4]);
    assertEquals([...await knownActivityIds(db, [1, 99, 6])].sort(), [1, 6]);
  });
});

Deno.test("[db] upsert keeps the download state and first_seen_at, refreshes metadata", async () => {
  await withDb(async (db) => {
    await upsertActivities(db, [act(7, 7)], new Date("2024-04-01T00:00:00Z"));
    await markDownloaded(db, 7, { file_name: "x.fit", file_size: 5, sha256: "ff" });
    await upsertActivities(db, [act(7, 7, "running", { activityName: "Renamed" })], new Date("2024-04-02T00:00:00Z"));
    const row = await getActivity(db, 7);
    assert(row);
    assertEquals(row.name, "Renamed");
    assertEquals(row.state, "downloaded");
    assertEquals(row.first_seen_at, "2024-04-01T00:00:00.000Z");
    assertEquals(row.last_seen_at, "2024-04-02T00:00:00.000Z");
    assertEquals(await getActivity(db, 8), null);
  });
});

Deno.test("[db] activityStats counts states and reads the last activity sync; resetActivity retries one", async () => {
  await withDb(async (db) => {
    await upsertActivities(db, [act(1, 1), act(2, 2), act(3, 3), act(4, 4)]);
    await markDownloaded(db, 1, { file_name: "a.fit", file_size: 1, sha256: "a" });
    await markNoFile(db, 2, "manual");
    await markFailed(db, 3, "bad");
    let stats = await activityStats(db);
    assertEquals(stats, { total: 4, downloaded: 1, missing: 2, no_file: 1, failed: 1, last_sync: null });

    const health = await startLog(db, "health", new Date("2024-05-01T00:00:00Z"));
    await finishLog(db, health, { status: "success" }, new Date("2024-05-01T00:05:00Z"));
    const id = await startLog(db, "activities", new Date("2024-05-01T00:00:00Z"));
    await finishLog(db, id, { status: "partial", message: "1 failed" }, new Date("2024-05-01T00:01:00Z"));
    stats = await activityStats(db);
    assertEquals(stats.last_sync, "2024-05-01T00:01:00.000Z");

    assertEquals(await resetActivity(db, 3), true);
    const row = await getActivity(db, 3);
    assertEquals([row?.state, row?.attempts, row?.last_error], ["missing", 0, null]);
    assertEquals(await resetActivity(db, 1), true);
    assertEquals((await getActivity(db, 1))?.state, "downloaded");
    assertEquals(await resetActivity(db, 999), false);
  });
});

Deno.test("[db] sync logs: start, finish, filter, page, clear, interrupted at start-up", async () => {
  await withDb(async (db) => {
    const a = await startLog(db, "activities", new Date("2024-01-01T00:00:00Z"));
    await finishLog(db, a, { status: "success", activities_processed: 5, activities_downloaded: 3 });
    await addLog(db, { operation: "full", status: "skipped", message: "a sync was running" }, new Date("2024-01-02"));
    const h = await startLog(db, "health", new Date("2024-01-03T00:00:00Z"));

    const all = await listLogs(db, { limit: 2, offset: 0 });
    assertEquals(all.total, 3);
    assertEquals(all.rows.map((r) => r.id), [h, all.rows[1].id]);
    assertEquals(all.rows[0].status, "running");
    const ok = await listLogs(db, { status: "success", limit: 10, offset: 0 });
    assertEquals(ok.rows.length, 1);
    assertEquals([ok.rows[0].activities_processed, ok.rows[0].activities_downloaded], [5, 3]);
    assert(ok.rows[0].finished_at);
    assertEquals((await listLogs(db, { operation: "full", limit: 10, offset: 0 })).rows[0].status, "skipped");

    assertEquals(await markRunningLogsInterrupted(db), 1);
    const after = await listLogs(db, { status: "interrupted", limit: 10, offset: 0 });
    assertEquals(after.rows.map((r) => r.id), [h]);
    assert(after.rows[0].finished_at);
    assertEquals(await clearLogs(db), 3);
    assertEquals((await listLogs(db, { limit: 10, offset: 0 })).total, 0);
  });
});

Deno.test("[db] health days upsert and list by range; bounds", async () => {
  await withDb(async (db) => {
    assertEquals(await healthBounds(db), { last_complete: null, last_stored: null });
    const base = {
      steps: 1000,
      step_goal: 8000,
      distance_m: 800,
      total_kcal: 2000,
      active_kcal: 300,
      resting_hr: 50,
      min_hr: 45,
      max_hr: 150,
      avg_stress: 30,
      max_stress: 80,
      body_battery_high: 90,
      body_battery_low: 20,
      body_battery_charged: 60,
      body_battery_drained: 70,
      sleep_seconds: 28000,
      deep_sleep_seconds: 5000,
      light_sleep_seconds: 15000,
      rem_sleep_seconds: 6000,
      awake_sleep_seconds: 2000,
      sleep_score: 80,
      weight_g: null,
      bmi: null,
      body_fat: null,
      has_summary: true,
      has_sleep: true,
      has_weight: false,
      summary_json: "{}",
      sleep_json: "{}",
      weight_json: null,
    };
    await upsertHealthDay(db, { ...base, calendar_date: "2024-02-01", complete: true });
    await upsertHealthDay(db, { ...base, calendar_date: "2024-02-02", complete: false, steps: 5 });
    await upsertHealthDay(db, { ...base, calendar_date: "2024-02-02", complete: true, steps: 6, weight_g: 70000 });
    const days = await listHealthDays(db, "2024-01-01", "2024-02-02");
    assertEquals(days.map((d) => [d.calendar_date, d.steps, d.complete]), [["2024-02-01", 1000, true], [
      "2024-02-02",
      6,
      true,
    ]]);
    assertEquals(days[1].weight_g, 70000);
    assertEquals(days[0].has_weight, false);
    assertEquals(await healthBounds(db), { last_complete: "2024-02-02", last_stored: "2024-02-02" });
    assertEquals((await listHealthDays(db, "2024-02-02", "2024-02-02")).length, 1);
  });
});

Deno.test("[db] workouts upsert keeps the stored detail when none is given", async () => {
  await withDb(async (db) => {
    const w = {
      workout_id: 10,
      name: "Intervals",
      sport_type: "running",
      description: null,
      created_date: "2024-01-01T00:00:00.0",
      updated_date: "2024-01-02T00:00:00.0",
      estimated_duration_s: 1800,
      estimated_distance_m: null,
      summary_json: "{}",
      detail_json: '{"workoutSegments":[]}',
    };
    await upsertWorkouts(db, [w]);
    await upsertWorkouts(db, [{ ...w, name: "Intervals 2", detail_json: null }]);
    const rows = await listWorkouts(db);
    assertEquals(rows.map((r) => [r.workout_id, r.name, r.sport_type]), [[10, "Intervals 2", "running"]]);
    const v = await workoutVersions(db);
    assertEquals(v.get(10), { updated_date: "2024-01-02T00:00:00.0", has_detail: true });
  });
});

Deno.test("[db] the activity listings are served by indexes, in order, without sorting the table", async () => {
  await withDb(async (db) => {
    const cols = "activity_id, name, state, start_time_local, start_time_gmt, distance_m, duration_s";
    const order = "ORDER BY start_time_gmt DESC, activity_id DESC LIMIT 50";
    const shapes = [
      `SELECT ${cols} FROM activities ${order}`,
      `SELECT ${cols} FROM activities WHERE state = 'downloaded' ${order}`,
      `SELECT ${cols} FROM activities WHERE state = 'missing' UNION ALL SELECT ${cols} FROM activities ` +
      `WHERE state = 'failed' ${order}`,
      `SELECT ${cols} FROM activities WHERE activity_type = 'running' ${order}`,
      `SELECT ${cols} FROM activities WHERE start_time_local >= '2024-01-01' AND start_time_gmt >= '2023-12-31' ` +
      `AND start_time_local < '2024-02-01' AND start_time_gmt < '2024-02-02' ${order}`,
      `SELECT ${cols} FROM activities ORDER BY name ASC, activity_id ASC LIMIT 50`,
      `SELECT ${cols} FROM activities ORDER BY distance_m DESC, activity_id DESC LIMIT 50`,
      `SELECT ${cols} FROM activities ORDER BY duration_s DESC, activity_id DESC LIMIT 50`,
      "SELECT state, COUNT(*) AS n FROM activities GROUP BY state",
      "SELECT * FROM sync_logs WHERE status = 'error' ORDER BY timestamp DESC, id DESC LIMIT 20",
      "SELECT * FROM sync_logs WHERE operation = 'full' ORDER BY timestamp DESC, id DESC LIMIT 20",
      "SELECT * FROM sync_logs ORDER BY timestamp DESC, id DESC LIMIT 20",
      "SELECT MAX(finished_at) AS finished_at FROM sync_logs WHERE operation IN ('activities', 'full', 'download') " +
      "AND status IN ('success', 'partial')",
    ];
    for (const sql of shapes) {
      const plan = (await db.execute(`EXPLAIN QUERY PLAN ${sql}`)).rows.map((r) => String(r.detail));
      const text = plan.join(" | ");
      assert(!text.includes("TEMP B-TREE"), `sorts instead of using an index: ${sql}\n  ${text}`);
      assert(plan.every((p) => !/^SCAN \w+$/.test(p)), `full table scan: ${sql}\n  ${text}`);
      assert(/USING (COVERING )?INDEX|MERGE/.test(text), `no index used: ${sql}\n  ${text}`);
    }
  });
});

/** A child process that waits `ms` and exits. */
function waitingChild(ms: number) {
  return new Deno.Command(Deno.execPath(), {
    args: ["eval", `await new Promise((r) => setTimeout(r, ${ms}))`],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

Deno.test("[db] interrupted at start-up: only rows whose process is gone; a live process's row stays running", async () => {
  await withDb(async (db) => {
    const live = waitingChild(30_000);
    const short = waitingChild(0);
    try {
      const self = currentLogOwner();
      assert(self.host, "the host name is known here (from /proc or --allow-sys)");
      const liveOwner = currentLogOwner(live.pid);
      assert(liveOwner.start_ticks !== null, "a live child's start time is read from /proc");
      const shortOwner = currentLogOwner(short.pid);
      await short.status; // now gone
      const t = new Date("2024-01-01T00:00:00Z");
      const rows = {
        live: await startLog(db, "full", t, liveOwner),
        dead: await startLog(db, "activities", t, shortOwner),
        // The live pid, but another start time: the pid was reused after the writer died.
        reused: await startLog(db, "health", t, { ...liveOwner, start_ticks: liveOwner.start_ticks! + 1 }),
        // Another machine sharing the database: cannot be probed from here, left alone.
        elsewhere: await startLog(db, "workouts", t, { ...shortOwner, host: `${self.host}-other` }),
        // This process has started no run yet: a row with its pid is from an earlier process that had it.
        own: await startLog(db, "download", t),
        legacy: Number(
          (await db.execute({
            sql: "INSERT INTO sync_logs (timestamp, operation, status) VALUES (?, 'full', 'running')",
            args: [t.toISOString()],
          })).lastInsertRowid,
        ),
      };
      assertEquals(await markRunningLogsInterrupted(db), 4);
      const status = new Map((await listLogs(db, { limit: 10, offset: 0 })).rows.map((r) => [r.id, r.status]));
      assertEquals(
        Object.fromEntries(Object.entries(rows).map(([k, id]) => [k, status.get(id)])),
        {
          live: "running",
          dead: "interrupted",
          reused: "interrupted",
          elsewhere: "running",
          own: "interrupted",
          legacy: "interrupted",
        },
      );
      live.kill("SIGKILL");
      await live.status;
      assertEquals(await markRunningLogsInterrupted(db), 1, "once the live process is gone, its row is marked");
    } finally {
      try {
        live.kill("SIGKILL");
      } catch { /* already ended */ }
      await live.status;
      await short.status;
    }
  });
});

Deno.test("[db] the log count writer: every 10 items at once, a trickle after everyMs, never a finished row", async () => {
  await withDb(async (db) => {
    const id = await startLog(db, "activities");
    const counts = async () => {
      const r = (await listLogs(db, { limit: 1, offset: 0 })).rows[0];
      return [r.activities_processed, r.activities_downloaded, r.items_processed];
    };
    const c = (n: number) => ({ activities_processed: n, activities_downloaded: n - 1, items_processed: n });
    const w = createLogCountWriter(db, id, { everyMs: 150 });
    for (let n = 1; n <= 9; n++) w.update(c(n));
    await new Promise((r) => setTimeout(r, 20));
    assertEquals(await counts(), [0, 0, 0], "nine items: not yet");
    w.update(c(10));
    await new Promise((r) => setTimeout(r, 20));
    assertEquals(await counts(), [10, 9, 10], "the tenth item writes at once");
    w.update(c(11));
    await new Promise((r) => setTimeout(r, 20));
    assertEquals(await counts(), [10, 9, 10]);
    await new Promise((r) => setTimeout(r, 200));
    assertEquals(await counts(), [11, 10, 11], "a trickle is written after everyMs without another update");
    await finishLog(db, id, { status: "success", activities_processed: 12, activities_downloaded: 12 });
    w.update(c(40));
    await new Promise((r) => setTimeout(r, 20));
    await w.close();
    assertEquals(await counts(), [12, 12, 0], "a finished row keeps what its run finished it with");
  });
});

Deno.test("[db] last sync survives clearing the log: settings first, the log for runs recorded before", async () => {
  await withDb(async (db) => {
    assertEquals((await activityStats(db)).last_sync, null);
    // An older database: only the log knows.
    const old = await startLog(db, "download", new Date("2024-03-01T00:00:00Z"));
    await finishLog(db, old, { status: "success" }, new Date("2024-03-01T00:10:00Z"));
    assertEquals((await activityStats(db)).last_sync, "2024-03-01T00:10:00.000Z");

    await recordLastSync(db, "full", new Date("2024-04-01T08:00:00Z"));
    await recordLastSync(db, "health", new Date("2024-05-01T08:00:00Z")); // not an activity sync
    assertEquals(await clearLogs(db), 1);
    assertEquals((await activityStats(db)).last_sync, "2024-04-01T08:00:00.000Z", "kept after clearing the log");
    assertEquals(await getSetting(db, lastSyncKey()), "2024-05-01T08:00:00.000Z", "any kind");
    assertEquals(await getSetting(db, lastSyncKey("health")), "2024-05-01T08:00:00.000Z");
    await recordLastSync(db, "download", new Date("2024-04-02T08:00:00Z"));
    assertEquals((await activityStats(db)).last_sync, "2024-04-02T08:00:00.000Z");
  });
});

Deno.test("[db] activityLines builds in SQL exactly formatActivityLine's text and JSON.stringify of the rows", async () => {
  await withDb(async (db) => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
    const names = [
      null,
      "",
      "Morning Run",
      "Läufchen 🏃‍♀️ 東京",
      "trailing spaces   ",
      "tab\tand\nnewline",
      'quote " and \\ backslash',
      "ctl \u0001\u001f\u007f end",
      "line sep \u2028 para \u2029",
      "nbsp at end\u00a0",
      "ideographic space\u3000",
      "bom\ufeff",
    ];
    const numbers = () =>
      pick([
        null,
        0,
        5,
        1005,
        1800,
        59.5,
        3599.6,
        86399.9999,
        -10.5,
        -1500,
        0.00001234,
        1e-7,
        1e7 + 0.25,
        Math.round(rnd() * 1e6) / 1000,
        rnd() * 100000, // many of these are exact 17-digit decimals: the tie case
        rnd() * 10,
        1 / (1 + rnd() * 1000),
        rnd() * 20000 + 0.005,
      ]);
    const stmts = [];
    for (let i = 0; i < 400; i++) {
      const state = pick(["downloaded", "missing", "no_file", "failed"]);
      const day = String(1 + (i % 28)).padStart(2, "0");
      // Shared start times (ties broken by id) and a few rows without a GMT time (they sort last).
      const gmt = i % 50 === 7 ? null : `2024-0${1 + (i % 9)}-${day} 0${i % 7}:00:00`;
      stmts.push({
        sql:
          "INSERT INTO activities (activity_id, name, activity_type, start_time_local, start_time_gmt, duration_s, " +
          "distance_m, calories, avg_hr, max_hr, state, file_name, file_size, sha256, attempts, last_error, " +
          "last_attempt_at, downloaded_at, first_seen_at, last_seen_at, raw_json) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}')",
        args: [
          1_000_000 + i * 37,
          pick(names),
          pick([null, "", "running", "läufen", "strength_training_extra_long", "cycling"]),
          gmt ?? "2024-02-02 10:00:00",
          gmt,
          numbers(),
          numbers(),
          numbers(),
          pick([null, 140, 141.5]),
          pick([null, 170, 180.25]),
          state,
          state === "downloaded" && i % 5 ? `activity_${i}.fit` : null,
          state === "downloaded" ? pick([50_000, 1, null]) : null,
          state === "downloaded" ? "ab".repeat(32) : null,
          pick([0, 1, 3]),
          state === "failed" && i % 3 ? pick(["HTTP 500 from Garmin", 'bad "zip"\n', "ünïcode"]) : null,
          pick([null, "2024-05-01T00:00:00.000Z"]),
          state === "downloaded" ? "2024-05-01T00:00:00.000Z" : null,
          "2024-04-01T00:00:00.000Z",
          "2024-04-02T00:00:00.000Z",
        ],
      });
    }
    await db.batch(stmts, "write");
    let ties = 0;
    for (const filter of ["all", "missing", "downloaded", "no_file", "failed"] as const) {
      const { rows } = await listActivities(db, { filter, limit: 10_000, offset: 0 });
      assert(rows.length > 0);
      for (
        const [format, expected] of [
          ["text", rows.map(formatActivityLine)],
          ["json", rows.map((r) => JSON.stringify(r))],
        ] as const
      ) {
        // Names hold newlines, so the output is compared whole: the batches joined by the separator.
        const separator = format === "json" ? ",\n" : "\n";
        const chunks: string[] = [];
        for await (const chunk of activityLines(db, filter, format, 37)) chunks.push(chunk);
        assert(chunks.length >= Math.ceil(rows.length / 37), `${filter} ${format}: paged in batches of 37`);
        const whole = chunks.join(separator);
        if (format === "text") {
          assertEquals(whole, expected.join(separator), `${filter} text`);
          continue;
        }
        if (whole !== expected.join(separator)) ties++;
        const got = JSON.parse(`[${whole}]`).map((o: unknown) => JSON.stringify(o));
        // Same keys in the same order, same values (JSON.stringify of the parsed line equals the row's).
        for (let i = 0; i < got.length; i++) assertEquals(got[i], expected[i], `${filter} ${format} line ${i}`);
      }
    }
    assert(ties <= 5, `${ties} JSON listings spelled a number differently: only exact ties may`);
    const all: string[] = [];
    for await (const chunk of activityLines(db, "all", "json")) all.push(chunk);
    // The default batch holds them all: one for the rows with a start time, one for the 8 without.
    assertEquals(all.map((c) => JSON.parse(`[${c}]`).length), [392, 8]);
  });
});
