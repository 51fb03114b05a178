/**
 * The Garmin transport and API client against the simulator over real HTTP: host mapping, Bearer calls,
 * retries (5xx, dropped connection, cut body), 429 with and without Retry-After and the shared pause,
 * 404, HTML instead of JSON, 204, token refresh before expiry and after a 401.
 */
import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertRejects,
  assertStringIncludes,
} from "./fixtures/auth/asserts.ts";
import { GarminBadResponse, GarminNotFound, GarminRateLimited, GarminUnavailable } from "../lib/errors.ts";
import { createLogger } from "../lib/log.ts";
import { createPacer, createTransport, garminUrlFor, parseRetryAfter } from "../sync/garmin/http.ts";
import { FAST_HTTP, makeWorld, type World } from "./fixtures/auth/setup.ts";

async function loggedIn(options: Parameters<typeof makeWorld>[0] = {}): Promise<World> {
  const w = await makeWorld(options);
  const r = await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
  assertEquals(r.status, "authenticated");
  w.sim.resetCalls();
  return w;
}

const rejects = assertRejects;

Deno.test("[garmin] every Garmin host maps to GARMINSYNC_GARMIN_URL keeping the path, real hosts otherwise", () => {
  assertEquals(garminUrlFor("sso", "/mobile/api/login?x=1"), "https://sso.garmin.com/mobile/api/login?x=1");
  assertEquals(
    garminUrlFor("diauth", "/di-oauth2-service/oauth/token"),
    "https://diauth.garmin.com/di-oauth2-service/oauth/token",
  );
  assertEquals(garminUrlFor("garth", "/oauth_consumer.json"), "https://thegarth.s3.amazonaws.com/oauth_consumer.json");
  for (const host of ["sso", "connect", "connectapi", "diauth", "garth"] as const) {
    assertEquals(garminUrlFor(host, "/a/b?c=d", "http://127.0.0.1:9999"), "http://127.0.0.1:9999/a/b?c=d");
  }
});

Deno.test("[garmin] Retry-After is read as seconds or as an HTTP date", () => {
  assertEquals(parseRetryAfter("3"), 3000);
  assertEquals(parseRetryAfter(null), undefined);
  assertEquals(parseRetryAfter("soon"), undefined);
  const now = Date.parse("2026-05-01T10:00:00Z");
  assertEquals(parseRetryAfter("Fri, 01 May 2026 10:00:07 GMT", now), 7000);
});

Deno.test("[garmin] the pacer spaces request starts by the configured delay, shared by concurrent callers", async () => {
  const pacer = createPacer(60);
  const starts: number[] = [];
  await Promise.all([0, 1, 2, 3].map(async () => {
    await pacer.wait();
    starts.push(Date.now());
  }));
  starts.sort((a, b) => a - b);
  for (let i = 1; i < starts.length; i++) assertGreaterOrEqual(starts[i] - starts[i - 1], 55);
});

Deno.test("[garmin] login, then Bearer API calls: activity list, profile, download, workouts", async () => {
  const w = await loggedIn();
  try {
    const list = await w.garmin.api.listActivities(0, 5);
    assertEquals(list.length, 5);
    assert(typeof list[0].activityId === "number");
    const profile = await w.garmin.api.socialProfile();
    assertEquals(profile.displayName, w.sim.account.displayName);
    const withFile = w.sim.activities.find((a) => !a.manual)!;
    const zip = await w.garmin.api.downloadOriginal(withFile.activityId);
    assertEquals([zip[0], zip[1]], [0x50, 0x4b]); // "PK"
    const workouts = await w.garmin.api.listWorkouts(0, 10);
    assert(workouts.length > 0);
    assertEquals((await w.garmin.api.workout(workouts[0].workoutId)).workoutId, workouts[0].workoutId);
    const today = new Date().toISOString().slice(0, 10);
    assert(await w.garmin.api.dailySummary(today));
    // The display name came from the auth row (stored at login): no extra profile call for the summary.
    assertEquals(w.sim.calls("/socialProfile").length, 1);
    assertEquals(w.sim.counters().passwordLogins, 1);
    w.assertNoSecret(w.lines.join("\n"), "the log");
  } finally {
    await w.close();
  }
});

