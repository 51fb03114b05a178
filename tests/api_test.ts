/**
 * The JSON API against the simulator: the six acceptance scenarios of the sync job (through app.request and a
 * real Deno.serve), concurrent starts, the data routes after a sync, and the secret-leak search.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { apiFixture, expectJson, jsonInit, simFixture, waitFor } from "./fixtures/api/deps.ts";
import { listLogs } from "../db/logs.ts";
import type { SyncJob } from "../sync/job_types.ts";

type Fetcher = (path: string, init?: RequestInit) => Promise<Response>;

const IDLE: SyncJob = {
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

async function status(request: Fetcher): Promise<SyncJob> {
  return await expectJson(await request("/garmin/sync/status"), 200) as unknown as SyncJob;
}

/** Polls the status every 10 ms until the job leaves in_progress; returns every answer seen. */
async function pollToEnd(request: Fetcher, timeoutMs = 20_000): Promise<SyncJob[]> {
  const seen: SyncJob[] = [];
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const s = await status(request);
    seen.push(s);
    if (s.status !== "in_progress") return seen;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("the sync did not finish in time");
}

/** Scenarios 1-4: idle, start and poll to completed with rising progress, 409 while running, completed at 1.0. */
async function runHappyScenarios(request: Fetcher): Promise<void> {
  assertEquals(await status(request), IDLE);

  const t0 = performance.now();
  const res = await request("/garmin/activities", { method: "POST" });
  const startMs = performance.now() - t0;
  const started = await expectJson(res, 202) as unknown as SyncJob;
  assert(startMs < 1000, `202 took ${startMs} ms`);
  assertEquals(started.status, "in_progress");
  assertEquals(started.job_type, "activities");
  assert(started.start_time !== null);
  assertEquals(started.end_time, null);

  const conflict = await expectJson(await request("/garmin/health", { method: "POST" }), 409);
  assertStringIncludes(String(conflict.error), "already running");
  assertEquals((conflict.job as SyncJob).status, "in_progress");
  assertEquals((conflict.job as SyncJob).job_type, "activities");
  await expectJson(await request("/api/sync/trigger", { method: "POST" }), 409);

  const seen = await pollToEnd(request);
  const progress = seen.map((s) => s.progress);
  for (let i = 1; i < progress.length; i++) assert(progress[i] >= progress[i - 1], `progress went back: ${progress}`);
  const during = seen.filter((s) => s.status === "in_progress");
  assert(during.every((s) => s.job_type === "activities" && s.progress < 1));
  assert(new Set(during.map((s) => s.progress)).size >= 3, `progress should rise in steps, saw ${progress}`);

  const done = seen.at(-1)!;
  assertEquals(done.status, "completed");
  assertEquals(done.progress, 1);
  assertEquals(done.job_type, "activities");
  assertEquals(done.error_message, null);
  assert(done.end_time !== null && done.end_time >= done.start_time!);
  // A finished job stays visible until the next start.
  assertEquals(await status(request), done);
}

Deno.test("[api] sync job scenarios through app.request: idle, start, 409, poll to completed at 1.0", async () => {
  await using f = await simFixture({ downloadDelayMs: 40 });
  await runHappyScenarios((p, i) => Promise.resolve(f.app.request(p, i)));
});

Deno.test("[api] sync job scenarios through a real Deno.serve", async () => {
  await using f = await simFixture({ downloadDelayMs: 40 });
  const ac = new AbortController();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} }, f.app.fetch);
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    await runHappyScenarios((p, i) => fetch(base + p, i));
  } finally {
    ac.abort();
    await server.finished;
  }
});

Deno.test("[api] a sync without a Garmin session fails at once with error_message and end_time", async () => {
  await using f = await simFixture({}, { login: false });
  const request: Fetcher = (p, i) => Promise.resolve(f.app.request(p, i));
  await expectJson(await request("/garmin/activities", { method: "POST" }), 202);
  const seen = await pollToEnd(request, 5000);
  const failed = seen.at(-1)!;
  assertEquals(failed.status, "failed");
  assertEquals(failed.job_type, "activities");
  assertMatch(String(failed.error_message), /log ?in/i);
  assert(failed.end_time !== null);
  assert(failed.progress < 1);
  // No request for data went to "Garmin": it failed before, not after retries.
  assertEquals(f.sim.calls(/activitylist-service/).length, 0);
  const rows = (await listLogs(f.deps.db, { limit: 10, offset: 0 })).rows;
  assertEquals(rows[0].status, "error");
});

