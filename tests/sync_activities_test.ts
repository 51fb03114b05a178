import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { activityFiles, recordingReporter, syncEnv } from "./fixtures/sync/env.ts";
import { downloadMissing, refreshActivityList } from "../sync/activities.ts";
import { activityStats, getActivity, listActivities } from "../db/activities.ts";
import { fitProblem } from "../sync/fit.ts";
import { activityFileName, sha256Hex } from "../sync/files.ts";
import { GarminRateLimited, NotAuthenticated } from "../lib/errors.ts";

const LIST = "/activitylist-service/activities/search/activities";
const DOWNLOAD = "/download-service/files/activity/";

async function syncOnce(env: Awaited<ReturnType<typeof syncEnv>>) {
  const listed = await refreshActivityList(env.ctx);
  const reporter = recordingReporter();
  const downloaded = await downloadMissing(env.ctx, reporter);
  return { listed, downloaded, reporter };
}

/** Every final-named file verifies as FIT and matches its row's size and sha256. */
async function assertFilesMatchRows(env: Awaited<ReturnType<typeof syncEnv>>) {
  const rows = (await listActivities(env.db, { filter: "downloaded", limit: 100_000, offset: 0 })).rows;
  const files = activityFiles(env.dir);
  assertEquals(files, rows.map((r) => r.file_name!).sort());
  for (const r of rows) {
    const bytes = await Deno.readFile(`${env.dir}/${r.file_name}`);
    assertEquals(fitProblem(bytes), null, `${r.file_name} must be a whole FIT file`);
    assertEquals(bytes.length, r.file_size);
    assertEquals(await sha256Hex(bytes), r.sha256);
    assertEquals(r.file_name, activityFileName(r.activity_id, r.start_time_local));
  }
}

Deno.test("[sync] first sync pages through all, second makes 1 list call and 0 downloads, new ones cost one extra page", async () => {
  await using env = await syncEnv({ activities: 150, fitRecords: 5 });
  const manual = env.sim.activities.filter((a) => a.manual).map((a) => a.activityId);
  assert(manual.length > 0, "the simulator has manual entries");

  env.sim.resetCalls();
  const first = await syncOnce(env);
  assertEquals(env.sim.calls(LIST).length, 2, "150 activities = a full page and a short one");
  assertEquals([first.listed.pages, first.listed.fetched, first.listed.new], [2, 150, 150]);
  assertEquals(env.sim.calls(DOWNLOAD).length, 150);
  assertEquals(first.downloaded.downloaded, 150 - manual.length);
  assertEquals(first.downloaded.no_file, manual.length);
  assertEquals(first.downloaded.failed, 0);
  assertEquals(first.reporter.totals, [150]);
  assertEquals(first.reporter.done, 150);
  const stats = await activityStats(env.db);
  assertEquals([stats.total, stats.downloaded, stats.no_file, stats.missing], [
    150,
    150 - manual.length,
    manual.length,
    0,
  ]);
  await assertFilesMatchRows(env);
  const newest = env.sim.activities[0];
  const row = await getActivity(env.db, newest.activityId);
  assertEquals(row?.name, newest.summary.activityName);
  assertEquals(row?.start_time_local, newest.summary.startTimeLocal);

  // Nothing new: exactly one list call and no download (manual entries are not retried).
  env.sim.resetCalls();
  const second = await syncOnce(env);
  assertEquals(env.sim.calls(LIST).length, 1);
  assertEquals(env.sim.calls(DOWNLOAD).length, 0);
  assertEquals([second.listed.new, second.downloaded.attempted], [0, 0]);

  // Three new: the page holding them, then one page of only known ones; three downloads.
  const added = env.sim.addActivities(3);
  env.sim.resetCalls();
  const third = await syncOnce(env);
  assertEquals(env.sim.calls(LIST).map((c) => new URL(c.path, "http://x").searchParams.get("start")), ["0", "100"]);
  assertEquals(
    env.sim.calls(DOWNLOAD).map((c) => c.path).sort(),
    added.map((a) => `${DOWNLOAD}${a.activityId}`).sort(),
  );
  assertEquals([third.listed.new, third.downloaded.downloaded], [3, 3]);

  // 250 new: pages of 100, 100, 50 new + 50 known, then one page of only known ones; nothing more.
  env.sim.addActivities(250);
  env.sim.resetCalls();
  const fourth = await syncOnce(env);
  assertEquals(env.sim.calls(LIST).map((c) => new URL(c.path, "http://x").searchParams.get("start")), [
    "0",
    "100",
    "200",
    "300",
  ]);
  assertEquals([fourth.listed.new, fourth.downloaded.downloaded], [250, 250]);
  assertEquals((await activityStats(env.db)).total, 403);
  await assertFilesMatchRows(env);
});

