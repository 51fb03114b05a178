/**
 * Helpers for benchmarks that measure a child process: run `deno run -A <script>` with an environment and
 * collect its wall time, exit code, output and peak RSS (VmHWM, printed by the child itself as a last JSON line).
 */

/** Result of one child run. */
export interface ChildResult {
  code: number;
  ms: number;
  stdout: string;
  stderr: string;
  /** Peak resident set size in MiB as reported by the child (VmHWM), when it printed one. */
  peakRssMiB?: number;
  /** The child's last JSON line (its own measurements), when it printed one. */
  report?: Record<string, unknown>;
}

/** Runs `deno run -A script ...args` and measures it. */
export async function runChild(script: string, args: string[], env: Record<string, string>): Promise<ChildResult> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  let report: Record<string, unknown> | undefined;
  const last = stdout.trim().split("\n").pop() ?? "";
  if (last.startsWith("{")) {
    try {
      report = JSON.parse(last);
    } catch { /* not a report */ }
  }
  return { code: out.code, ms, stdout, stderr, report, peakRssMiB: report?.peak_rss_mib as number | undefined };
}

/** Peak RSS of this process so far, in MiB (Linux VmHWM). */
export function peakRssMiB(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const m = status.match(/VmHWM:\s+(\d+) kB/);
  return m ? Math.round(Number(m[1]) / 1024 * 10) / 10 : NaN;
}

/** p-th percentile (0-100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i];
}