Deno.test("[api] a fresh process answers idle; a restart mid-sync leaves an interrupted log row", async () => {
  const sim = await simFixture({ downloadDelayMs: 200 });
  const dir = sim.dir;
  try {
    await expectJson(await sim.app.request("/api/sync/trigger", { method: "POST" }), 202);
    await waitFor(() => sim.deps.jobs.status().items_done >= 1, 10_000);
    // The first process stops (as on SIGTERM): the run stops at a safe point.
    await sim.deps.jobs.shutdown(5000);
    sim.deps.db.close();
    await using fresh = await apiFixture({ dir });
    const s = await expectJson(await fresh.app.request("/garmin/sync/status"), 200);
    assertEquals(s, IDLE as unknown as Record<string, unknown>);
    const logs = await expectJson(await fresh.app.request("/api/logs?operation=full"), 200);
    const items = logs.items as { status: string; message: string }[];
    assertEquals(items[0].status, "interrupted");
    // No partial FIT file was left behind.
    for await (const e of Deno.readDir(dir)) assert(!/\.tmp-|\.part$/.test(e.name), `partial file ${e.name}`);
  } finally {
    await sim.sim.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("[api] 50 concurrent starts: exactly one 202, 49 answers 409 with the running job", async () => {
  await using f = await simFixture({ downloadDelayMs: 20 });
  const ac = new AbortController();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} }, f.app.fetch);
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const paths = ["/garmin/activities", "/garmin/health", "/garmin/workouts", "/api/sync/trigger"];
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => fetch(base + paths[i % paths.length], { method: "POST" })),
    );
    const codes = answers.map((r) => r.status);
    const bodies = await Promise.all(answers.map((r) => r.json()));
    assertEquals(codes.filter((c) => c === 202).length, 1, `codes: ${codes}`);
    assertEquals(codes.filter((c) => c === 409).length, 49);
    const winner = bodies[codes.indexOf(202)] as SyncJob;
    for (const [i, b] of bodies.entries()) {
      if (codes[i] === 409) assertEquals((b.job as SyncJob).start_time, winner.start_time);
    }
    await f.deps.jobs.idle();
  } finally {
    ac.abort();
    await server.finished;
  }
});

Deno.test("[api] after a full sync: activities, stats, FIT download, health, workouts, logs, status", async () => {
  await using f = await simFixture({ activities: 12, healthDays: 5, workouts: 3 });
  const req = (p: string, i?: RequestInit) => Promise.resolve(f.app.request(p, i));
  const started = await expectJson(await req("/api/sync/trigger", { method: "POST" }), 202);
  assertEquals(started.job_type, "full");
  const end = (await pollToEnd(req)).at(-1)!;
  assertEquals(end.status, "completed");
  assertEquals(end.job_type, "full");

  const stats = await expectJson(await req("/api/activities/stats"), 200);
  assertEquals(stats.total, 12);
  assert(Number(stats.downloaded) >= 10);
  assertEquals(Number(stats.downloaded) + Number(stats.missing) + Number(stats.no_file), 12);
  assert(stats.last_sync !== null);

  const page = await expectJson(await req("/api/activities?filter=downloaded&per_page=5&page=1"), 200);
  assertEquals(page.per_page, 5);
  assertEquals(page.total, stats.downloaded);
  const items = page.items as { activity_id: number; file_name: string; state: string; start_time_gmt: string }[];
  assertEquals(items.length, 5);
  assert(items.every((a) => a.state === "downloaded"));
  assert(items.every((a, i) => i === 0 || a.start_time_gmt <= items[i - 1].start_time_gmt), "newest first");
  const asc = await expectJson(await req("/api/activities?sort=start_time&order=asc&per_page=500"), 200);
  assertEquals((asc.items as unknown[]).length, 12);

  const one = items[0];
  const fit = await req(`/api/activities/${one.activity_id}/fit`);
  assertEquals(fit.status, 200);
  assertEquals(fit.headers.get("content-type"), "application/vnd.ant.fit");
  assertEquals(fit.headers.get("content-disposition"), `attachment; filename="${one.file_name}"`);
  const bytes = new Uint8Array(await fit.arrayBuffer());
  assertEquals(new TextDecoder().decode(bytes.slice(8, 12)), ".FIT");
  assertEquals(bytes, await Deno.readFile(`${f.dir}/${one.file_name}`));

  const noFile = (await expectJson(await req("/api/activities?filter=no_file"), 200)).items as {
    activity_id: number;
  }[];
  if (noFile.length) {
    const body = await expectJson(await req(`/api/activities/${noFile[0].activity_id}/fit`), 404);
    assertStringIncludes(String(body.error), "Garmin has no original file");
  }

  const health = await expectJson(await req("/api/health"), 200);
  assertEquals((health.days as unknown[]).length >= 4, true);
  const to = String(health.to);
  assertEquals(String(health.from), new Date(Date.parse(to) - 29 * 86_400_000).toISOString().slice(0, 10));
  const workouts = await expectJson(await req("/api/workouts"), 200);
  assertEquals(workouts.total, 3);

  const logs = await expectJson(await req("/api/logs?operation=full&status=success"), 200);
  assertEquals(logs.total, 1);
  const st = await expectJson(await req("/api/status"), 200);
  assertEquals((st.sync as SyncJob).status, "completed");
  assertEquals((st.daemon as { running: boolean }).running, false);
  assert((st.recent_logs as unknown[]).length >= 1);

  const cleared = await expectJson(await req("/api/logs", { method: "DELETE" }), 200);
  assertEquals(cleared.deleted, 1);
  assertEquals((await expectJson(await req("/api/logs"), 200)).total, 0);
});

