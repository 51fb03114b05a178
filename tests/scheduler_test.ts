/**
 * The cron schedule: stored in the DB, applied at once when changed through the API, overlapping runs skipped
 * and logged (never queued).
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { apiFixture, expectJson, jsonInit, simFixture, waitFor } from "./fixtures/api/deps.ts";
import {
  assertCronInterval,
  createScheduler,
  DEFAULT_MIN_INTERVAL_MS,
  nextRuns,
  readSchedule,
  SCHEDULE_KEYS,
  storedSchedule,
} from "../daemon/scheduler.ts";
import { listLogs } from "../db/logs.ts";
import { getSetting } from "../db/settings.ts";
import { InvalidInput } from "../lib/errors.ts";
import type { AppDeps } from "../lib/deps.ts";

function withScheduler(deps: AppDeps) {
  // No floor: these tests use a cron every second.
  return createScheduler({ db: deps.db, jobs: deps.jobs, log: deps.log, config: deps.config, minIntervalMs: 0 });
}

async function logRows(deps: AppDeps, status?: "skipped") {
  return (await listLogs(deps.db, { status, limit: 500, offset: 0 })).rows;
}

Deno.test("[scheduler] defaults: enabled, GARMINSYNC_SCHEDULE, next run from croner", async () => {
  await using f = await apiFixture({ env: { GARMINSYNC_SCHEDULE: "30 4 * * *" } });
  const info = await readSchedule(f.deps.db, f.deps.config, () => new Date("2024-05-01T00:00:00Z"));
  assertEquals(info.enabled, true);
  assertEquals(info.cron_schedule, "30 4 * * *");
  assertEquals(info.last_run, null);
  assert(info.next_run !== null);
  assertEquals(new Date(info.next_run).getMinutes(), 30);
  const five = nextRuns("0 */6 * * *", 5, new Date("2024-05-01T00:00:00Z"));
  assertEquals(five.length, 5);
  assert(five.every((t, i) => i === 0 || t > five[i - 1]), "ascending");
});

Deno.test("[scheduler] update with a bad cron throws InvalidInput with croner's reason and saves nothing", async () => {
  await using f = await apiFixture();
  const s = withScheduler(f.deps);
  try {
    let caught: unknown;
    try {
      await s.update(true, "every tuesday");
    } catch (e) {
      caught = e;
    }
    assert(caught instanceof InvalidInput);
    assertMatch(caught.message, /not a valid cron expression \(.+\)/);
    assertEquals(await getSetting(f.deps.db, SCHEDULE_KEYS.cron), undefined);
    assertEquals((await s.info()).cron_schedule, "0 */6 * * *");
  } finally {
    s.stop();
  }
});

Deno.test("[scheduler] without the daemon, POST /api/schedule saves but reports applied: false", async () => {
  await using f = await apiFixture();
  const body = await expectJson(
    await f.app.request("/api/schedule", jsonInit("POST", { enabled: true, cron_schedule: "15 3 * * 1" })),
    200,
  );
  assertEquals(body.applied, false);
  assertEquals(body.cron_schedule, "15 3 * * 1");
  assertEquals((body.next_runs as string[]).length, 5);
  assertEquals((await storedSchedule(f.deps).info()).cron_schedule, "15 3 * * 1");
});

Deno.test("[scheduler] a schedule change through the API takes effect at once, and disabling stops it", async () => {
  // No Garmin session: each scheduled full sync fails at once, which is enough to count the runs.
  await using f = await apiFixture({ env: { GARMINSYNC_SCHEDULE: "0 0 1 1 *" }, scheduler: withScheduler });
  const before = await expectJson(await f.app.request("/api/status"), 200);
  assertEquals((before.daemon as { running: boolean }).running, true);
  assertEquals(await logRows(f.deps), []);

  const set = await expectJson(
    await f.app.request("/api/schedule", jsonInit("POST", { enabled: true, cron_schedule: "* * * * * *" })),
    200,
  );
  assertEquals(set.applied, true);
  const next = Date.parse(String(set.next_run));
  assert(next - Date.now() <= 1100, `next run within a second, got ${set.next_run}`);

  const rows = await waitFor(async () => {
    const r = (await logRows(f.deps)).filter((x) => x.operation === "full" && x.status !== "running");
    return r.length >= 2 ? r : null;
  }, 4000);
  assert(rows.every((r) => r.status === "error" || r.status === "skipped"));
  const lastRun = await getSetting(f.deps.db, SCHEDULE_KEYS.lastRun);
  assert(lastRun, "last_run_at is stored");

  await expectJson(await f.app.request("/api/schedule", jsonInit("POST", { enabled: false })), 200);
  await f.deps.jobs.idle();
  const count = (await logRows(f.deps)).length;
  await new Promise((r) => setTimeout(r, 1500));
  assertEquals((await logRows(f.deps)).length, count, "no run after the schedule was disabled");
  const status = await expectJson(await f.app.request("/api/status"), 200);
  const daemon = status.daemon as { enabled: boolean; next_run: string | null; schedule: string };
  assertEquals(daemon.enabled, false);
  assertEquals(daemon.next_run, null);
  assertEquals(daemon.schedule, "* * * * * *");
});

