/**
 * `deno task bench`: every benchmark in one go (so ratios hold on a noisy machine), printed as JSON and saved to
 * bench/results/latest.json with the machine it ran on.
 */
import { benchFullSync, benchIncremental } from "./sync_bench.ts";
import { benchColdStart, benchListOffline } from "./cli_bench.ts";
import { benchStatusLoad } from "./status_load.ts";
import { benchPages } from "./pages_bench.ts";

function machine(): Record<string, unknown> {
  const cpu = Deno.readTextFileSync("/proc/cpuinfo").match(/model name\s*:\s*(.+)/)?.[1] ?? "unknown";
  const mem = Deno.readTextFileSync("/proc/meminfo").match(/MemTotal:\s+(\d+)/)?.[1];
  return {
    cpu,
    cores: navigator.hardwareConcurrency,
    mem_gib: mem ? Math.round(Number(mem) / 1024 / 1024) : null,
    deno: Deno.version.deno,
    date: new Date().toISOString(),
  };
}

const only = Deno.args.length ? new Set(Deno.args) : null;
const want = (name: string) => !only || only.has(name);
const results: Record<string, unknown> = { machine: machine() };

if (want("sync")) {
  // 1k and 2k alternate three times, so drift on a noisy machine hits both sizes alike; medians are reported.
  const runs: Record<string, Record<string, number>[]> = { "1k": [], "2k": [] };
  for (let i = 0; i < 3; i++) {
    runs["1k"].push(await benchFullSync(1000));
    runs["2k"].push(await benchFullSync(2000));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const summary = (rs: Record<string, number>[]) => ({
    activities: rs[0].activities,
    fit_files: rs[0].fit_files,
    seconds_median: median(rs.map((r) => r.seconds)),
    seconds_all: rs.map((r) => r.seconds),
    activities_per_s_median: median(rs.map((r) => r.activities_per_s)),
    peak_rss_mib_max: Math.max(...rs.map((r) => r.peak_rss_mib)),
  });
  const s1 = summary(runs["1k"]), s2 = summary(runs["2k"]);
  results.full_sync = {
    "1k": s1,
    "2k": s2,
    time_ratio_2k_to_1k: Math.round((s2.seconds_median / s1.seconds_median) * 100) / 100,
  };
  console.error("full sync done", JSON.stringify(results.full_sync));
}
if (want("incremental")) {
  results.incremental_sync = await benchIncremental(300, [0, 3, 250]);
  console.error("incremental done", JSON.stringify(results.incremental_sync));
}
if (want("status")) {
  results.status_load = await benchStatusLoad({});
  console.error("status load done", JSON.stringify(results.status_load));
}
if (want("pages")) {
  results.pages = await benchPages({});
  console.error("pages done", JSON.stringify(results.pages));
}
if (want("list")) {
  results.list_offline = await benchListOffline(100_000);
  console.error("list done", JSON.stringify(results.list_offline));
}
if (want("start")) {
  results.cold_start = await benchColdStart();
  console.error("cold start done", JSON.stringify(results.cold_start));
}

await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
await Deno.writeTextFile(new URL("./results/latest.json", import.meta.url), JSON.stringify(results, null, 2) + "\n");
console.log(JSON.stringify(results, null, 2));
