/**
 * Dashboard page benchmark: 100,000 activities (and 5,000 sync-log rows) in a temp libSQL file, then server time
 * of GET / and GET /activities (plus a filtered, a deep and a name-sorted activities page) through
 * `createApp(deps).request()`, p50/p95/max over `requests` runs each after a warm-up, and the HTML size of each.
 * Goal (issue 5): p50 well under 50 ms and every page under 200 KB.
 *
 * CLI: `deno run -A bench/pages_bench.ts [--activities N] [--requests N]` prints the JSON.
 */
import { openDeps } from "../main.ts";
import { parseArgs } from "node:util";
import { loadConfig } from "../lib/config.ts";
import { createLogger } from "../lib/log.ts";
import type { Db } from "../db/client.ts";
import { createApp } from "../routes/app.ts";
import { seedActivities } from "./cli_bench.ts";

/** Options of `benchPages`. */
export interface PagesBenchOptions {
  /** Activities stored (default 100,000). */
  activities?: number;
  /** Timed requests per page (default 200). */
  requests?: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

async function seedLogs(db: Db, n: number): Promise<void> {
  const t0 = Date.UTC(2024, 0, 1);
  const ops = ["full", "activities", "health", "workouts"];
  const statuses = ["success", "success", "partial", "error", "skipped"];
  for (let start = 0; start < n; start += 1000) {
    const stmts = [];
    for (let i = start; i < Math.min(n, start + 1000); i++) {
      const ts = new Date(t0 + i * 3_600_000).toISOString();
      stmts.push({
        sql: "INSERT INTO sync_logs (timestamp, finished_at, operation, status, message, activities_processed, " +
          "activities_downloaded, items_processed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        args: [ts, ts, ops[i % 4], statuses[i % 5], `run ${i}: 12 new activities, 12 downloaded`, 12, 12, 12],
      });
    }
    await db.batch(stmts, "write");
  }
}

/** Seeds a temp DB, times the pages and returns flat numbers (ms and KB). */
export async function benchPages(options: PagesBenchOptions = {}): Promise<Record<string, number>> {
  const n = options.activities ?? 100_000;
  const requests = options.requests ?? 200;
  const dir = await Deno.makeTempDir({ prefix: "garminsync-bench-pages-" });
  const config = loadConfig({
    GARMINSYNC_DATA_DIR: dir,
    GARMINSYNC_REQUEST_DELAY_MS: "0",
    // Nothing here talks to Garmin; a closed port makes sure of it.
    GARMINSYNC_GARMIN_URL: "http://127.0.0.1:9",
  });
  const seedStart = performance.now();
  await seedActivities(config.dbUrl, n);
  const deps = await openDeps(config, createLogger({ sink: () => {} }));
  const { db, jobs } = deps;
  await seedLogs(db, 5000);
  const seedSeconds = (performance.now() - seedStart) / 1000;
  const app = createApp(deps);
  const pages: Record<string, string> = {
    overview: "/",
    activities: "/activities",
    activities_missing: "/activities?filter=missing",
    activities_deep: `/activities?page=${Math.max(1, Math.floor(n / 50 / 2))}`,
    activities_by_name: "/activities?sort=name&order=asc&page=100",
    activities_filtered: "/activities?filter=downloaded&type=cycling&from=2016-01-01&to=2018-12-31",
    logs: "/logs",
    health_year: "/health?days=365",
  };
  const out: Record<string, number> = { activities: n, requests_per_page: requests, seed_seconds: round(seedSeconds) };
  try {
    for (const [name, path] of Object.entries(pages)) {
      let size = 0;
      for (let i = 0; i < 10; i++) await (await app.request(path)).text();
      const times: number[] = [];
      for (let i = 0; i < requests; i++) {
        const t = performance.now();
        const res = await app.request(path);
        const body = await res.text();
        times.push(performance.now() - t);
        if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${body.slice(0, 300)}`);
        size = new TextEncoder().encode(body).length;
      }
      times.sort((a, b) => a - b);
      out[`${name}_p50_ms`] = round(percentile(times, 50));
      out[`${name}_p95_ms`] = round(percentile(times, 95));
      out[`${name}_max_ms`] = round(times[times.length - 1]);
      out[`${name}_html_kb`] = round(size / 1024);
    }
  } finally {
    await jobs.shutdown(1000).catch(() => {});
    db.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return out;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { activities: { type: "string" }, requests: { type: "string" } },
  });
  const result = await benchPages({
    activities: values.activities ? Number(values.activities) : undefined,
    requests: values.requests ? Number(values.requests) : undefined,
  });
  console.log(JSON.stringify(result, null, 2));
}