Deno.test("[api] retry: a failed activity goes back to missing and an activities sync starts", async () => {
  await using f = await simFixture({ activities: 4 });
  const req = (p: string, i?: RequestInit) => Promise.resolve(f.app.request(p, i));
  const target = f.sim.activities.find((a) => !a.manual)!.activityId;
  f.sim.fault({ match: `/download-service/files/activity/${target}`, kind: "corrupt_zip", times: 10 });
  await expectJson(await req("/garmin/activities", { method: "POST" }), 202);
  await f.deps.jobs.idle();
  const failed = await expectJson(await req(`/api/activities/${target}`), 200);
  assertEquals(failed.state, "failed");

  f.sim.clearFaults();
  const res = await expectJson(await req(`/api/activities/${target}/retry`, { method: "POST" }), 202);
  assertEquals(res.started, true);
  assertEquals((res.activity as { state: string }).state, "missing");
  assertEquals((res.job as SyncJob).job_type, "activities");
  await f.deps.jobs.idle();
  const after = await expectJson(await req(`/api/activities/${target}`), 200);
  assertEquals(after.state, "downloaded");
});

Deno.test("[api] no password or Garmin token appears in any answer, page or log line", async () => {
  await using f = await simFixture({ activities: 3, healthDays: 2, workouts: 1 });
  const req = (p: string, i?: RequestInit) => Promise.resolve(f.app.request(p, i));
  await expectJson(await req("/api/sync/trigger", { method: "POST" }), 202);
  const texts: string[] = [];
  while (f.deps.jobs.running()) {
    texts.push(await (await req("/garmin/sync/status")).text());
    texts.push(await (await req("/")).text());
    await new Promise((r) => setTimeout(r, 20));
  }
  for (
    const p of [
      "/garmin/sync/status",
      "/api/status",
      "/api/logs",
      "/api/activities?per_page=500",
      "/api/activities/stats",
      "/api/health",
      "/api/workouts",
      "/garmin/auth/status",
      "/openapi.json",
      // every dashboard page
      "/",
      "/activities",
      "/health",
      "/logs",
      "/settings",
      "/login",
    ]
  ) {
    const res = await req(p);
    assertEquals(res.status, 200, p);
    texts.push(await res.text());
  }
  const issued = f.sim.issuedSecrets();
  const ticket = issued.find((s) => s.startsWith("ST-"));
  const token = issued.find((s) => !s.startsWith("ST-") && !s.startsWith("ey") && s !== f.sim.account.password);
  assert(ticket && token, "the login used a ticket and got tokens");
  // Error answers of the auth routes, fed the real (spent) ticket and real tokens.
  const errors: [string, unknown][] = [
    ["/garmin/auth/login", { email: "x@y.z", password: "wrong-pw-123" }],
    ["/garmin/auth/login", { email: f.sim.account.email, password: `${f.sim.account.password}x` }],
    ["/garmin/auth/ticket", { ticket }],
    ["/garmin/auth/ticket", { ticket: `${ticket}!` }],
    ["/garmin/auth/import", { di_token: "not-a-jwt", di_refresh_token: token }],
    ["/garmin/auth/import", { di_token: token, di_refresh_token: token, extra: token }],
    ["/garmin/auth/import", { oauth1: { oauth_token: token }, oauth2: { access_token: token } }],
  ];
  for (const [path, body] of errors) {
    const res = await req(path, jsonInit("POST", body));
    assert(res.status >= 400, `${path} ${JSON.stringify(body).slice(0, 60)} should fail, got ${res.status}`);
    texts.push(await res.text());
  }
  const secrets = issued.filter((s) => s.length > 0);
  assert(secrets.length >= 4, "the simulator issued tokens");
  for (const t of [...texts, ...f.logLines]) {
    for (const s of secrets) assert(!t.includes(s), `a secret leaked in: ${t.slice(0, 160)}`);
  }
});

