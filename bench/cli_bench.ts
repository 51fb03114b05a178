/**
 * CLI and start-up benchmarks: `list --all --offline` over 100,000 stored activities (time and peak RSS of the
 * listing process), and cold start of the daemon to its first 200 on /healthz (warm module cache).
 */
import { migrate, openDb } from "../db/client.ts";
import { runChild } from "./proc.ts";

const CHILD = new URL("./child_main.ts", import.meta.url).pathname;
const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** Inserts `n` plausible activities straight into the database (bench set-up only). */
export async function seedActivities(dbUrl: string, n: number): Promise<void> {
  const db = await openDb(dbUrl);
  await migrate(db);
  const now = new Date().toISOString();
  const types = ["running", "cycling", "walking", "swimming", "strength_training", "hiking"];
  const states = ["downloaded", "downloaded", "downloaded", "missing", "no_file", "failed"];
  const t0 = Date.UTC(2015, 0, 1);
  for (let start = 0; start < n; start += 2000) {
    const stmts = [];
    for (let i = start; i < Math.min(n, start + 2000); i++) {
      const id = 10_000_000_000 + i;
      const ts = new Date(t0 + i * 3_600_000 * 2.5);
      const gmt = ts.toISOString().slice(0, 19).replace("T", " ");
      const state = states[i % states.length];
      stmts.push({
        sql: `INSERT INTO activities (activity_id, name, activity_type, start_time_local, start_time_gmt, duration_s,
              distance_m, calories, avg_hr, max_hr, state, file_name, file_size, sha256, attempts, first_seen_at,
              last_seen_at, raw_json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
        args: [
          id,
          `Activity ${i}`,
          types[i % types.length],
          gmt,
          gmt,
          1800 + (i % 3600),
          5000 + (i % 20000),
          400,
          140,
          170,
          state,
          state === "downloaded" ? `activity_${id}_${gmt.replace(/:/g, "-").replace(" ", "_")}.fit` : null,
          state === "downloaded" ? 50_000 : null,
          null,
          state === "failed" ? 1 : 0,
          now,
          now,
          JSON.stringify({ activityId: id, activityName: `Activity ${i}` }),
        ],
      });
    }
    await db.batch(stmts, "write");
  }
  db.close();
}

/** `list --all --offline` at `n` activities. */
export async function benchListOffline(n: number): Promise<Record<string, number>> {
  const dir = await Deno.makeTempDir({ prefix: "garminsync-bench-" });
  try {
    await seedActivities(`file:${dir}/garmin.db`, n);
    const env = { ...Deno.env.toObject(), GARMINSYNC_DATA_DIR: dir };
    await runChild(CHILD, ["list", "--all", "--offline"], env); // warm the module cache
    const r = await runChild(CHILD, ["list", "--all", "--offline"], env);
    if (r.code !== 0) throw new Error(`list failed: ${r.stderr.slice(-2000)}`);
    return {
      activities: n,
      process_seconds: Math.round(r.ms) / 1000,
      command_seconds: Number(r.report?.ms) / 1000,
      peak_rss_mib: r.peakRssMiB ?? NaN,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Cold start: spawn `main.ts daemon --start` and time until /healthz answers 200. */
export async function benchColdStart(runs = 3): Promise<Record<string, number>> {
  const times: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const dir = await Deno.makeTempDir({ prefix: "garminsync-bench-" });
    const port = 18_000 + Math.floor(Math.random() * 2000);
    const t0 = performance.now();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "daemon", "--start", "--port", String(port)],
      env: { ...Deno.env.toObject(), GARMINSYNC_DATA_DIR: dir },
      stdout: "null",
      stderr: "null",
    }).spawn();
    let ms = NaN;
    const deadline = t0 + 20_000;
    while (performance.now() < deadline) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`);
        await r.body?.cancel();
        if (r.status === 200) {
          ms = performance.now() - t0;
          break;
        }
      } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill("SIGTERM");
    await child.status;
    await Deno.remove(dir, { recursive: true });
    if (i > 0) times.push(ms); // the first run warms the cache
  }
  times.sort((a, b) => a - b);
  return {
    runs,
    median_ms: Math.round(times[Math.floor(times.length / 2)]),
    max_ms: Math.round(times[times.length - 1]),
  };
}

if (import.meta.main) {
  console.log(
    JSON.stringify({ list_offline: await benchListOffline(100_000), cold_start: await benchColdStart() }, null, 2),
  );
}