Deno.test("[garmin] a 5xx is retried with backoff and then succeeds; a 5xx that persists → GarminUnavailable", async () => {
  const w = await loggedIn();
  try {
    w.sim.fault({ match: "/activitylist-service", kind: "status", status: 503, times: 2 });
    assertEquals((await w.garmin.api.listActivities(0, 3)).length, 3);
    assertEquals(w.sim.calls("/activitylist-service").map((c) => c.status), [503, 503, 200]);
    w.sim.resetCalls();
    w.sim.fault({ match: "/activitylist-service", kind: "status", status: 502, times: 10 });
    const e = await rejects(w.garmin.api.listActivities(0, 3), GarminUnavailable);
    assertStringIncludes(e.message, "/activitylist-service/activities/search/activities");
    assertEquals(w.sim.calls("/activitylist-service").length, 3); // maxAttempts in FAST_HTTP
  } finally {
    w.sim.clearFaults();
    await w.close();
  }
});

Deno.test("[garmin] an attempt with no answer within timeoutMs is cut off and retried, then GarminUnavailable", async () => {
  const w = await loggedIn();
  try {
    const slow = await w.another({ http: { ...FAST_HTTP, timeoutMs: 60 } });
    // One slow answer, then a quick one: the retry gets the data.
    w.sim.fault({ match: "/activitylist-service", kind: "slow", delayMs: 250 });
    const started = Date.now();
    assertEquals((await slow.api.listActivities(0, 2)).length, 2);
    assert(Date.now() - started < 250, "the slow attempt was cut off, not waited for");
    assert(w.lines.some((l) => /no answer within 60 ms; retrying/.test(l)), "the timeout is logged");
    w.sim.resetCalls();
    // Slow every time: maxAttempts attempts, then GarminUnavailable naming the timeout.
    w.sim.fault({ match: "/activitylist-service", kind: "slow", delayMs: 250, times: 3 });
    const e = await rejects(slow.api.listActivities(0, 2), GarminUnavailable, "no answer within 60 ms");
    assertStringIncludes(e.message, "after 3 attempts");
    assertEquals(w.sim.calls("/activitylist-service").length, 3);
    // Let the simulator finish its held answers before it closes.
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    w.sim.clearFaults();
    await w.close();
  }
});

Deno.test("[garmin] the request delay is read per request: a changed setting applies without a restart", async () => {
  const w = await loggedIn();
  try {
    let delay = 0;
    const live = await w.another({ requestDelayMs: () => delay });
    const gaps = async () => {
      w.sim.resetCalls();
      for (let i = 0; i < 3; i++) await live.api.listActivities(i, 1);
      const at = w.sim.calls("/activitylist-service").map((c) => c.at);
      return at.slice(1).map((t, i) => t - at[i]);
    };
    for (const gap of await gaps()) assert(gap < 100, `no delay yet (${gap} ms)`);
    delay = 150;
    for (const gap of await gaps()) assertGreaterOrEqual(gap, 140);
    delay = 0;
    for (const gap of await gaps()) assert(gap < 100, `the delay is gone again (${gap} ms)`);
  } finally {
    await w.close();
  }
});

Deno.test("[garmin] a dropped connection and a body cut short are retried", async () => {
  const w = await loggedIn();
  try {
    w.sim.fault({ match: "/activitylist-service", kind: "drop" });
    assertEquals((await w.garmin.api.listActivities(0, 2)).length, 2);
    const withFile = w.sim.activities.find((a) => !a.manual)!;
    w.sim.fault({ match: "/download-service", kind: "truncate" });
    const zip = await w.garmin.api.downloadOriginal(withFile.activityId);
    assertEquals(w.sim.calls("/download-service").length, 2);
    assertEquals([zip[0], zip[1]], [0x50, 0x4b]);
    assert(w.lines.some((l) => /cut off/.test(l)), "the retry of a cut body is logged");
  } finally {
    await w.close();
  }
});

Deno.test("[garmin] 429 with Retry-After pauses every request of the process until then", async () => {
  const w = await loggedIn();
  try {
    w.sim.fault({ match: "/activitylist-service", kind: "rate_limit", retryAfter: 1 });
    const list = w.garmin.api.listActivities(0, 2);
    // Wait until the client has seen the 429 (not only the simulator sent it), then start another call: it must
    // wait for the shared pause.
    while (!w.lines.some((l) => /answered 429; every request pauses/.test(l))) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const limitedAt = w.sim.calls("/activitylist-service")[0].at;
    const [items, profile] = await Promise.all([list, w.garmin.api.socialProfile()]);
    assertEquals(items.length, 2);
    assertEquals(profile.displayName, w.sim.account.displayName);
    const retried = w.sim.calls("/activitylist-service")[1];
    const other = w.sim.calls("/socialProfile")[0];
    assertGreaterOrEqual(retried.at - limitedAt, 950);
    assertGreaterOrEqual(other.at - limitedAt, 950);
  } finally {
    await w.close();
  }
});