Deno.test("[sync] a manual activity (404) is marked no_file and never retried", async () => {
  await using env = await syncEnv({ activities: 3, fitRecords: 5 });
  const [manual] = env.sim.addActivities(1, { manual: true });
  await syncOnce(env);
  const row = await getActivity(env.db, manual.activityId);
  assertEquals(row?.state, "no_file");
  assertEquals(row?.file_name, null);
  assert(row?.last_error?.includes("no original file"));
  assert(!activityFiles(env.dir).some((f) => f.includes(String(manual.activityId))));
  env.sim.resetCalls();
  await syncOnce(env);
  assertEquals(env.sim.calls(`${DOWNLOAD}${manual.activityId}`).length, 0);
  // Listed under "all" with its state, not under "missing".
  const missing = await listActivities(env.db, { filter: "missing", limit: 50, offset: 0 });
  assert(!missing.rows.some((r) => r.activity_id === manual.activityId));
});

Deno.test("[sync] a truncated download is retried by the client and then saved whole", async () => {
  await using env = await syncEnv({ activities: 2, fitRecords: 200 });
  const id = env.sim.activities.find((a) => !a.manual)!.activityId;
  env.sim.fault({ match: `${DOWNLOAD}${id}`, kind: "truncate", times: 1 });
  const { downloaded } = await syncOnce(env);
  assertEquals(downloaded.failed, 0);
  assertEquals(env.sim.calls(`${DOWNLOAD}${id}`).length, 2);
  assertEquals((await getActivity(env.db, id))?.state, "downloaded");
  await assertFilesMatchRows(env);
});

Deno.test("[sync] a download cut short every time ends failed with no file under the final name, retried later", async () => {
  await using env = await syncEnv({ activities: 3, fitRecords: 200 });
  const target = env.sim.activities.find((a) => !a.manual)!;
  env.sim.fault({ match: `${DOWNLOAD}${target.activityId}`, kind: "truncate", times: 100 });
  const { downloaded } = await syncOnce(env);
  assertEquals(downloaded.failed, 1);
  const row = await getActivity(env.db, target.activityId);
  assertEquals([row?.state, row?.attempts], ["failed", 1]);
  assert(row?.last_error);
  const name = activityFileName(target.activityId, String(target.summary.startTimeLocal));
  assert(!activityFiles(env.dir).includes(name));
  assertEquals([...Deno.readDirSync(env.dir)].filter((e) => e.name.includes(".tmp-")).length, 0);
  await assertFilesMatchRows(env);

  env.sim.clearFaults();
  const again = await syncOnce(env);
  assertEquals([again.downloaded.attempted, again.downloaded.downloaded], [1, 1]);
  assertEquals((await getActivity(env.db, target.activityId))?.state, "downloaded");
  await assertFilesMatchRows(env);
});

