import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { recordingReporter, syncEnv } from "./fixtures/sync/env.ts";
import { addDays, HEALTH_HOLE_LOOKBACK_DAYS, healthRange, localDate, syncHealth } from "../sync/health.ts";
import { HEALTH_NUMBER_COLUMNS, type HealthDayInput, listHealthDays, upsertHealthDay } from "../db/health.ts";
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
  const runners = env.runners(clock.now);
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

Deno.test("[health] a day deleted from the middle and a day stored incomplete are fetched again on the next run", async () => {
  const clock = movableClock();
  await using env = await syncEnv({ now: clock.now });
  const ctx = { ...env.ctx, clock: clock.now };
  const today = localDate(clock.now());
  await syncHealth(ctx, recordingReporter(), { since: addDays(today, -9) });
  const hole = addDays(today, -6), stale = addDays(today, -8);
  await env.db.execute({ sql: "DELETE FROM health_days WHERE calendar_date = ?", args: [hole] });
  await env.db.execute({ sql: "UPDATE health_days SET complete = 0 WHERE calendar_date = ?", args: [stale] });

  env.sim.resetCalls();
  const r = await syncHealth(ctx, recordingReporter());
  // Only the two gaps and the usual overlap (last complete day − 2 .. today); the complete days between are not.
  const expected = [stale, hole, ...days(addDays(today, -3), today)];
  assertEquals(datesOf(env.sim.calls(SUMMARY), "calendarDate"), expected);
  assertEquals(datesOf(env.sim.calls(SLEEP), "date"), expected);
  assertEquals([r.from, r.to, r.days, r.holes, r.stored], [stale, today, 6, 2, 6]);
  const rows = await listHealthDays(env.db, "2000-01-01", "2100-01-01");
  assertEquals(rows.map((d) => d.calendar_date), days(addDays(today, -9), today), "the hole is filled");
  assertEquals(rows.filter((d) => !d.complete).map((d) => d.calendar_date), [today]);

  // Nothing missing any more: back to the plain overlap.
  env.sim.resetCalls();
  await syncHealth(ctx, recordingReporter());
  assertEquals(datesOf(env.sim.calls(SUMMARY), "calendarDate"), days(addDays(today, -3), today));
});

Deno.test("[health] a day that failed once is fetched on the next run without --since", async () => {
  const clock = movableClock();
  await using env = await syncEnv({ now: clock.now });
  const runners = env.runners(clock.now);
  const today = localDate(clock.now());
  const bad = addDays(today, -20);
  env.sim.fault({ match: `calendarDate=${bad}`, kind: "html", times: 100 });
  assertEquals((await runners.health(recordingReporter(), {})).status, "partial");
  assertEquals((await listHealthDays(env.db, bad, bad)).length, 0);

  env.sim.clearFaults();
  clock.advanceDays(1);
  env.sim.resetCalls();
  const second = await runners.health(recordingReporter(), {});
  assertEquals(second.status, "success");
  assert(second.message.includes("including 1 earlier missing day"), second.message);
  assertEquals(datesOf(env.sim.calls(SUMMARY), "calendarDate"), [bad, ...days(addDays(today, -3), addDays(today, 1))]);
  assertEquals((await listHealthDays(env.db, bad, bad)).length, 1);
});

Deno.test("[health] an interrupted --since backfill is completed by the next plain run, stored days not re-fetched", async () => {
  const clock = movableClock();
  await using env = await syncEnv({ now: clock.now, healthDays: 120 });
  const ctx = { ...env.ctx, clock: clock.now };
  const today = localDate(clock.now());
  await syncHealth(ctx, recordingReporter()); // the default 30 days: today − 29 .. today
  const since = addDays(today, -99);
  const abort = new AbortController();
  const reporter = recordingReporter(abort.signal);
  const advance = reporter.advance;
  reporter.advance = (n, d) => {
    advance(n, d);
    if (reporter.done >= 25) abort.abort();
  };
  const cut = await syncHealth(ctx, reporter, { since });
  assertEquals(cut.stored, 25, "the backfill stopped part-way");
  const stopped = addDays(since, 25); // first day the backfill did not reach

  env.sim.resetCalls();
  const r = await syncHealth(ctx, recordingReporter());
  const expected = [...days(stopped, addDays(today, -30)), ...days(addDays(today, -3), today)];
  assertEquals(datesOf(env.sim.calls(SUMMARY), "calendarDate"), expected);
  assertEquals([r.from, r.holes], [stopped, expected.length - 4]);
  const rows = await listHealthDays(env.db, "2000-01-01", "2100-01-01");
  assertEquals(rows.map((d) => d.calendar_date), days(since, today), "every day from --since on is stored");
});

Deno.test("[health] the hole search looks back at most a year; --since still reaches further", async () => {
  const clock = movableClock();
  await using env = await syncEnv({ now: clock.now });
  const today = localDate(clock.now());
  const row = (calendar_date: string, complete: boolean): HealthDayInput => ({
    calendar_date,
    ...Object.fromEntries(HEALTH_NUMBER_COLUMNS.map((c) => [c, null])) as Record<
      typeof HEALTH_NUMBER_COLUMNS[number],
      null
    >,
    has_summary: false,
    has_sleep: false,
    has_weight: false,
    complete,
    summary_json: null,
    sleep_json: null,
    weight_json: null,
  });
  await upsertHealthDay(env.db, row(addDays(today, -500), true));
  for (const d of days(addDays(today, -10), addDays(today, -1))) await upsertHealthDay(env.db, row(d, true));
  const plan = await healthRange(env.db, today);
  const windowStart = addDays(today, -(HEALTH_HOLE_LOOKBACK_DAYS - 1));
  assertEquals(plan.days, [...days(windowStart, addDays(today, -11)), ...days(addDays(today, -3), today)]);
  assertEquals([plan.from, plan.holes], [windowStart, HEALTH_HOLE_LOOKBACK_DAYS - 11]);
  const far = await healthRange(env.db, today, addDays(today, -600));
  assertEquals([far.from, far.days.length], [addDays(today, -600), 601]);
});

Deno.test("[health] a rate limit reported inside a 200 JSON body is a rate limit: nothing stored is overwritten", async () => {
  const clock = movableClock();
  await using env = await syncEnv({ now: clock.now });
  const runners = env.runners(clock.now);
  const today = localDate(clock.now());
  const since = addDays(today, -4);
  assertEquals((await runners.health(recordingReporter(), { since })).status, "success");
  const before = await listHealthDays(env.db, since, today);
  assert(before.some((d) => d.steps !== null && d.has_weight), "the first run stored steps and weights");

  env.sim.fault({ match: SUMMARY, kind: "json_429", times: Infinity });
  env.sim.fault({ match: WEIGHT, kind: "json_429", times: Infinity });
  const outcome = await runners.health(recordingReporter(), { since }).then(
    (s) => `${s.status}: ${s.message}`,
    (e: Error) => `${e.name}: ${e.message}`,
  );
  assert(/rate-limiting/.test(outcome), `the run reports the rate limit: ${outcome}`);
  const after = await listHealthDays(env.db, since, today);
  for (const day of before.filter((d) => d.complete)) {
    const now = after.find((d) => d.calendar_date === day.calendar_date)!;
    assertEquals([now.steps, now.weight_g, now.has_summary], [day.steps, day.weight_g, day.has_summary]);
  }
});
