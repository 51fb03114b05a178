/**
 * Every error path of the API answers the right status with JSON `{error}` naming the problem; never a 500.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { apiFixture, expectJson, jsonInit, seedActivities } from "./fixtures/api/deps.ts";
import { localDate } from "../sync/health.ts";

Deno.test("[api] a body that is not valid JSON answers 400 JSON", async () => {
  await using f = await apiFixture();
  const res = await f.app.request("/api/schedule", jsonInit("POST", '{"enabled": tru'));
  const body = await expectJson(res, 400);
  assertMatch(String(body.error), /not valid JSON/);
});

Deno.test("[api] a body that is not JSON at all answers 400 naming the content type; nothing changes", async () => {
  await using f = await apiFixture();
  for (const path of ["/api/schedule", "/garmin/activities", "/garmin/auth/login"]) {
    const res = await f.app.request(path, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "enabled=false&email=a%40b.c",
    });
    const body = await expectJson(res, 400);
    assertStringIncludes(String(body.error), 'send it with "Content-Type: application/json"', path);
    assertStringIncludes(String(body.error), "application/x-www-form-urlencoded", path);
  }
  assertEquals(f.deps.jobs.status().status, "idle");
  assertEquals((await expectJson(await f.app.request("/api/schedule"), 200)).enabled, true);
});

Deno.test("[api] an empty JSON body is {}: a sync starts, the schedule says what to send", async () => {
  await using f = await apiFixture();
  const empty = { method: "POST", headers: { "Content-Type": "application/json" }, body: "" };
  const started = await expectJson(await f.app.request("/garmin/workouts", empty), 202);
  assertEquals(started.job_type, "workouts");
  await f.deps.jobs.idle();
  const schedule = await expectJson(await f.app.request("/api/schedule", empty), 422);
  assertStringIncludes(String(schedule.error), "send at least one of enabled, cron_schedule, request_delay_ms");
  // Through a real server: Content-Length 0, and a JSON body streamed without a length still parses.
  const ac = new AbortController();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} }, f.app.fetch);
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const res = await fetch(`${base}/api/sync/trigger`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
    });
    assertEquals((await expectJson(res, 202)).job_type, "full");
    await f.deps.jobs.idle();
    const stream = ReadableStream.from([new TextEncoder().encode('{"enabled": '), new TextEncoder().encode("false}")]);
    const chunked = await fetch(`${base}/api/schedule`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: stream,
    });
    assertEquals((await expectJson(chunked, 200)).enabled, false);
  } finally {
    ac.abort();
    await server.finished;
  }
});

Deno.test("[api] a wrong type in a body answers 422 naming the field", async () => {
  await using f = await apiFixture();
  const res = await f.app.request("/api/schedule", jsonInit("POST", { enabled: "yes" }));
  const body = await expectJson(res, 422);
  assertMatch(String(body.error), /enabled: .*expected boolean/);
  assertEquals((body.issues as { path: string }[])[0].path, "enabled");
});

Deno.test("[api] unknown body fields answer 422 naming each of them", async () => {
  await using f = await apiFixture();
  const res = await f.app.request("/api/schedule", jsonInit("POST", { enabled: true, cron: "x", colour: 1 }));
  const body = await expectJson(res, 422);
  assertStringIncludes(String(body.error), "cron: is not a known field");
  assertStringIncludes(String(body.error), "colour: is not a known field");
  // Nothing was saved.
  const after = await expectJson(await f.app.request("/api/schedule"), 200);
  assertEquals(after.cron_schedule, "0 */6 * * *");
});

Deno.test("[api] unknown fields in a sync start body answer 422 and start nothing", async () => {
  await using f = await apiFixture();
  const res = await f.app.request("/garmin/activities", jsonInit("POST", { force: true }));
  const body = await expectJson(res, 422);
  assertStringIncludes(String(body.error), "force: is not a known field");
  assertEquals(f.deps.jobs.status().status, "idle");
});

Deno.test("[api] since must be a real date from 2000-01-01 to today, else 422 naming it", async () => {
  await using f = await apiFixture();
  const tomorrow = localDate(new Date(Date.now() + 36 * 3_600_000));
  const cases: [string, RegExp][] = [
    ["2024-02-30", /since: is not a real calendar date/],
    ["yesterday", /since: must be a date like/],
    ["1999-12-31", /since: must be 2000-01-01 or later/],
    [tomorrow, /since: must not be in the future \(today is \d{4}-\d{2}-\d{2}\)/],
  ];
  for (const path of ["/garmin/health", "/api/sync/trigger"]) {
    for (const [since, re] of cases) {
      const body = await expectJson(await f.app.request(path, jsonInit("POST", { since })), 422);
      assertMatch(String(body.error), re, `${path} ${since}`);
      assertEquals((body.issues as { path: string }[]).map((i) => i.path), ["since"], `${path} ${since}`);
    }
  }
  assertEquals(f.deps.jobs.status().status, "idle");
  const ok = await expectJson(await f.app.request("/garmin/health", jsonInit("POST", { since: "2000-01-01" })), 202);
  assertEquals(ok.job_type, "health");
  await f.deps.jobs.idle();
  const today = localDate(new Date());
  await expectJson(await f.app.request("/api/sync/trigger", jsonInit("POST", { since: today })), 202);
  await f.deps.jobs.idle();
});

