/**
 * The dashboard rendered on the server, through `createApp(deps).request()`: every page, its data, paging,
 * filters, the form posts (PRG with a flash message), escaping and labels. Garmin is the simulator over HTTP.
 */
import { assert, assertEquals, assertMatch, assertNotMatch, assertStringIncludes } from "./fixtures/ui/assert.ts";
import { getPage, postForm, submit, uiFixture } from "./fixtures/ui/app.ts";
import { markDownloaded, markFailed, markNoFile, upsertActivities } from "../db/activities.ts";
import { addLog } from "../db/logs.ts";
import { HEALTH_NUMBER_COLUMNS, type HealthDayInput, upsertHealthDay } from "../db/health.ts";
import type { Db } from "../db/client.ts";
import { cronToWords } from "../ui/cron_words.ts";
import { renderErrorPage } from "../ui/error_page.ts";
import { authWarning, OverviewPage } from "../ui/overview_page.ts";
import { LoginPage } from "../ui/login_page.ts";
import { renderDocument } from "../ui/layout.ts";
import { APP_CSS } from "../ui/static_css.ts";
import { activityStats } from "../db/activities.ts";
import { loadRuntimeSettings } from "../db/settings.ts";
import { SESSION_COOKIE, sessionValue } from "../routes/security.ts";
import { mergeTokenFiles } from "../routes/pages.ts";
import { browserTicket, garthTokens, pythonGarminTokens } from "./fixtures/auth/setup.ts";

const PAGES = ["/", "/activities", "/health", "/logs", "/settings", "/login"];
const TYPES = ["running", "cycling", "swimming"];

/** Stores `n` activities, one a day back from 2025-06-30: every 3rd downloaded, every 10th failed, every 25th no file. */
async function seed(db: Db, n: number, name = (i: number) => `Activity ${i}`): Promise<void> {
  const base = Date.UTC(2025, 5, 30, 7, 0, 0);
  const items = Array.from({ length: n }, (_, i) => {
    const t = new Date(base - i * 86_400_000).toISOString().replace("T", " ").slice(0, 19);
    return {
      activityId: 5000 + i,
      activityName: name(i),
      startTimeLocal: t,
      startTimeGMT: t,
      activityType: { typeKey: TYPES[i % 3] },
      duration: 1800 + i * 10,
      distance: 10_000 + i * 100,
    };
  });
  await upsertActivities(db, items);
  for (let i = 0; i < n; i++) {
    if (i % 3 === 0) await markDownloaded(db, 5000 + i, { file_name: `a${i}.fit`, file_size: 2048 + i, sha256: "0" });
    else if (i % 10 === 1) await markFailed(db, 5000 + i, "Garmin answered 502 three times");
    else if (i % 25 === 2) await markNoFile(db, 5000 + i, "manual entry: Garmin has no file");
  }
}

function healthDay(date: string, i: number): HealthDayInput {
  const d = Object.fromEntries(HEALTH_NUMBER_COLUMNS.map((c) => [c, null])) as Record<string, number | null>;
  const sleep = i % 4 !== 1;
  const weight = i % 3 === 0;
  Object.assign(d, {
    steps: 5000 + i * 100,
    step_goal: 8000,
    resting_hr: 50 + (i % 5),
    deep_sleep_seconds: sleep ? 3600 : null,
    light_sleep_seconds: sleep ? 4 * 3600 : null,
    rem_sleep_seconds: sleep ? 5400 : null,
    awake_sleep_seconds: sleep ? 600 : null,
    weight_g: weight ? 70_000 + i * 100 : null,
  });
  return {
    ...(d as HealthDayInput),
    calendar_date: date,
    has_summary: true,
    has_sleep: sleep,
    has_weight: weight,
    complete: true,
    summary_json: null,
    sleep_json: null,
    weight_json: null,
  };
}

function daysAgo(n: number): string {
  return new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
}

function rowsOf(html: string): number {
  const body = html.split('<table id="activities"')[1]?.split("<tbody>")[1]?.split("</tbody>")[0] ?? "";
  return (body.match(/<tr>/g) ?? []).length;
}

function assertHtml(r: { status: number; type: string }, status = 200): void {
  assertEquals(r.status, status);
  assertMatch(r.type, /^text\/html/);
}

Deno.test("[ui] every page answers 200 HTML with a header nav, a main landmark and the current page marked", async () => {
  await using f = await uiFixture();
  for (const path of PAGES) {
    const r = await getPage(f.app, path);
    assertHtml(r);
    assert(r.html.startsWith("<!doctype html>"), path);
    assertStringIncludes(r.html, '<main id="content"');
    assertStringIncludes(r.html, '<nav class="main" aria-label="Main">');
    assertStringIncludes(r.html, "<footer");
    const current = r.html.match(/<a href="([^"]*)" aria-current="page">/g) ?? [];
    assertEquals(current, [`<a href="${path}" aria-current="page">`], path);
    assertStringIncludes(r.html, 'aria-live="polite"');
    assertStringIncludes(r.html, '<script src="/static/app.js" defer>');
    assertNotMatch(r.html, /<script>|on(click|submit|load)=/i, `${path} has an inline script or handler`);
  }
});

Deno.test("[ui] every form control on every page has a label", async () => {
  await using f = await uiFixture({ scheduler: true });
  await seed(f.deps.db, 30);
  await addLog(f.deps.db, { operation: "full", status: "success", message: "ok" });
  for (const path of [...PAGES, "/login?step=mfa"]) {
    const { html } = await getPage(f.app, path);
    const controls = html.match(/<(input|select|textarea)\b[^>]*>/g) ?? [];
    assert(controls.length > 0 || path === "/", path);
    for (const tag of controls) {
      if (/type="(hidden|submit)"/.test(tag)) continue;
      const id = tag.match(/\bid="([^"]+)"/)?.[1];
      assert(id, `${path}: a control without an id: ${tag}`);
      assertStringIncludes(html, `<label for="${id}"`, `${path}: no label for #${id}`);
    }
  }
});

