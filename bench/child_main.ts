/**
 * Benchmark child: runs one GarminSync command line through main() and prints its own measurements
 * (wall time, peak RSS) as a last JSON line. Usage: deno run -A bench/child_main.ts <command> [flags]
 */
import { main } from "../main.ts";
import { peakRssMiB } from "./proc.ts";

const t0 = performance.now();
const silent = {
  stdout: () => {},
  stderr: (s: string) => Deno.stderr.writeSync(new TextEncoder().encode(s)),
  readLine: () => Promise.resolve(null),
  isTty: false,
};
const code = await main(Deno.args, { io: silent });
console.log(JSON.stringify({ code, ms: Math.round(performance.now() - t0), peak_rss_mib: peakRssMiB() }));
Deno.exit(code);