Deno.test("[api] since on an activities or workouts start answers 422: only health syncs take it", async () => {
  await using f = await apiFixture();
  for (const path of ["/garmin/activities", "/garmin/workouts"]) {
    const body = await expectJson(await f.app.request(path, jsonInit("POST", { since: "2024-01-01" })), 422);
    assertStringIncludes(String(body.error), "since: only health syncs take since", path);
  }
  assertEquals(f.deps.jobs.status().status, "idle");
});

Deno.test("[api] a body over 64 KiB answers 413 JSON", async () => {
  await using f = await apiFixture();
  const big = JSON.stringify({ enabled: true, cron_schedule: "x".repeat(70 * 1024) });
  const res = await f.app.request("/api/schedule", jsonInit("POST", big));
  const body = await expectJson(res, 413);
  assertStringIncludes(String(body.error), "64 KiB");
});

Deno.test("[api] a streamed body over 64 KiB (no Content-Length) answers 413 JSON", async () => {
  await using f = await apiFixture();
  const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (sent++ < 6) ctrl.enqueue(chunk);
      else ctrl.close();
    },
  });
  const res = await f.app.request(
    new Request("http://localhost/garmin/activities", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Transfer-Encoding": "chunked" },
      body: stream,
    }),
  );
  await expectJson(res, 413);
  assertEquals(f.deps.jobs.status().status, "idle");
});

Deno.test("[api] unknown routes under /api and /garmin answer 404 JSON", async () => {
  await using f = await apiFixture();
  for (const [method, path] of [["GET", "/api/nope"], ["POST", "/garmin/nothing"], ["DELETE", "/api"]]) {
    const res = await f.app.request(path, { method });
    const body = await expectJson(res, 404);
    assertStringIncludes(String(body.error), `no route ${method} ${path}`);
  }
});

Deno.test("[api] an unknown dashboard path answers the HTML error page", async () => {
  await using f = await apiFixture();
  const res = await f.app.request("/no-such-page");
  assertEquals(res.status, 404);
  assertMatch(res.headers.get("content-type") ?? "", /^text\/html/);
  assertStringIncludes(await res.text(), "404");
});

Deno.test("[api] a negative page, a zero page and per_page over the cap answer 400 naming the parameter", async () => {
  await using f = await apiFixture();
  const cases: [string, RegExp][] = [
    ["/api/logs?page=-1", /page: page must be a positive whole number/],
    ["/api/activities?page=0", /page: page must be at least 1/],
    ["/api/activities?per_page=501", /per_page: per_page must be at most 500/],
    ["/api/logs?per_page=abc", /per_page/],
    ["/api/activities?filter=everything", /filter/],
    ["/api/activities?from=2024-13-01", /from/],
    ["/api/activities?from=2024-05-02&to=2024-05-01", /from: must not be after to/],
    ["/api/logs?status=weird", /status/],
    ["/api/health?from=yesterday", /from/],
  ];
  for (const [url, re] of cases) {
    const body = await expectJson(await f.app.request(url), 400);
    assertMatch(String(body.error), re, url);
  }
});

Deno.test("[api] a non-numeric or negative activity id answers 400 naming id", async () => {
  await using f = await apiFixture();
  for (const url of ["/api/activities/abc/fit", "/api/activities/-5/fit", "/api/activities/1e3"]) {
    const body = await expectJson(await f.app.request(url), 400);
    assertMatch(String(body.error), /id: id must be a positive whole number/, url);
  }
  const retry = await f.app.request("/api/activities/x1/retry", { method: "POST" });
  await expectJson(retry, 400);
});

Deno.test("[api] an unknown activity answers 404 JSON saying what to do", async () => {
  await using f = await apiFixture();
  for (
    const [method, url] of [["GET", "/api/activities/42"], ["GET", "/api/activities/42/fit"], [
      "POST",
      "/api/activities/42/retry",
    ]]
  ) {
    const body = await expectJson(await f.app.request(url, { method }), 404);
    assertStringIncludes(String(body.error), "no activity 42");
  }
});

Deno.test("[api] the FIT file of an activity not downloaded answers 404 JSON", async () => {
  await using f = await apiFixture();
  await seedActivities(f.deps, 1);
  const body = await expectJson(await f.app.request("/api/activities/1000/fit"), 404);
  assertStringIncludes(String(body.error), "no stored FIT file (state missing)");
});

Deno.test("[api] an invalid cron answers 422 with croner's reason and saves nothing", async () => {
  await using f = await apiFixture();
  const res = await f.app.request("/api/schedule", jsonInit("POST", { enabled: true, cron_schedule: "61 * * * *" }));
  const body = await expectJson(res, 422);
  assertMatch(String(body.error), /cron_schedule "61 \* \* \* \*" is not a valid cron expression \(.+\)/);
  const after = await expectJson(await f.app.request("/api/schedule"), 200);
  assertEquals(after.cron_schedule, "0 */6 * * *");
  assertEquals(after.enabled, true);
});

Deno.test("[api] a health range over ten years answers 422", async () => {
  await using f = await apiFixture();
  const body = await expectJson(await f.app.request("/api/health?from=2000-01-01&to=2024-01-01"), 422);
  assertStringIncludes(String(body.error), "at most 3660");
});

Deno.test("[api] a bug in a handler answers 500 with a generic message; the details only in the log", async () => {
  await using f = await apiFixture();
  f.deps.db.close(); // every DB call now throws a libSQL error: the app must not leak it
  const res = await f.app.request("/api/logs");
  const body = await expectJson(res, 500);
  assertEquals(body.error, "internal error: GarminSync hit a bug; the details are in its log");
  assert(f.logLines.some((l) => l.includes("GET /api/logs failed with an unexpected error")));
});