Deno.test("[api] POST /api/schedule sets request_delay_ms at once; GET /api/schedule and /api/status show it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gs_api_" });
  try {
    {
      await using f = await apiFixture({ dir });
      const before = await expectJson(await f.app.request("/api/schedule"), 200);
      assertEquals(before.request_delay_ms, 0, "GARMINSYNC_REQUEST_DELAY_MS of the fixture");
      const saved = await expectJson(
        await f.app.request("/api/schedule", jsonInit("POST", { request_delay_ms: 1500 })),
        200,
      );
      assertEquals(saved.request_delay_ms, 1500);
      assertEquals(saved.cron_schedule, "0 */6 * * *", "the schedule is left as it was");
      assertEquals(f.deps.settings.requestDelayMs(), 1500);
      const st = await expectJson(await f.app.request("/api/status"), 200);
      assertEquals((st.daemon as { request_delay_ms: number }).request_delay_ms, 1500);

      const cases: [unknown, RegExp][] = [
        [-1, /request_delay_ms: must not be negative/],
        [600_001, /request_delay_ms: must be at most 600000/],
        [1.5, /request_delay_ms: must be a whole number/],
        ["100", /request_delay_ms: .*expected number/],
      ];
      for (const [value, re] of cases) {
        const body = await expectJson(
          await f.app.request("/api/schedule", jsonInit("POST", { request_delay_ms: value })),
          422,
        );
        assertMatch(String(body.error), re, String(value));
      }
      const none = await expectJson(await f.app.request("/api/schedule", jsonInit("POST", {})), 422);
      assertStringIncludes(String(none.error), "send at least one of enabled, cron_schedule, request_delay_ms");
      // A bad cron in the same body: nothing is saved, the delay included.
      await expectJson(
        await f.app.request("/api/schedule", jsonInit("POST", { cron_schedule: "61 * * * *", request_delay_ms: 9 })),
        422,
      );
      assertEquals(f.deps.settings.requestDelayMs(), 1500);
      const both = await expectJson(
        await f.app.request("/api/schedule", jsonInit("POST", { cron_schedule: "0 3 * * *", request_delay_ms: 2500 })),
        200,
      );
      assertEquals([both.cron_schedule, both.request_delay_ms], ["0 3 * * *", 2500]);
    }
    // Stored: a new process on the same data folder starts with it.
    await using again = await apiFixture({ dir });
    assertEquals(again.deps.settings.requestDelayMs(), 2500);
    assertEquals((await expectJson(await again.app.request("/api/schedule"), 200)).request_delay_ms, 2500);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("[api] GET /api/health defaults `to` to the local date, the day the health sync calls today", async () => {
  // A child process in UTC+14, at 12:00 UTC: the local date is already the next day.
  const script = `
    import { apiFixture } from "./tests/fixtures/api/deps.ts";
    import { createApp } from "./routes/app.ts";
    await using f = await apiFixture();
    const app = createApp({ ...f.deps, clock: () => new Date("2024-05-01T12:00:00Z") });
    const body = await (await app.request("/api/health")).json();
    console.log(JSON.stringify({ from: body.from, to: body.to }));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", script],
    cwd: new URL("..", import.meta.url).pathname,
    env: { TZ: "Pacific/Kiritimati", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  assertEquals(JSON.parse(text.trim().split("\n").at(-1)!), { from: "2024-04-03", to: "2024-05-02" });
});
