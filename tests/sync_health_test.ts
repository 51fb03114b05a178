import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { recordingReporter, syncEnv } from "./fixtures/sync/env.ts";
import { addDays, healthRange, localDate, syncHealth } from "../sync/health.ts";
import { createSyncRunners } from "../sync/runners.ts";
import { listHealthDays } from "../db/health.ts";
import { ensureSession } from "../sync/garmin/garmin.ts";
import { InvalidInput } from "../lib/errors.ts";

const SUMMARY = "/usersummary-service/usersummary/daily/";
const SLEEP = "/wellness-service/wellness/dailySleepData/";
const WEIGHT = "/weight-service/weight/dateRange";

/** A movable clock shared by the simulator and the sync (noon UTC, so the local date is the simulator's date). */
function movableClock(start = Date.UTC(2025, 5, 15, 12, 0, 0)) {
  let t = start;
  return { now: () => new Date(t), advanceDays: (d: number) => t += d * 86_400_000 };
}

function datesOf(calls: { path: string }[], param: string): string[] {
  return calls.map((c) => new URL(c.path, "http://x").searchParams.get(param)!).sort();
}

function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

Deno.test("[health] backfill from --since stores one row per day with the summary, sleep and weight", async () => {
  const clock = movableClock();
  await using env = await syncEnv({ now: clock.now, healthDays: 30 });
  const today = localDate(clock.now());
  const since = addDays(today, -9);
  env.sim.resetCalls();
  const reporter = recordingReporter();
  const r = await syncHealth({ ...env.ctx, clock: clock.now }, reporter, { since });
  assertEquals([r.from, r.to, r.days, r.stored, r.failed], [since, today, 10, 10, 0]);
  assertEquals(reporter.totals, [10]);
  assertEquals(reporter.done, 10);
  assertEquals(datesOf(env.sim.calls(SUMMARY), "calendarDate"), days(since, today));
  assertEquals(datesOf(env.sim.calls(SLEEP), "date"), days(since, today));
  assertEquals(env.sim.calls(WEIGHT).length, 1, "one weight call for the whole range");

  const rows = await listHealthDays(env.db, "2000-01-01", "2100-01-01");
  assertEquals(rows.map((d) => d.calendar_date), days(since, today));
  assert(rows.every((d) => d.has_summary && d.steps !== null && d.resting_hr !== null && d.body_battery_high !== null));
  assert(rows.some((d) => d.has_sleep && d.sleep_seconds! > 0 && d.deep_sleep_seconds !== null));
  assert(rows.some((d) => d.has_weight && d.weight_g! > 40_000 && d.weight_g! < 100_000), "weight in grams");
  assertEquals(rows.filter((d) => !d.complete).map((d) => d.calendar_date), [today], "only today is incomplete");

  // The stored numbers are Garmin's: compare one day with the raw JSON the simulator serves.
  const day = rows[3];
  const raw = await env.garmin.api.dailySummary(day.calendar_date);
  assertEquals(day.steps, raw?.totalSteps);
  assertEquals(day.total_kcal, raw?.totalKilocalories);
  assertEquals(day.max_stress, raw?.maxStressLevel);
  assertEquals(day.body_battery_drained, raw?.bodyBatteryDrainedValue);
});

Deno.test("[health] the first run without --since backfills 30 days ending today", async () => {
  const clock = movableClock();
  await using env = await syncEnv({ now: clock.now });
  const r = await syncHealth({ ...env.ctx, clock: clock.now }, recordingReporter());
  const today = localDate(clock.now());
  assertEquals([r.from, r.to, r.stored], [addDays(today, -29), today, 30]);
  assertEquals((await listHealthDays(env.db, "2000-01-01", "2100-01-01")).length, 30);
});

