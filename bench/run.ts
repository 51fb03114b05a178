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
  const k1 = await benchFullSync(1000);
  const k2 = await benchFullSync(2000);
  results.full_sync = { "1k": k1, "2k": k2, time_ratio_2k_to_1k: Math.round((k2.seconds / k1.seconds) * 100) / 100 };
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
