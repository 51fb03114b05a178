/**
 * Status polling under load (issue 3 "Measure"): the real daemon (`main.ts daemon --start`, a child process) syncs
 * against the simulator (this process) while a SECOND child hammers GET /garmin/sync/status with N concurrent
 * keep-alive connections for a bounded time, on 127.0.0.1 only. Reports req/s and p50/p99 latency, plus the p50/p99 of
 * POST /garmin/workouts answering 202 (sync start latency), measured from this process before the load.
 *
 * CLI: `deno run -A bench/status_load.ts [--duration-ms 10000] [--concurrency 8] [--starts 100]`
 * (`--load URL` is the load generator's own mode, used by the benchmark itself).
 */
import { parseArgs } from "node:util";
import { startSimulator } from "../sim/server.ts";
import { percentile } from "./proc.ts";

/** Options of the benchmark; all optional. */
export interface StatusLoadOptions {
  /** How long the load runs (default 10 000 ms). */
  durationMs?: number;
  /** Concurrent keep-alive connections in the load process (default 8). */
  concurrency?: number;
  /** Sync starts measured (default 100). */
  starts?: number;
}

const ROOT = new URL("..", import.meta.url).pathname;
const SELF = new URL(import.meta.url).pathname;

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/**
 * The load generator (runs in its own process): `concurrency` keep-alive HTTP/1.1 connections, each sending one
 * GET at a time and reading the answer by Content-Length. Raw TCP instead of fetch(): fetch's own cost in the
 * client process would otherwise be what is measured, like a wrk-style tool avoids.
 */
async function generateLoad(url: string, concurrency: number, durationMs: number): Promise<Record<string, number>> {
  const u = new URL(url);
  if (u.hostname !== "127.0.0.1" || u.protocol !== "http:") {
    throw new Error("the load generator only targets 127.0.0.1");
  }
  const request = new TextEncoder().encode(
    `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: 127.0.0.1:${u.port}\r\nAccept: application/json\r\n\r\n`,
  );
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + durationMs;

  async function loop() {
    let conn: Deno.TcpConn | null = null;
    const buf = new Uint8Array(64 * 1024);
    let have = 0;
    const dec = new TextDecoder();
    while (performance.now() < until) {
      try {
        conn ??= await Deno.connect({ hostname: "127.0.0.1", port: Number(u.port) });
        const t0 = performance.now();
        let off = 0;
        while (off < request.length) off += await conn.write(request.subarray(off));
        // Read the head, then the body by Content-Length.
        let headEnd = -1;
        let status = 0;
        let total = -1;
        while (true) {
          if (headEnd < 0) {
            const text = dec.decode(buf.subarray(0, have));
            const i = text.indexOf("\r\n\r\n");
            if (i >= 0) {
              headEnd = i + 4;
              status = Number(text.slice(9, 12));
              const m = text.slice(0, i).match(/\r\ncontent-length:\s*(\d+)/i);
              if (!m) throw new Error("no content-length");
              total = headEnd + Number(m[1]);
            }
          }
          if (total >= 0 && have >= total) break;
          const n = await conn.read(buf.subarray(have));
          if (n === null) throw new Error("connection closed");
          have += n;
        }
        buf.copyWithin(0, total, have);
        have -= total;
        if (status === 200) latencies.push(performance.now() - t0);
        else errors++;
      } catch {
        errors++;
        try {
          conn?.close();
        } catch { /* closed */ }
        conn = null;
        have = 0;
      }
    }
    try {
      conn?.close();
    } catch { /* closed */ }
  }
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const seconds = (performance.now() - t0) / 1000;
  return {
    requests: latencies.length,
    errors,
    seconds: round(seconds),
    rps: Math.round(latencies.length / seconds),
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
    max_ms: round(latencies.reduce((m, x) => (x > m ? x : m), 0)), // no spread: 100k+ samples overflow the stack
  };
}