Deno.test("[scheduler] a tick that finds a sync running is skipped and logged, never queued", async () => {
  // 25 activities at 200 ms per download: the activities sync runs for about 5 s.
  await using f = await simFixture({ downloadDelayMs: 200 }, {
    env: { GARMINSYNC_SCHEDULE: "0 0 1 1 *" },
    scheduler: withScheduler,
  });
  const started = await expectJson(await f.app.request("/garmin/activities", { method: "POST" }), 202);
  assertEquals(started.job_type, "activities");
  await waitFor(() => f.deps.jobs.status().items_done >= 1, 10_000);
  // Two ticks, both while the activities sync runs; then none for a minute. A queued tick would start a full
  // sync as soon as the activities one ends, while the scheduler is still running.
  const now = new Date().getSeconds();
  const cron = `${(now + 1) % 60},${(now + 2) % 60} * * * * *`;
  await f.deps.scheduler!.update(true, cron);
  const skipped = await waitFor(async () => {
    const r = await logRows(f.deps, "skipped");
    return r.length >= 2 ? r : null;
  }, 6000);
  assertEquals(f.deps.jobs.status().job_type, "activities");
  assert(f.deps.jobs.running(), "both ticks came while the activities sync ran");
  assertEquals(skipped[0].operation, "full");
  assertMatch(String(skipped[0].message), /an activities sync was already running/);
  assert(f.logLines.some((l) => /WARN .*scheduled sync at .* skipped/.test(l)));

  await f.deps.jobs.idle();
  assertEquals(f.deps.jobs.status().job_type, "activities");
  await new Promise((r) => setTimeout(r, 1500));
  // The scheduler is still running here (stopped only when the fixture closes).
  const info = await f.deps.scheduler!.info();
  assertEquals(info.cron_schedule, cron);
  assert(info.next_run !== null, "the schedule is still active");
  assertEquals(f.deps.jobs.running(), false);
  assertEquals(f.deps.jobs.status().job_type, "activities", "no full sync ran after the activities one");
  const full = (await logRows(f.deps)).filter((r) => r.operation === "full" && r.status !== "skipped");
  assertEquals(full, []);
  assertEquals((await logRows(f.deps, "skipped")).length, 2);
});

Deno.test("[scheduler] runs closer than 5 minutes apart are refused with 422; nothing is saved", async () => {
  await using f = await apiFixture({
    scheduler: (deps) => createScheduler({ db: deps.db, jobs: deps.jobs, log: deps.log, config: deps.config }),
  });
  for (const cron of ["* * * * * *", "*/4 * * * *", "0,1 * * * *", "*/30 * * * * *"]) {
    const body = await expectJson(
      await f.app.request("/api/schedule", jsonInit("POST", { enabled: true, cron_schedule: cron })),
      422,
    );
    assertMatch(String(body.error), /must be at least 5 minutes apart/, cron);
    assertStringIncludes(String(body.error), `cron_schedule ${JSON.stringify(cron)} runs `, cron);
  }
  assertEquals(await getSetting(f.deps.db, SCHEDULE_KEYS.cron), undefined);
  const ok = await expectJson(
    await f.app.request("/api/schedule", jsonInit("POST", { enabled: true, cron_schedule: "*/5 * * * *" })),
    200,
  );
  assertEquals(ok.cron_schedule, "*/5 * * * *");
  // A disabled schedule never fires: saved as typed, and refused when it is switched on.
  await expectJson(
    await f.app.request("/api/schedule", jsonInit("POST", { enabled: false, cron_schedule: "* * * * *" })),
    200,
  );
  const on = await expectJson(await f.app.request("/api/schedule", jsonInit("POST", { enabled: true })), 422);
  assertStringIncludes(String(on.error), "1 minute apart");
  assertEquals((await f.deps.scheduler!.info()).enabled, false);
  // Without the daemon the same floor applies.
  assertThrowsInvalid(() => assertCronInterval("*/2 * * * *", DEFAULT_MIN_INTERVAL_MS));
  assertCronInterval("*/2 * * * *", 0);
  assertCronInterval("0 */6 * * *", DEFAULT_MIN_INTERVAL_MS);
});

Deno.test("[scheduler] the API without the daemon keeps the 5-minute floor", async () => {
  await using f = await apiFixture();
  const body = await expectJson(
    await f.app.request("/api/schedule", jsonInit("POST", { enabled: true, cron_schedule: "* * * * *" })),
    422,
  );
  assertMatch(String(body.error), /at least 5 minutes apart/);
  assertEquals(await getSetting(f.deps.db, SCHEDULE_KEYS.cron), undefined);
});

function assertThrowsInvalid(fn: () => void): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert(caught instanceof InvalidInput, `expected InvalidInput, got ${caught}`);
}
