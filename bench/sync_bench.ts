/**
 * Sync benchmarks against the in-process simulator, the sync itself running in a child process (so its RSS is
 * GarminSync's alone): full-sync throughput and peak RSS at 1k and 2k activities (request delay 0), and the number
 * of requests an incremental sync makes with 0, 3 and 250 new activities.
 */
import { startSimulator } from "../sim/server.ts";
import { migrate, openDb } from "../db/client.ts";
import { loadConfig } from "../lib/config.ts";
import { createLogger } from "../lib/log.ts";
import { createGarmin } from "../sync/garmin/garmin.ts";
import { runChild } from "./proc.ts";

const CHILD = new URL("./child_main.ts", import.meta.url).pathname;

async function loggedInDataDir(
  simUrl: string,
  email: string,
  password: string,
): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = await Deno.makeTempDir({ prefix: "garminsync-bench-" });
  const env = { GARMINSYNC_DATA_DIR: dir, GARMINSYNC_GARMIN_URL: simUrl, GARMINSYNC_REQUEST_DELAY_MS: "0" };
  const config = loadConfig(env);
  const db = await openDb(config.dbUrl);
  await migrate(db);
  const garmin = createGarmin({ db, config, log: createLogger({ level: "error" }) });
  await garmin.auth.login(email, password);
  db.close();
  return { dir, env: { ...Deno.env.toObject(), ...env } };
}

/** Full sync of `n` activities: activities/s and peak RSS of the syncing process. */
export async function benchFullSync(n: number): Promise<Record<string, number>> {
  const sim = await startSimulator({ activities: n, healthDays: 1, workouts: 0 });
  try {
    const { dir, env } = await loggedInDataDir(sim.url, sim.account.email, sim.account.password);
    try {
      const r = await runChild(CHILD, ["sync", "activities"], env);
      if (r.code !== 0) throw new Error(`sync failed (${r.code}): ${r.stderr.slice(-2000)}`);
      const files = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".fit")).length;
      const inner = Number(r.report?.ms ?? r.ms);
      return {
        activities: n,
        fit_files: files,
        seconds: Math.round(inner) / 1000,
        activities_per_s: Math.round((n / (inner / 1000)) * 10) / 10,
        peak_rss_mib: r.peakRssMiB ?? NaN,
      };
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  } finally {
    await sim.close();
  }
}

/** Requests made by an incremental sync after `fresh` new activities appear (first sync of `base` done before). */
export async function benchIncremental(base: number, freshCounts: number[]): Promise<Record<string, number>[]> {
  const sim = await startSimulator({ activities: base, healthDays: 1, workouts: 0 });
  const out: Record<string, number>[] = [];
  try {
    const { dir, env } = await loggedInDataDir(sim.url, sim.account.email, sim.account.password);
    try {
      const first = await runChild(CHILD, ["sync", "activities"], env);
      if (first.code !== 0) throw new Error(`first sync failed: ${first.stderr.slice(-2000)}`);
      for (const fresh of freshCounts) {
        if (fresh) sim.addActivities(fresh);
        sim.resetCalls();
        const r = await runChild(CHILD, ["sync", "activities"], env);
        if (r.code !== 0) throw new Error(`incremental sync failed: ${r.stderr.slice(-2000)}`);
        out.push({
          new_activities: fresh,
          list_calls: sim.calls(/activitylist-service/).length,
          downloads: sim.calls(/download-service/).length,
          total_requests: sim.calls().length,
          seconds: Math.round(Number(r.report?.ms ?? r.ms)) / 1000,
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  } finally {
    await sim.close();
  }
  return out;
}

if (import.meta.main) {
  const r1 = await benchFullSync(1000);
  const r2 = await benchFullSync(2000);
  console.log(JSON.stringify({ full_1k: r1, full_2k: r2, ratio_2k_to_1k: r2.seconds / r1.seconds }, null, 2));
  console.log(JSON.stringify(await benchIncremental(300, [0, 3, 250]), null, 2));
}