async function waitFor<T>(fn: () => Promise<T | null>, timeoutMs: number, what: string): Promise<T> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const v = await fn().catch(() => null);
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function json(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${res.status}: ${text.slice(0, 300)}`);
  }
}

/** Runs the benchmark; returns flat numbers for the results file. */
export async function benchStatusLoad(options: StatusLoadOptions = {}): Promise<Record<string, number>> {
  const durationMs = options.durationMs ?? 10_000;
  const concurrency = options.concurrency ?? 8;
  const starts = options.starts ?? 100;
  // Enough slow downloads that the activities sync is still running when the load ends.
  const activities = Math.ceil((durationMs + 20_000) / 25);
  const sim = await startSimulator({ activities, downloadDelayMs: 25, workouts: 2, healthDays: 1 });
  const dir = await Deno.makeTempDir({ prefix: "garminsync-bench-status-" });
  const daemon = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "daemon", "--start", "--port", "0", "--host", "127.0.0.1"],
    cwd: ROOT,
    env: {
      GARMINSYNC_DATA_DIR: dir,
      GARMINSYNC_GARMIN_URL: sim.url,
      GARMINSYNC_REQUEST_DELAY_MS: "0",
      GARMINSYNC_SCHEDULE: "0 0 1 1 *",
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let daemonLog = "";
  const pump = (async () => {
    const dec = new TextDecoder();
    for await (const c of daemon.stderr) daemonLog += dec.decode(c, { stream: true });
  })();
  try {
    const port = await waitFor(
      async () => {
        const info = JSON.parse(await Deno.readTextFile(`${dir}/garminsync.pid`));
        if (!info.port) return null;
        const res = await fetch(`http://127.0.0.1:${info.port}/healthz`);
        await res.body?.cancel();
        return res.ok ? Number(info.port) : null;
      },
      30_000,
      "the daemon to listen",
    ).catch((e) => {
      throw new Error(`${e.message}\n${daemonLog}`);
    });
    const base = `http://127.0.0.1:${port}`;
    const login = await fetch(`${base}/garmin/auth/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: sim.account.email, password: sim.account.password }),
    });
    const loginBody = await json(login);
    if (loginBody.status !== "authenticated") throw new Error(`login failed: ${JSON.stringify(loginBody)}`);

    // Sync start latency: POST until 202, then wait for the (short) workouts sync to end, repeat.
    const startMs: number[] = [];
    for (let i = 0; i < starts; i++) {
      const t0 = performance.now();
      const res = await fetch(`${base}/garmin/workouts`, { method: "POST" });
      const ms = performance.now() - t0;
      await res.body?.cancel();
      if (res.status !== 202) throw new Error(`start ${i} answered ${res.status}`);
      startMs.push(ms);
      await waitFor(
        async () => {
          const s = await json(await fetch(`${base}/garmin/sync/status`));
          return s.status !== "in_progress" ? s : null;
        },
        30_000,
        "the workouts sync to end",
      );
    }

    // The load: a long activities sync runs while a second process polls the status.
    const started = await fetch(`${base}/garmin/activities`, { method: "POST" });
    await started.body?.cancel();
    if (started.status !== 202) throw new Error(`the activities sync did not start: ${started.status}`);
    const load = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net=127.0.0.1",
        SELF,
        "--load",
        `${base}/garmin/sync/status`,
        "--concurrency",
        String(concurrency),
        "--duration-ms",
        String(durationMs),
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(load.stdout).trim().split("\n").pop() ?? "";
    if (load.code !== 0) throw new Error(`the load generator failed: ${new TextDecoder().decode(load.stderr)}`);
    const r = JSON.parse(out) as Record<string, number>;
    const during = await json(await fetch(`${base}/garmin/sync/status`));
    return {
      status_rps: r.rps,
      status_p50_ms: r.p50_ms,
      status_p99_ms: r.p99_ms,
      status_max_ms: r.max_ms,
      status_requests: r.requests,
      status_errors: r.errors,
      concurrency,
      seconds: r.seconds,
      sync_still_running: during.status === "in_progress" ? 1 : 0,
      sync_items_done: Number(during.items_done ?? 0),
      start_p50_ms: round(percentile(startMs, 50)),
      start_p99_ms: round(percentile(startMs, 99)),
      starts,
    };
  } finally {
    try {
      daemon.kill("SIGTERM");
    } catch { /* gone */ }
    await daemon.status;
    await pump;
    await sim.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      load: { type: "string" },
      concurrency: { type: "string" },
      "duration-ms": { type: "string" },
      starts: { type: "string" },
    },
    strict: true,
  });
  const concurrency = values.concurrency ? Number(values.concurrency) : undefined;
  const durationMs = values["duration-ms"] ? Number(values["duration-ms"]) : undefined;
  if (values.load) {
    console.log(JSON.stringify(await generateLoad(values.load, concurrency ?? 8, durationMs ?? 10_000)));
  } else {
    const starts = values.starts ? Number(values.starts) : undefined;
    console.log(JSON.stringify(await benchStatusLoad({ concurrency, durationMs, starts }), null, 2));
  }
}