Deno.test("[health] later runs re-fetch only the last complete day − 2 .. today, and catch up after missed days", async () => {
  const clock = movableClock();
  await using env = await syncEnv({ now: clock.now });
  const ctx = { ...env.ctx, clock: clock.now };
  const today = localDate(clock.now());
  await syncHealth(ctx, recordingReporter(), { since: addDays(today, -6) });

  // Same day again: last complete = yesterday, so yesterday−2 .. today (4 days).
  env.sim.resetCalls();
  const second = await syncHealth(ctx, recordingReporter());
  const expected = days(addDays(today, -3), today);
  assertEquals([second.from, second.to], [expected[0], today]);
  assertEquals(datesOf(env.sim.calls(SUMMARY), "calendarDate"), expected);
  assertEquals(datesOf(env.sim.calls(SLEEP), "date"), expected);
  assertEquals(env.sim.calls(WEIGHT).length, 1);

  // Three days without a run: from the old last complete day − 2 through the new today; no day skipped.
  clock.advanceDays(3);
  const later = localDate(clock.now());
  env.sim.resetCalls();
  const third = await syncHealth(ctx, recordingReporter());
  assertEquals(datesOf(env.sim.calls(SUMMARY), "calendarDate"), days(addDays(today, -3), later));
  assertEquals(third.stored, 7);
  const rows = await listHealthDays(env.db, "2000-01-01", "2100-01-01");
  assertEquals(rows.map((d) => d.calendar_date), days(addDays(today, -6), later), "contiguous, no gap");
  assertEquals(rows.filter((d) => !d.complete).map((d) => d.calendar_date), [later]);
  // The former "today" was re-fetched after it ended: now complete.
  assertEquals(rows.find((d) => d.calendar_date === today)?.complete, true);
});

Deno.test("[health] a day that keeps failing keeps its stored data and makes the run partial", async () => {
  const clock = movableClock();
  await using env = await syncEnv({ now: clock.now });
  const runners = createSyncRunners({
    db: env.db,
    config: env.config,
    log: env.log,
    garmin: env.garmin,
    ensureSession: () => ensureSession(env.garmin, env.config),
    clock: clock.now,
  });
  const today = localDate(clock.now());
  const since = addDays(today, -4);
  assertEquals((await runners.health(recordingReporter(), { since })).status, "success");
  const bad = addDays(today, -2);
  const before = (await listHealthDays(env.db, bad, bad))[0];

  env.sim.fault({ match: `calendarDate=${bad}`, kind: "html", times: 100 });
  const summary = await runners.health(recordingReporter(), { since });
  assertEquals(summary.status, "partial");
  assert(summary.message.startsWith(`1 of 5 days failed: ${bad}: `), summary.message);
  assert(summary.message.includes("4 days stored"), summary.message);
  assertEquals((await listHealthDays(env.db, bad, bad))[0], before, "the failed day's stored row is unchanged");
});

Deno.test("[health] a failed weight call keeps the stored weights and says so", async () => {
  const clock = movableClock();
  await using env = await syncEnv({ now: clock.now });
  const ctx = { ...env.ctx, clock: clock.now };
  const today = localDate(clock.now());
  await syncHealth(ctx, recordingReporter(), { since: addDays(today, -9) });
  const weighed = (await listHealthDays(env.db, "2000-01-01", "2100-01-01")).filter((d) => d.has_weight);
  assert(weighed.length > 0);
  env.sim.fault({ match: WEIGHT, kind: "status", status: 400, times: 100 });
  const r = await syncHealth(ctx, recordingReporter(), { since: addDays(today, -9) });
  assert(r.weight_error, "the weight failure is reported");
  assertEquals(r.stored, 10);
  const after = (await listHealthDays(env.db, "2000-01-01", "2100-01-01")).filter((d) => d.has_weight);
  assertEquals(after.map((d) => [d.calendar_date, d.weight_g]), weighed.map((d) => [d.calendar_date, d.weight_g]));
});

Deno.test("[health] a bad --since is refused before anything is fetched", async () => {
  const clock = movableClock();
  await using env = await syncEnv({ now: clock.now });
  const today = localDate(clock.now());
  for (const since of ["2024-13-01", "yesterday", addDays(today, 1)]) {
    let err: unknown;
    try {
      await healthRange(env.db, today, since);
    } catch (e) {
      err = e;
    }
    assert(err instanceof InvalidInput, `${since} must be refused`);
    assert(err.message.includes("--since"));
  }
});