Deno.test("[sync] corrupt ZIP, non-FIT entry and bad CRC each fail one activity clearly; the run is partial", async () => {
  await using env = await syncEnv({ activities: 8, fitRecords: 20 });
  const ids = env.sim.activities.filter((a) => !a.manual).map((a) => a.activityId);
  const [zipId, notFitId, crcId] = ids;
  env.sim.fault({ match: `${DOWNLOAD}${zipId}`, kind: "corrupt_zip", times: 100 });
  env.sim.fault({ match: `${DOWNLOAD}${notFitId}`, kind: "not_fit", times: 100 });
  env.sim.fault({ match: `${DOWNLOAD}${crcId}`, kind: "bad_fit_crc", times: 100 });
  const runners = env.runners();
  const reporter = recordingReporter();
  const summary = await runners.activities(reporter, {});
  assertEquals(summary.status, "partial");
  assert(summary.message.startsWith(`3 of ${env.sim.activities.length} downloads failed: `), summary.message);
  assertEquals(summary.activities_downloaded, ids.length - 3);

  const zipRow = await getActivity(env.db, zipId);
  assertEquals(zipRow?.state, "failed");
  assert(zipRow?.last_error?.includes(`the download for activity ${zipId} is not a valid ZIP`), zipRow?.last_error!);
  assert((await getActivity(env.db, notFitId))?.last_error?.includes("is not a valid FIT file"));
  assert((await getActivity(env.db, crcId))?.last_error?.includes("CRC"));
  for (const id of [zipId, notFitId, crcId]) {
    assert(!activityFiles(env.dir).some((f) => f.startsWith(`activity_${id}_`)), `no file for ${id}`);
  }
  for (const id of ids.slice(3)) assertEquals((await getActivity(env.db, id))?.state, "downloaded");
  await assertFilesMatchRows(env);
});

Deno.test("[sync] a downloaded file removed from disk is downloaded again on the next run", async () => {
  await using env = await syncEnv({ activities: 4, fitRecords: 5 });
  await syncOnce(env);
  const [gone] = (await listActivities(env.db, { filter: "downloaded", limit: 1, offset: 0 })).rows;
  await Deno.remove(`${env.dir}/${gone.file_name}`);
  env.sim.resetCalls();
  const r = await syncOnce(env);
  assertEquals(env.sim.calls(DOWNLOAD).map((c) => c.path), [`${DOWNLOAD}${gone.activity_id}`]);
  assertEquals(r.downloaded.downloaded, 1);
  await assertFilesMatchRows(env);
});

Deno.test("[sync] rate limiting that outlasts the client's retries stops the run; nothing is marked failed", async () => {
  await using env = await syncEnv({ activities: 5, fitRecords: 5 });
  await refreshActivityList(env.ctx);
  env.sim.fault({ match: DOWNLOAD, kind: "rate_limit", retryAfter: 0, times: 1000 });
  let err: unknown;
  try {
    await downloadMissing(env.ctx, recordingReporter());
  } catch (e) {
    err = e;
  }
  assert(err instanceof GarminRateLimited, String(err));
  const stats = await activityStats(env.db);
  assertEquals([stats.failed, stats.downloaded], [0, 0]);
  assert(env.sim.calls(DOWNLOAD).length <= 3, "stopped at the first activity");
});

Deno.test("[sync] without a session the runner fails at once with how to log in, calling nothing", async () => {
  await using env = await syncEnv({ activities: 5 }, { login: false });
  env.sim.resetCalls();
  let err: unknown;
  try {
    await env.runners().activities(recordingReporter(), {});
  } catch (e) {
    err = e;
  }
  assert(err instanceof NotAuthenticated);
  assert(/garminsync login/.test(err.message));
  assertEquals(env.sim.calls().length, 0);
});

Deno.test("[sync] an aborted signal stops downloads at the next activity without marking anything failed", async () => {
  await using env = await syncEnv({ activities: 10, fitRecords: 5 });
  await refreshActivityList(env.ctx);
  const abort = new AbortController();
  const reporter = recordingReporter(abort.signal);
  const advance = reporter.advance;
  reporter.advance = (n, d) => {
    advance(n, d);
    if (reporter.done === 2) abort.abort();
  };
  const r = await downloadMissing(env.ctx, reporter);
  assertEquals(r.attempted, 2);
  const stats = await activityStats(env.db);
  assertEquals(stats.failed, 0);
  assertEquals(stats.downloaded + stats.no_file, 2);
});