Deno.test("[ui] overview shows the totals, last and next sync, the progress bar and recent log rows", async () => {
  await using f = await uiFixture({ scheduler: true });
  await seed(f.deps.db, 100);
  // 34 downloaded (i % 3 == 0), failed: i % 10 == 1 and not i % 3 == 0, no file: i % 25 == 2 and neither.
  await addLog(f.deps.db, { operation: "activities", status: "success", message: "downloaded 34 files" });
  await addLog(f.deps.db, { operation: "health", status: "error", message: "Garmin said <no>" });
  const r = await getPage(f.app, "/");
  assertHtml(r);
  const stat = (label: string) => r.html.match(new RegExp(`<dt>${label}</dt><dd><a href="[^"]*">([\\d,]+)</a>`))?.[1];
  assertEquals(stat("Activities"), "100");
  assertEquals(stat("Downloaded"), "34");
  assertEquals(stat("No file"), "3");
  assertEquals(stat("Failed"), "7");
  assertEquals(stat("Missing"), String(100 - 34 - 3));
  assertMatch(r.html, /<dt>Last sync<\/dt><dd class="when"><time datetime="\d{4}-/);
  assertMatch(r.html, /<dt>Next sync<\/dt><dd class="when"><time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:00 UTC/);
  assertMatch(r.html, /<progress id="sync-progress" max="100" value="0">/);
  assertStringIncludes(r.html, 'id="sync-panel" data-status="idle"');
  assertStringIncludes(r.html, "downloaded 34 files");
  assertStringIncludes(r.html, "Garmin said &lt;no>");
  assertMatch(r.html, /<button type="submit" name="kind" value="full">Sync now<\/button>/);
  for (const kind of ["activities", "health", "workouts"]) assertStringIncludes(r.html, `value="${kind}"`);
  assertStringIncludes(r.html, "Not logged in to Garmin Connect");
  assertStringIncludes(r.html, "Runs every 6 hours, on the hour");
});

Deno.test("[ui] without the daemon the overview says nothing is scheduled", async () => {
  await using f = await uiFixture();
  const r = await getPage(f.app, "/");
  assertHtml(r);
  assertStringIncludes(r.html, "not scheduled (daemon not running)");
  assertStringIncludes(r.html, "garminsync daemon --start");
});

Deno.test("[ui] activities are paged 50 at a time with first/previous/next/last links", async () => {
  await using f = await uiFixture();
  await seed(f.deps.db, 120);
  const p1 = await getPage(f.app, "/activities");
  assertHtml(p1);
  assertEquals(rowsOf(p1.html), 50);
  assertStringIncludes(p1.html, "1–50 of 120 activities · page 1 of 3");
  assertStringIncludes(p1.html, '<a href="/activities?page=2" rel="next">Next ›</a>');
  assertStringIncludes(p1.html, '<a href="/activities?page=3">Last »</a>');
  assertStringIncludes(p1.html, "2025-06-30 07:00");
  const p3 = await getPage(f.app, "/activities?page=3");
  assertEquals(rowsOf(p3.html), 20);
  assertStringIncludes(p3.html, "101–120 of 120 activities · page 3 of 3");
  assertStringIncludes(p3.html, '<a href="/activities?page=2" rel="prev">‹ Previous</a>');
  // Past the end goes to the last page; a nonsense page is a clear 400.
  const past = await getPage(f.app, "/activities?page=9");
  assertEquals(past.status, 303);
  assertEquals(past.location, "/activities?page=3");
  const bad = await getPage(f.app, "/activities?page=-1");
  assertHtml(bad, 400);
  assertStringIncludes(bad.html, "page must be 1 or more");
});

Deno.test("[ui] activity filters (state, type, date range) and sorting apply and are kept in the links", async () => {
  await using f = await uiFixture();
  await seed(f.deps.db, 90);
  const cyc = await getPage(f.app, "/activities?type=cycling");
  assertEquals(rowsOf(cyc.html), 30);
  assertNotMatch(cyc.html.split('id="activities"')[1], />Running</);
  assertStringIncludes(cyc.html, '<option value="cycling" selected>Cycling</option>');

  const dl = await getPage(f.app, "/activities?filter=downloaded");
  assertEquals(rowsOf(dl.html), 30);
  assertEquals((dl.html.match(/class="badge b-downloaded"/g) ?? []).length, 30);
  assertStringIncludes(dl.html, '<option value="downloaded" selected>Downloaded</option>');

  const failed = await getPage(f.app, "/activities?filter=failed");
  assertEquals((failed.html.match(/class="badge b-failed"/g) ?? []).length, rowsOf(failed.html));
  assertStringIncludes(failed.html, "Garmin answered 502 three times");

  const range = await getPage(f.app, "/activities?from=2025-06-21&to=2025-06-30");
  assertEquals(rowsOf(range.html), 10);
  assertStringIncludes(range.html, 'name="from" value="2025-06-21"');

  const sorted = await getPage(f.app, "/activities?sort=name&order=asc&type=running");
  assertMatch(
    sorted.html,
    /<th scope="col" aria-sort="ascending">\s*<a href="\/activities\?type=running&amp;sort=name">Name ▲<\/a>/,
  );
  const names = [...sorted.html.matchAll(/<td class="name">([^<]+)<\/td>/g)].map((m) => m[1]);
  assertEquals(names, [...names].sort());
  // Paging links keep the filters.
  const many = await getPage(f.app, "/activities?filter=missing&type=cycling");
  assertEquals(rowsOf(many.html), 29); // 30 cycling, one of them (5052) has no file
  assertStringIncludes(many.html, 'href="/activities?filter=missing&amp;type=cycling&amp;sort=name&amp;order=asc"');
  assertStringIncludes(many.html, 'name="back" value="/activities?filter=missing&amp;type=cycling"');
  const empty = await getPage(f.app, "/activities?from=2030-01-01");
  assertStringIncludes(empty.html, "No activities match these filters.");
});

Deno.test("[ui] hostile activity names are escaped everywhere they appear", async () => {
  await using f = await uiFixture();
  await seed(f.deps.db, 3, (i) => i === 1 ? `<script>alert("x")</script> & <img src=x onerror=alert(1)>` : `Ok ${i}`);
  const r = await getPage(f.app, "/activities");
  assertHtml(r);
  assertNotMatch(r.html, /<script>alert/);
  assertNotMatch(r.html, /<img src=x/);
  assertStringIncludes(r.html, "&lt;script>alert(&quot;x&quot;)&lt;/script> &amp; &lt;img src=x onerror=alert(1)>");
  // In attributes too (the retry button's label).
  assertStringIncludes(r.html, 'aria-label="Retry downloading &lt;script>alert(&quot;x&quot;)');
});

Deno.test("[ui] downloaded activities link their FIT file; missing and failed ones have a retry button", async () => {
  await using f = await uiFixture();
  await seed(f.deps.db, 6); // 5000 downloaded, 5001 failed, 5002 no file, 5003 downloaded, 5004-5005 missing
  const r = await getPage(f.app, "/activities");
  assertStringIncludes(
    r.html,
    '<a href="/api/activities/5000/fit" download aria-label="Download FIT file of Activity 0">FIT</a>',
  );
  assertStringIncludes(r.html, 'action="/activities/5001/retry"');
  assertStringIncludes(r.html, 'action="/activities/5004/retry"');
  // One page only: the count, no paging links.
  assertStringIncludes(r.html, "1–6 of 6 activities · page 1 of 1");
  assertNotMatch(r.html, /« First/);
  assertNotMatch(r.html, /action="\/activities\/500[023]\/retry"/);
  assertStringIncludes(r.html, "no file");
  assertNotMatch(r.html, /href="\/api\/activities\/5001\/fit"/);
});

Deno.test("[ui] retry puts a failed activity back to missing and says so; unknown ids get a message", async () => {
  await using f = await uiFixture();
  await seed(f.deps.db, 3);
  const before = await f.deps.db.execute("SELECT state, attempts FROM activities WHERE activity_id = 5001");
  assertEquals(before.rows[0].state, "failed");
  const r = await submit(f.app, "/activities/5001/retry", { back: "/activities?filter=failed" });
  assertEquals(r.redirectedTo, "/activities?filter=failed");
  assertHtml(r);
  assertStringIncludes(r.html, "Activity 5001 is marked for another try");
  assertStringIncludes(r.html, "log in");
  const after = await f.deps.db.execute("SELECT state, attempts, last_error FROM activities WHERE activity_id = 5001");
  assertEquals(after.rows[0].state, "missing");
  assertEquals(Number(after.rows[0].attempts), 0);
  const unknown = await submit(f.app, "/activities/42/retry", { back: "//evil.example/" });
  assertEquals(unknown.redirectedTo, "/activities");
  assertStringIncludes(unknown.html, "Activity 42 is not stored here.");
  // The flash is shown once.
  assertNotMatch((await getPage(f.app, "/activities")).html, /not stored here/);
});

Deno.test("[ui] Sync now starts a full sync, and a second press while it runs is a polite message, not an error", async () => {
  await using f = await uiFixture({
    sim: { activities: 6, healthDays: 2, workouts: 1, downloadDelayMs: 150 },
    login: true,
  });
  const first = await submit(f.app, "/sync", { kind: "full" });
  assertHtml(first);
  assertEquals(first.redirectedTo, "/");
  assertStringIncludes(first.html, "Started a full sync.");
  assertStringIncludes(first.html, 'data-status="in_progress"');
  assertStringIncludes(first.html, '<dd id="sync-type">Full sync</dd>');
  const again = await submit(f.app, "/sync", { kind: "health" });
  assertHtml(again);
  assertStringIncludes(again.html, "A full sync is already running");
  assertStringIncludes(again.html, "Only one sync runs at a time");
  await f.deps.jobs.idle();
  const done = await getPage(f.app, "/");
  assertStringIncludes(done.html, 'data-status="completed"');
  assertMatch(done.html, /<progress id="sync-progress" max="100" value="100">/);
  assertMatch(done.html, /<dt>Downloaded<\/dt><dd><a href="[^"]+">[1-6]<\/a>/);
  const bad = await postForm(f.app, "/sync", { kind: "everything" });
  assertEquals(bad.status, 303);
});

Deno.test("[ui] Sync now without a Garmin session says to log in and starts nothing", async () => {
  await using f = await uiFixture();
  const r = await submit(f.app, "/sync", { kind: "full" });
  assertStringIncludes(r.html, "Not logged in to Garmin Connect: log in on the Login page first");
  assertEquals(f.deps.jobs.status().status, "idle");
});

Deno.test("[ui] health draws four accessible SVG charts with data tables, and a calendar of stored days", async () => {
  await using f = await uiFixture();
  // 20 stored days out of the last 30; day 3 and 4 missing entirely.
  for (let i = 0; i < 22; i++) if (i !== 3 && i !== 4) await upsertHealthDay(f.deps.db, healthDay(daysAgo(i), i));
  const r = await getPage(f.app, "/health");
  assertHtml(r);
  assertEquals((r.html.match(/<svg role="img"/g) ?? []).length, 4);
  for (const t of ["Steps", "Sleep stages", "Resting heart rate", "Weight"]) {
    assertMatch(r.html, new RegExp(`<title id="chart-[a-z]+-t">${t}</title>`));
  }
  assertMatch(r.html, /<path class="s-steps" d="M[\d.]+ [\d.]+h/);
  for (const s of ["s-deep", "s-light", "s-rem", "s-awake"]) assertStringIncludes(r.html, `<path class="${s}"`);
  assertStringIncludes(r.html, '<path class="line-hr"');
  assertStringIncludes(r.html, '<path class="line-weight"');
  assertStringIncludes(r.html, "20 of 30 days with data");
  assertStringIncludes(r.html, "The charts' numbers as a table (20 stored days)");
  assertStringIncludes(
    r.html,
    `<th scope="row">${
      daysAgo(0)
    }</th><td>5,000</td><td>1.0</td><td>4.0</td><td>1.5</td><td>0.2</td><td>6.7</td><td>50</td><td>70.0</td>`,
  );
  // The calendar: every day of the range, stored or missing, in words.
  assertStringIncludes(r.html, `${daysAgo(0)}: summary, sleep, weight stored`);
  assertStringIncludes(r.html, `${daysAgo(1)}: summary stored; sleep, weight missing`);
  assertStringIncludes(r.html, `${daysAgo(2)}: summary, sleep stored; weight missing`);
  assertStringIncludes(r.html, `${daysAgo(3)}: nothing stored`);
  assertStringIncludes(r.html, `${daysAgo(29)}: nothing stored`);
  assertNotMatch(r.html, new RegExp(`${daysAgo(30)}:`));
  assertStringIncludes(r.html, "Summary: <strong>20</strong> of 30 days");
  assert(r.html.length < 200_000, `health page is ${r.html.length} bytes`);
});

Deno.test("[ui] health ranges: presets, a custom from/to, an over-long range clamped, a bad date refused", async () => {
  await using f = await uiFixture();
  const week = await getPage(f.app, "/health?days=7");
  assertStringIncludes(week.html, '<a href="/health?days=7" aria-current="true">Last 7 days</a>');
  assertStringIncludes(week.html, `${daysAgo(6)} to ${daysAgo(0)} (7 days`);
  assertStringIncludes(week.html, "No data in this range");
  const custom = await getPage(f.app, "/health?from=2024-02-01&to=2024-03-01");
  assertStringIncludes(custom.html, "2024-02-01 to 2024-03-01 (30 days");
  assertStringIncludes(custom.html, "<caption>Feb 2024</caption>");
  assertStringIncludes(custom.html, "<caption>Mar 2024</caption>");
  const year = await getPage(f.app, "/health?days=365");
  assert(year.html.length < 200_000, `365-day health page is ${year.html.length} bytes`);
  const long = await getPage(f.app, "/health?from=2015-01-01&to=2024-12-31");
  assertStringIncludes(long.html, "Showing the last 366 days up to 2024-12-31");
  const bad = await getPage(f.app, "/health?from=2024-02-30");
  assertHtml(bad, 400);
  assertStringIncludes(bad.html, "from must be a real date");
  const badDays = await getPage(f.app, "/health?days=12");
  assertHtml(badDays, 400);
});

Deno.test("[ui] logs filter by status and operation, page, and clear only when confirmed", async () => {
  await using f = await uiFixture();
  for (let i = 0; i < 60; i++) {
    await addLog(f.deps.db, {
      operation: ["full", "health"][i % 2],
      status: i % 3 === 0 ? "error" : "success",
      message: `run ${i}`,
    });
  }
  const all = await getPage(f.app, "/logs");
  assertHtml(all);
  assertStringIncludes(all.html, "1–50 of 60 log rows · page 1 of 2");
  const errors = await getPage(f.app, "/logs?status=error&operation=full");
  assertStringIncludes(errors.html, "of 10 log rows");
  assertEquals((errors.html.match(/class="badge b-error"/g) ?? []).length, 10);
  assertStringIncludes(errors.html, '<option value="error" selected>error</option>');
  assertStringIncludes(errors.html, '<option value="full" selected>full</option>');
  const page2 = await getPage(f.app, "/logs?page=2");
  assertStringIncludes(page2.html, "51–60 of 60");
  // Clearing without the box ticked changes nothing.
  const refused = await submit(f.app, "/logs/clear", {});
  assertStringIncludes(refused.html, "The form was not accepted: confirm tick the box to confirm.");
  assertEquals(Number((await f.deps.db.execute("SELECT COUNT(*) AS n FROM sync_logs")).rows[0].n), 60);
  const cleared = await submit(f.app, "/logs/clear", { confirm: "yes" });
  assertStringIncludes(cleared.html, "Deleted 60 log rows.");
  assertStringIncludes(cleared.html, "The sync log is empty.");
  assertEquals(Number((await f.deps.db.execute("SELECT COUNT(*) AS n FROM sync_logs")).rows[0].n), 0);
});

Deno.test("[ui] settings: the cron in words with the next 5 runs; saving applies at once; a bad cron is refused", async () => {
  await using f = await uiFixture({ scheduler: true, env: { GARMINSYNC_REQUEST_DELAY_MS: "1500" } });
  const r = await getPage(f.app, "/settings");
  assertHtml(r);
  assertStringIncludes(r.html, "Runs every 6 hours, on the hour (00:00, 06:00, 12:00 and 18:00)");
  assertEquals((r.html.match(/<li><time datetime=/g) ?? []).length, 5);
  assertMatch(r.html, /id="s-delay" type="number" name="request_delay_ms" value="1500"/);
  assertStringIncludes(r.html, "GARMINSYNC_REQUEST_DELAY_MS");
  assertStringIncludes(r.html, 'name="enabled" value="on" checked');

  const saved = await submit(f.app, "/settings/schedule", { cron_schedule: "30 5 * * 1-5", enabled: "on" });
  assertStringIncludes(saved.html, "Schedule saved: 30 5 * * 1-5");
  assertStringIncludes(saved.html, "Runs every weekday (Mon–Fri) at 05:30");
  const info = await f.deps.scheduler!.info();
  assertEquals(info.cron_schedule, "30 5 * * 1-5");
  assertMatch(info.next_run ?? "", /T05:30:00/);

  const off = await submit(f.app, "/settings/schedule", { cron_schedule: "30 5 * * 1-5" });
  assertStringIncludes(off.html, "switched off");
  assertEquals((await f.deps.scheduler!.info()).enabled, false);
  assertNotMatch(off.html, /name="enabled" value="on" checked/);

  const bad = await submit(f.app, "/settings/schedule", { cron_schedule: "61 * * * *", enabled: "on" });
  assertEquals(bad.redirectedTo, "/settings?cron_schedule=61%20*%20*%20*%20*");
  assertStringIncludes(bad.html, "Not saved: cron_schedule");
  assertStringIncludes(bad.html, 'value="61 * * * *"');
  assertStringIncludes(bad.html, "Not a valid cron expression");
  assertEquals((await f.deps.scheduler!.info()).cron_schedule, "30 5 * * 1-5");

  const preview = await getPage(f.app, "/settings?cron_schedule=*/15+*+*+*+*");
  assertStringIncludes(preview.html, "Would run every 15 minutes");
  assertStringIncludes(preview.html, "Next 5 run times (preview, not saved)");
});

Deno.test("[ui] settings without the daemon show the schedule read-only with a note; saving is refused", async () => {
  await using f = await uiFixture();
  const r = await getPage(f.app, "/settings");
  assertStringIncludes(r.html, "is not running as the daemon");
  assertMatch(r.html, /id="s-cron"[^>]* readonly/);
  assertNotMatch(r.html, /Save schedule/);
  const refused = await submit(f.app, "/settings/schedule", { cron_schedule: "0 * * * *", enabled: "on" });
  assertStringIncludes(refused.html, "only be changed while GarminSync runs as the daemon");
});

Deno.test("[ui] login with MFA through the forms: code step, a wrong code keeps the step, then status and logout", async () => {
  await using f = await uiFixture({ sim: { account: { mfa: true }, activities: 0 } });
  const sim = f.sim!;
  const start = await submit(f.app, "/login", { email: sim.account.email, password: sim.account.password });
  assertEquals(start.redirectedTo, "/login?step=mfa");
  assertStringIncludes(start.html, "Garmin asks for a one-time code");
  assertStringIncludes(start.html, '<label for="l-code">Code</label>');
  const wrong = await submit(f.app, "/login/mfa", { code: "000000" });
  assertEquals(wrong.redirectedTo, "/login?step=mfa");
  assertStringIncludes(wrong.html, "flash-error");
  const ok = await submit(f.app, "/login/mfa", { code: sim.account.mfaCode });
  assertEquals(ok.redirectedTo, "/");
  assertStringIncludes(ok.html, "Logged in to Garmin Connect");
  const status = await getPage(f.app, "/login");
  assertStringIncludes(status.html, "logged in");
  assertStringIncludes(status.html, sim.account.displayName);
  assertMatch(status.html, /<dt>Refresh token expires<\/dt><dd><time datetime=/);
  for (const secret of sim.issuedSecrets()) {
    if (secret.length >= 8) assert(!status.html.includes(secret), "a token or the password is on the page");
  }
  const out = await submit(f.app, "/logout", {});
  assertStringIncludes(out.html, "Logged out");
  assertStringIncludes(out.html, "not logged in");
  assertEquals(await f.deps.garmin.auth.hasSession(), false);
});

Deno.test("[ui] bad credentials, an MFA code with no pending login and bad token JSON come back as clear messages", async () => {
  await using f = await uiFixture({ sim: { activities: 0 } });
  const bad = await submit(f.app, "/login", { email: f.sim!.account.email, password: "wrong-password" });
  assertEquals(bad.redirectedTo, "/login");
  assertStringIncludes(bad.html, "flash-error");
  assertStringIncludes(bad.html, "import tokens instead");
  assertNotMatch(bad.html, /wrong-password/);
  const empty = await submit(f.app, "/login", { email: "", password: "" });
  assertStringIncludes(empty.html, "Enter both your Garmin email and password.");
  const noPending = await submit(f.app, "/login/mfa", { code: "123456" });
  assertStringIncludes(noPending.html, "Log in with your email and password again");
  const notJson = await submit(f.app, "/login/import", { tokens: "{oauth1: nope" });
  assertStringIncludes(notJson.html, "That is not JSON");
  const nothing = await submit(f.app, "/login/import", { tokens: "" });
  assertStringIncludes(nothing.html, "Paste the token JSON or choose a token file");
  const wrongShape = await submit(f.app, "/login/import", { tokens: '{"hello": 1}' });
  assertStringIncludes(wrongShape.html, "flash-error");
});

Deno.test("[ui] a refresh token expiring within 7 days is warned about on the overview", async () => {
  await using f = await uiFixture({ sim: { activities: 0, refreshTokenTtlSec: 3 * 86_400 }, login: true });
  const r = await getPage(f.app, "/");
  assertStringIncludes(r.html, "Your Garmin refresh token expires in 3 days");
  assertStringIncludes(r.html, '<a href="/login">Log in again</a>');
});

Deno.test("[ui] authWarning: expired session, not logged in, expiring soon, fine", () => {
  const now = new Date("2026-01-10T00:00:00Z");
  const base = {
    authenticated: true,
    method: "password",
    display_name: "x",
    access_expires_at: null,
    refresh_expires_at: "2026-03-01T00:00:00Z",
    last_refresh_at: null,
    state: "active",
  };
  assertEquals(authWarning(base, now), null);
  assertEquals(authWarning({ ...base, authenticated: false, state: "expired" }, now)?.kind, "error");
  assertEquals(authWarning({ ...base, authenticated: false, method: null, state: null }, now)?.kind, "warn");
  assertMatch(authWarning({ ...base, refresh_expires_at: "2026-01-15T00:00:00Z" }, now)!.text, /expires in 5 days/);
});

Deno.test("[ui] cronToWords reads the common forms and falls back to the expression", () => {
  const cases: [string, string][] = [
    ["* * * * *", "every minute"],
    ["*/5 * * * *", "every 5 minutes"],
    ["0 * * * *", "every hour, on the hour"],
    ["15 * * * *", "every hour at 15 minutes past"],
    ["0 */6 * * *", "every 6 hours, on the hour (00:00, 06:00, 12:00 and 18:00)"],
    ["30 */2 * * *", "every 2 hours, at 30 minutes past"],
    ["30 5 * * *", "every day at 05:30"],
    ["0 7,19 * * *", "every day at 07:00 and 19:00"],
    ["0 7 * * 1-5", "every weekday (Mon–Fri) at 07:00"],
    ["0 9 * * 0,6", "every Saturday and Sunday at 09:00"],
    ["0 9 * * MON", "every Monday at 09:00"],
    ["0 9 * * 1,3,5", "every Monday, Wednesday and Friday at 09:00"],
    ["0 3 1 * *", "on the 1st of every month at 03:00"],
    ["0 8-18 * * *", "every day, every hour from 08:00 to 18:00"],
    ["*/10 * * * 1-5", "every 10 minutes, on weekdays (Mon–Fri)"],
    ["*/30 * * * * *", "every 30 seconds"],
    ["0 0 6 * * *", "every day at 06:00"],
    ["@daily", "every day at 00:00"],
    ["0 0 1 1 *", 'cron "0 0 1 1 *"'],
    ["5 4 1 * 2", 'cron "5 4 1 * 2"'],
  ];
  for (const [expr, words] of cases) assertEquals(cronToWords(expr), words, expr);
});

Deno.test("[ui] the error page escapes its message", () => {
  const html = renderErrorPage(404, "<b>nope</b>");
  assertStringIncludes(html, "&lt;b>nope&lt;/b>");
  assertStringIncludes(html, "Not found (404)");
});

Deno.test("[ui] unknown dashboard paths answer the HTML 404 page", async () => {
  await using f = await uiFixture();
  const r = await getPage(f.app, "/nope");
  assertHtml(r, 404);
  assertStringIncludes(r.html, "this page does not exist");
});

Deno.test("[ui] static app.js and app.css are served with their types and an ETag (304 when unchanged)", async () => {
  await using f = await uiFixture();
  for (const [path, type] of [["/static/app.js", "text/javascript"], ["/static/app.css", "text/css"]]) {
    const res = await f.app.request(path);
    assertEquals(res.status, 200);
    assertMatch(res.headers.get("content-type") ?? "", new RegExp(`^${type}`));
    const body = await res.text();
    assert(body.length > 500);
    const etag = res.headers.get("etag")!;
    const again = await f.app.request(path, { headers: { "if-none-match": etag } });
    assertEquals(again.status, 304);
    await again.body?.cancel();
  }
  const js = await (await f.app.request("/static/app.js")).text();
  assertStringIncludes(js, "/garmin/sync/status");
  assertStringIncludes(js, "data-refresh");
});

Deno.test("[ui] a full year of health data renders under 200 KB", async () => {
  await using f = await uiFixture();
  for (let i = 0; i < 366; i++) await upsertHealthDay(f.deps.db, healthDay(daysAgo(i), i));
  const r = await getPage(f.app, "/health?days=365");
  assertHtml(r);
  assertStringIncludes(r.html, "365 of 365 days with data");
  assert(r.html.length < 200_000, `a year of health data is ${r.html.length} bytes`);
});

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

Deno.test("[ui] text colours of app.css have a contrast of at least 4.5:1 on their backgrounds", () => {
  const vars = Object.fromEntries([...APP_CSS.matchAll(/--([a-z-]+):\s*(#[0-9a-f]{6})/g)].map((m) => [m[1], m[2]]));
  const v = (name: string) => {
    assert(vars[name], `--${name} is defined`);
    return vars[name];
  };
  const pairs: [string, string][] = [
    [v("fg"), v("bg")],
    [v("fg"), v("card")],
    [v("muted"), v("bg")],
    [v("muted"), v("card")],
    [v("muted"), "#eef2f6"], // table headers
    [v("accent"), v("card")],
    [v("accent"), v("bg")],
    [v("accent"), v("info-bg")], // secondary button hover
    ["#ffffff", v("accent")], // primary buttons
    ["#ffffff", v("accent-dark")],
    ["#ffffff", v("err-fg")], // danger button
    ["#dfe7f0", "#16202c"], // nav links
    ["#16202c", "#ffffff"], // current nav entry
    [v("ok-fg"), v("ok-bg")],
    [v("warn-fg"), v("warn-bg")],
    [v("err-fg"), v("err-bg")],
    [v("err-fg"), v("card")],
    [v("info-fg"), v("info-bg")],
    [v("none-fg"), v("none-bg")],
    [v("warn-fg"), v("card")],
  ];
  for (const [fg, bg] of pairs) {
    const c = contrast(fg, bg);
    assert(c >= 4.5, `${fg} on ${bg} has a contrast of ${c.toFixed(2)}:1`);
  }
  // Chart colours are graphics: at least 3:1 against the card.
  for (const name of ["steps", "deep", "light", "rem", "awake", "hr", "weight"]) {
    const c = contrast(v(name), v("card"));
    assert(c >= 3, `--${name} has a contrast of ${c.toFixed(2)}:1 against the card`);
  }
});

Deno.test("[ui] settings: the request delay is a live setting with its own form (0 to 600000 ms); bad values change nothing", async () => {
  // No daemon: the delay is stored in the database and applies in this process either way.
  await using f = await uiFixture({ env: { GARMINSYNC_REQUEST_DELAY_MS: "1500" } });
  const r = await getPage(f.app, "/settings");
  assertHtml(r);
  assertStringIncludes(r.html, '<form method="post" action="/settings/request-delay">');
  assertStringIncludes(r.html, '<label for="s-delay">Request delay (ms)</label>');
  assertMatch(r.html, /id="s-delay" type="number" name="request_delay_ms" value="1500" min="0" max="600000"/);
  assertStringIncludes(r.html, 'aria-describedby="s-delay-help"');
  assertMatch(r.html, /id="s-delay-help"[^>]*>The least time between two requests/);

  const saved = await submit(f.app, "/settings/request-delay", { request_delay_ms: " 2500 " });
  assertEquals(saved.redirectedTo, "/settings");
  assertHtml(saved);
  assertStringIncludes(saved.html, "flash-ok");
  assertStringIncludes(saved.html, "Request delay saved: 2,500 ms between requests to Garmin");
  assertMatch(saved.html, /name="request_delay_ms" value="2500"/);
  assertEquals(f.deps.settings.requestDelayMs(), 2500);
  // Stored: a fresh start (the configured 1500 as its default) reads 2500.
  assertEquals((await loadRuntimeSettings(f.deps.db, { requestDelayMs: 1500 })).requestDelayMs(), 2500);

  const bad: [string, string][] = [
    ["600001", "request_delay_ms must be at most 600,000 ms"],
    ["-5", "request_delay_ms must be a whole number of milliseconds"],
    ["1.5", "request_delay_ms must be a whole number of milliseconds"],
    ["fast", "request_delay_ms must be a whole number of milliseconds"],
    ["", "request_delay_ms is required"],
  ];
  for (const [value, message] of bad) {
    const refused = await submit(f.app, "/settings/request-delay", { request_delay_ms: value });
    assertEquals(refused.redirectedTo, "/settings", value);
    assertStringIncludes(refused.html, "flash-error", value);
    assertStringIncludes(refused.html, message, value);
    assertEquals(f.deps.settings.requestDelayMs(), 2500, value);
  }
  const zero = await submit(f.app, "/settings/request-delay", { request_delay_ms: "0" });
  assertStringIncludes(zero.html, "Request delay saved: 0 ms");
  assertEquals(f.deps.settings.requestDelayMs(), 0);
});

Deno.test("[ui] settings tell the last scheduled run apart from the last sync of any kind", async () => {
  await using f = await uiFixture({ scheduler: true });
  const before = await getPage(f.app, "/settings");
  assertStringIncludes(before.html, "<dt>Last scheduled run</dt><dd>never</dd>");
  assertStringIncludes(before.html, "<dt>Last sync (any kind)</dt><dd>never</dd>");
  // A sync started from the dashboard or the API: not a scheduled run, but a sync all the same.
  await addLog(f.deps.db, { operation: "full", status: "success", message: "from the dashboard" });
  const last = (await activityStats(f.deps.db)).last_sync!;
  const after = await getPage(f.app, "/settings");
  assertStringIncludes(after.html, "<dt>Last scheduled run</dt><dd>never</dd>");
  assertMatch(
    after.html,
    new RegExp(`<dt>Last sync \\(any kind\\)</dt><dd>${last.slice(0, 10)} \\d\\d:\\d\\d UTC</dd>`),
  );
  assertNotMatch(after.html, /<dt>Last run<\/dt>/);
  await using plain = await uiFixture();
  await addLog(plain.deps.db, { operation: "activities", status: "partial", message: "from the API" });
  assertMatch((await getPage(plain.app, "/settings")).html, /<dt>Last sync \(any kind\)<\/dt><dd>\d{4}-/);
});

Deno.test("[ui] behind GARMINSYNC_API_TOKEN every page has a Sign out button (POST /session/end); without a token none", async () => {
  const token = "dashboard-token-1234";
  await using f = await uiFixture({ env: { GARMINSYNC_API_TOKEN: token } });
  const cookie = `${SESSION_COOKIE}=${sessionValue(token)}`;
  for (const path of PAGES) {
    const r = await getPage(f.app, path, [cookie]);
    assertHtml(r);
    assertMatch(
      r.html,
      /<header class="top">.*<form method="post" action="\/session\/end" class="signout"><button type="submit" class="small">Sign out<\/button><\/form>.*<\/header>/s,
      path,
    );
  }
  const out = await f.app.request("/session/end", { method: "POST", headers: { cookie } });
  assertEquals(out.status, 303);
  assertEquals(out.headers.get("location"), "/session");
  assertMatch(out.headers.get("set-cookie") ?? "", new RegExp(`^${SESSION_COOKIE}=;.*Max-Age=0`));
  // Without the cookie the pages ask for the token again.
  assertEquals((await getPage(f.app, "/")).status, 303);

  await using open = await uiFixture();
  for (const path of PAGES) assertNotMatch((await getPage(open.app, path)).html, /session\/end|Sign out/, path);
});

Deno.test("[ui] login: a service ticket from a browser sign-in logs in through the ticket form; bad tickets are clear messages", async () => {
  await using f = await uiFixture({ sim: { activities: 0 } });
  const page = await getPage(f.app, "/login");
  assertStringIncludes(page.html, '<form method="post" action="/login/ticket">');
  assertStringIncludes(page.html, '<label for="l-ticket">Service ticket</label>');
  assertStringIncludes(page.html, '<label for="l-service">Service URL (optional)</label>');
  assertMatch(page.html, /Other ways in.*<code>garminsync login --browser<\/code>/s);

  const notTicket = await submit(f.app, "/login/ticket", { ticket: "hello" });
  assertEquals(notTicket.redirectedTo, "/login");
  assertStringIncludes(notTicket.html, "flash-error");
  assertStringIncludes(notTicket.html, "ST-");
  const empty = await submit(f.app, "/login/ticket", { ticket: "  " });
  assertStringIncludes(empty.html, "ticket is required");
  const wrongService = await browserTicket(f.sim!);
  const refused = await submit(f.app, "/login/ticket", { ticket: wrongService, service_url: "https://example.com/x" });
  assertEquals(refused.redirectedTo, "/login");
  assertStringIncludes(refused.html, "flash-error");
  assert(!refused.html.includes(wrongService), "the ticket is echoed");
  assertEquals(await f.deps.garmin.auth.hasSession(), false);

  const ticket = await browserTicket(f.sim!);
  const ok = await submit(f.app, "/login/ticket", { ticket: ` ${ticket} `, service_url: "" });
  assertEquals(ok.redirectedTo, "/");
  assertStringIncludes(ok.html, "flash-ok");
  assertStringIncludes(ok.html, `Logged in to Garmin Connect with the ticket as ${f.sim!.account.displayName}`);
  assertEquals(await f.deps.garmin.auth.hasSession(), true);
  assertEquals((await f.deps.garmin.auth.status()).method, "ticket");
  // A ticket works once.
  const again = await submit(f.app, "/login/ticket", { ticket });
  assertStringIncludes(again.html, "flash-error");
  assert(!again.html.includes(ticket), "the spent ticket is echoed");
});

function jsonFile(name: string, data: unknown): File {
  return new File([JSON.stringify(data)], name, { type: "application/json" });
}

function filesForm(...files: File[]): FormData {
  const form = new FormData();
  form.set("tokens", "");
  for (const file of files) form.append("file", file);
  return form;
}

Deno.test("[ui] token import takes garth's two files at once (merged by content) or one garmin_tokens.json", async () => {
  await using f = await uiFixture({ sim: { activities: 0 } });
  const page = await getPage(f.app, "/login");
  assertMatch(page.html, /<input id="l-file" type="file" name="file" multiple/);
  assertStringIncludes(page.html, '<textarea id="l-tokens" name="tokens"');

  // Names do not matter, nor the order: the content says which is which.
  const garth = await garthTokens(f.sim!);
  const two = await submit(
    f.app,
    "/login/import",
    filesForm(jsonFile("second.json", garth.oauth2), jsonFile("first.json", garth.oauth1)),
  );
  assertEquals(two.redirectedTo, "/");
  assertStringIncludes(two.html, "Tokens imported: logged in");
  assertEquals((await f.deps.garmin.auth.status()).method, "import");
  assertEquals(await f.deps.garmin.auth.hasSession(), true);
  await f.deps.garmin.auth.logout();

  const single = await submit(
    f.app,
    "/login/import",
    filesForm(jsonFile("garmin_tokens.json", await pythonGarminTokens(f.sim!))),
  );
  assertEquals(single.redirectedTo, "/");
  assertStringIncludes(single.html, "Tokens imported: logged in");
  await f.deps.garmin.auth.logout();

  const fresh = await garthTokens(f.sim!);
  const pairs: [File[], string][] = [
    [[jsonFile("oauth1_token.json", fresh.oauth1), jsonFile("copy.json", fresh.oauth1)], "two oauth1_token.json files"],
    [[jsonFile("oauth1_token.json", fresh.oauth1), jsonFile("notes.json", { hello: 1 })], "notes.json is neither"],
    [[jsonFile("oauth1_token.json", fresh.oauth1), new File(["{oops"], "broken.json")], "broken.json is not JSON"],
  ];
  for (const [files, message] of pairs) {
    const r = await submit(f.app, "/login/import", filesForm(...files));
    assertEquals(r.redirectedTo, "/login", message);
    assertStringIncludes(r.html, "flash-error", message);
    assertStringIncludes(r.html, message);
    assertEquals(await f.deps.garmin.auth.hasSession(), false, message);
  }
});

Deno.test("[ui] mergeTokenFiles: one file as it is, garth's two by content, anything else named", () => {
  const o1 = { oauth_token: "a", oauth_token_secret: "b" };
  const o2 = { access_token: "c", refresh_token: "d" };
  assertEquals(mergeTokenFiles([{ name: "x.json", text: '{"di_token":"t"}' }]), { di_token: "t" });
  assertEquals(
    mergeTokenFiles([{ name: "2", text: JSON.stringify(o2) }, { name: "1", text: JSON.stringify(o1) }]),
    { oauth1: o1, oauth2: o2 },
  );
  let message = "";
  try {
    mergeTokenFiles([{ name: "a.json", text: JSON.stringify(o1) }, { name: "b.json", text: "[1,2]" }]);
  } catch (e) {
    message = (e as Error).message;
  }
  assertStringIncludes(message, "b.json is neither");
});

Deno.test("[ui] tokens saved with another GARMINSYNC_SECRET_KEY are a clear warning on the overview and the login page", async () => {
  await using f = await uiFixture();
  const auth = {
    authenticated: false,
    method: "password",
    display_name: "demo_athlete",
    access_expires_at: null,
    refresh_expires_at: null,
    last_refresh_at: null,
    state: "key_mismatch",
  };
  const warning = "stored Garmin tokens were saved with another GARMINSYNC_SECRET_KEY: set that key or log in again";
  const now = new Date();
  const overview = renderDocument(OverviewPage({
    flash: null,
    now,
    stats: await activityStats(f.deps.db),
    job: f.deps.jobs.status(),
    schedule: { enabled: true, cron_schedule: "0 */6 * * *", next_run: null, last_run: null, daemon: false },
    auth,
    authError: null,
    logs: [],
  }));
  assertMatch(
    overview,
    new RegExp(`<p class="flash flash-error">The ${warning}[^<]*<a href="/login">Log in again</a>`),
  );
  assertStringIncludes(overview, "key mismatch");
  assertNotMatch(overview, /Not logged in/);
  const login = renderDocument(
    LoginPage({ flash: null, now, auth, authError: null, step: null, envCredentials: false }),
  );
  assertMatch(login, new RegExp(`<p class="flash flash-error">The ${warning}`));
  assertStringIncludes(login, "key mismatch");
  assertStringIncludes(login, 'action="/logout"');
  assertEquals(authWarning(auth, now)?.kind, "error");
});

Deno.test("[ui] no words run together where a template line breaks next to a tag", async () => {
  // htm drops whitespace that holds a line break at a text's edge, so "or\n<code>x</code>" renders "or<code>".
  const token = "dashboard-token-1234";
  await using f = await uiFixture({ scheduler: true, env: { GARMINSYNC_API_TOKEN: token } });
  await seed(f.deps.db, 5);
  await addLog(f.deps.db, { operation: "full", status: "success", message: "ok" });
  for (const path of [...PAGES, "/login?step=mfa"]) {
    const { html } = await getPage(f.app, path, [`${SESSION_COOKIE}=${sessionValue(token)}`]);
    const text = html.replace(/<(script|style)\b[\s\S]*?<\/\1>/g, "");
    const glued = [
      ...text.matchAll(/[A-Za-z0-9'’.,;:)]<(code|a|strong|time|span)\b[^>]*>[^<]{0,30}/g),
      ...text.matchAll(/<\/(code|a|strong|time)>[A-Za-z0-9(][^<]{0,30}/g),
      ...text.matchAll(/[a-z]\((?!s\))[a-z][^<]{0,30}/g),
    ].map((m) => text.slice(Math.max(0, m.index! - 30), m.index! + m[0].length));
    assertEquals(glued, [], path);
  }
});