Deno.test("[garmin] 429 without Retry-After backs off, then gives up with GarminRateLimited", async () => {
  const w = await loggedIn();
  try {
    w.sim.fault({ match: "/activitylist-service", kind: "rate_limit", times: 20 });
    const e = await rejects(w.garmin.api.listActivities(0, 2), GarminRateLimited);
    assertStringIncludes(e.message, "429");
    assertEquals(e.status, 503);
    assertEquals(w.sim.calls("/activitylist-service").length, 4); // first try + 3 tolerated 429s
  } finally {
    w.sim.clearFaults();
    await w.close();
  }
});

Deno.test("[garmin] a Retry-After longer than the longest pause fails at once, and so do the calls behind it", async () => {
  const w = await loggedIn({ garmin: { http: { retryBaseMs: 5, maxAttempts: 3, maxPauseMs: 2000 } } });
  try {
    w.sim.fault({ match: "/activitylist-service", kind: "rate_limit", retryAfter: 3600 });
    const e = await rejects(w.garmin.api.listActivities(0, 2), GarminRateLimited);
    assertGreaterOrEqual(e.retryAfterMs ?? 0, 3_599_000);
    const before = w.sim.calls().length;
    await rejects(w.garmin.api.socialProfile(), GarminRateLimited);
    assertEquals(w.sim.calls().length, before, "no request is sent while the long pause holds");
  } finally {
    await w.close();
  }
});

Deno.test("[garmin] 404 → GarminNotFound; HTML instead of JSON → GarminBadResponse naming the path; 204 → null", async () => {
  const w = await loggedIn();
  try {
    const manual = w.sim.activities.find((a) => a.manual);
    if (manual) {
      await rejects(w.garmin.api.downloadOriginal(manual.activityId), GarminNotFound);
    }
    w.sim.fault({ match: "/download-service", kind: "status", status: 404 });
    await rejects(w.garmin.api.downloadOriginal(w.sim.activities[0].activityId), GarminNotFound);
    w.sim.fault({ match: "/activitylist-service", kind: "html" });
    const e = await rejects(w.garmin.api.listActivities(0, 2), GarminBadResponse);
    assertStringIncludes(e.message, "/activitylist-service/activities/search/activities");
    assertStringIncludes(e.message, "HTML");
    w.sim.fault({ match: "/usersummary-service", kind: "status", status: 204 });
    assertEquals(await w.garmin.api.dailySummary("2026-01-01"), null);
  } finally {
    await w.close();
  }
});

Deno.test("[garmin] an expired access token (401) → exactly one refresh and one retry, no new login", async () => {
  const w = await loggedIn();
  try {
    w.sim.expireAccessTokens();
    const before = w.sim.counters();
    const [a, b] = await Promise.all([w.garmin.api.listActivities(0, 2), w.garmin.api.listActivities(2, 2)]);
    assertEquals(a.length + b.length, 4);
    const after = w.sim.counters();
    assertEquals(after.diRefreshes - before.diRefreshes, 1);
    assertEquals(after.passwordLogins, before.passwordLogins);
    assertEquals(w.sim.calls("/di-oauth2-service").length, 1);
    w.assertNoSecret(w.lines.join("\n"), "the log");
  } finally {
    await w.close();
  }
});

Deno.test("[garmin] the token is refreshed 15 minutes before the JWT exp, before any 401", async () => {
  let offset = 0;
  const w = await loggedIn({ garmin: { clock: () => new Date(Date.now() + offset) } });
  try {
    await w.garmin.api.listActivities(0, 1);
    assertEquals(w.sim.counters().diRefreshes, 0);
    offset = 46 * 60_000; // the sim's tokens live 60 min: 14 min left
    await w.garmin.api.listActivities(0, 1);
    assertEquals(w.sim.counters().diRefreshes, 1);
    assert(!w.sim.calls().some((c) => c.status === 401), "no call was refused");
    const status = await w.garmin.auth.status();
    assert(status.last_refresh_at);
  } finally {
    await w.close();
  }
});

Deno.test("[garmin] the transport never puts a query (tickets, signatures) in errors or log lines", async () => {
  const lines: string[] = [];
  const log = createLogger({ level: "debug", sink: (l) => lines.push(l) });
  const transport = createTransport({
    garminUrl: "http://127.0.0.1:9",
    requestDelayMs: 0,
    log,
    retryBaseMs: 1,
    maxAttempts: 2,
    timeoutMs: 2000,
  });
  const e = await rejects(
    transport.request({ host: "connectapi", path: "/x/y?ticket=ST-SECRET-1" }),
    GarminUnavailable,
  );
  assert(!e.message.includes("ST-SECRET-1"));
  assertStringIncludes(e.message, "/x/y");
  assert(!lines.join("\n").includes("ST-SECRET-1"));
});
