import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { activityFiles, recordingReporter, syncEnv } from "./fixtures/sync/env.ts";
import { downloadMissing, refreshActivityList } from "../sync/activities.ts";
import { activityStats, listActivities } from "../db/activities.ts";
import { fitProblem } from "../sync/fit.ts";
import { sha256Hex } from "../sync/files.ts";

const CHILD = new URL("./fixtures/sync/download_child.ts", import.meta.url).pathname;

/** Runs the child downloader and SIGKILLs it when `killAt(line)` first returns true; returns its output lines. */
async function runAndKill(env: { dir: string; sim: { url: string } }, killAt: (line: string) => boolean) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", new URL("../deno.json", import.meta.url).pathname, CHILD],
    env: { GARMINSYNC_DATA_DIR: env.dir, GARMINSYNC_GARMIN_URL: env.sim.url },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines: string[] = [];
  let killed = false;
  let buffer = "";
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      lines.push(line);
      if (!killed && killAt(line)) {
        child.kill("SIGKILL");
        killed = true;
      }
    }
  }
  const status = await child.status;
  return { lines, killed, status };
}

/** No file under a final name is partial: each verifies as FIT; each downloaded row's file matches its sha256. */
async function assertNoPartialFile(dir: string, db: Parameters<typeof listActivities>[0]) {
  for (const name of activityFiles(dir)) {
    assertEquals(fitProblem(await Deno.readFile(`${dir}/${name}`)), null, `${name} is partial`);
  }
  const rows = (await listActivities(db, { filter: "downloaded", limit: 1000, offset: 0 })).rows;
  for (const r of rows) assertEquals(await sha256Hex(await Deno.readFile(`${dir}/${r.file_name}`)), r.sha256);
}

Deno.test("[atomic] a download process SIGKILLed mid-download or mid-write leaves no partial file; a rerun completes", async () => {
  // Large FIT files (write + fsync take a while) and slow downloads, so the kills land inside the work.
  await using env = await syncEnv({ activities: 8, fitRecords: 3000, downloadDelayMs: 150 });
  await refreshActivityList(env.ctx);
  const expected = env.sim.activities.filter((a) => !a.manual).length;

  // 1: killed right after the second download's bytes arrived: during its check / temp write / fsync / rename.
  let gots = 0;
  const first = await runAndKill(env, (l) => l.startsWith("got ") && ++gots === 2);
  assert(first.killed && !first.status.success, `child was not killed: ${first.lines.join(" | ")}`);
  await assertNoPartialFile(env.dir, env.db);

  // 2: killed in the middle of a slow download (after one more activity finished).
  let dones = 0;
  const second = await runAndKill(env, (l) => l.startsWith("done ") && ++dones === 1);
  assert(second.killed && !second.status.success);
  await assertNoPartialFile(env.dir, env.db);
  assert((await activityStats(env.db)).downloaded < expected, "the killed runs did not finish everything");

  // The rerun removes stale temp files and completes.
  const r = await downloadMissing(env.ctx, recordingReporter());
  assertEquals(r.failed, 0);
  const stats = await activityStats(env.db);
  assertEquals([stats.downloaded, stats.missing, stats.failed], [expected, 0, 0]);
  assertEquals([...Deno.readDirSync(env.dir)].filter((e) => e.name.includes(".tmp-")).map((e) => e.name), []);
  await assertNoPartialFile(env.dir, env.db);
  assertEquals(activityFiles(env.dir).length, expected);
});
