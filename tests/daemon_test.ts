/**
 * The daemon through child processes (`deno run -A main.ts daemon ...`): start, status exit codes, stop,
 * refusing a live PID file, taking over a stale one, SIGTERM mid-sync. Plus the pure parts in-process.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { waitFor } from "./fixtures/api/deps.ts";
import { startSimulator } from "../sim/server.ts";
import { openDb } from "../db/client.ts";
import { listLogs } from "../db/logs.ts";
import { fitProblem } from "../sync/fit.ts";
import {
  isLiveDaemon,
  pidFilePath,
  type PidInfo,
  processAlive,
  processStartTicks,
  readPidFile,
} from "../daemon/pid.ts";
import { exposureWarning, isLoopback, runDaemon } from "../daemon/daemon.ts";
import { parseDaemonArgs } from "../cli/daemon.ts";
import { UsageError } from "../cli/context.ts";
import { apiFixture } from "./fixtures/api/deps.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** A child process with its output collected as it comes (so pipes never fill up). */
interface Proc {
  child: Deno.ChildProcess;
  status: Promise<Deno.CommandStatus>;
  output(): string;
}

function spawnMain(args: string[], env: Record<string, string>): Proc {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const dec = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) out += dec.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  // Awaiting the status right away reaps the child as soon as it exits (no zombie that still answers signal 0).
  const status = child.status.then(async (s) => {
    await pumps;
    return s;
  });
  return { child, status, output: () => out };
}

async function runMain(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  const p = spawnMain(args, env);
  const s = await p.status;
  return { code: s.code, out: p.output() };
}

function envFor(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    GARMINSYNC_DATA_DIR: dir,
    GARMINSYNC_GARMIN_URL: "http://127.0.0.1:9",
    GARMINSYNC_REQUEST_DELAY_MS: "0",
    GARMINSYNC_HOST: "127.0.0.1",
    ...extra,
  };
}

/** Waits until the daemon wrote its PID file with the real port and answers /healthz. */
async function waitReady(dir: string, proc: Proc): Promise<PidInfo> {
  return await waitFor(
    async () => {
      const info = await readPidFile(pidFilePath(dir));
      if (!info || info.port === 0) return null;
      try {
        const res = await fetch(`http://127.0.0.1:${info.port}/healthz`);
        await res.body?.cancel();
        return res.ok ? info : null;
      } catch {
        return null;
      }
    },
    20_000,
    50,
  ).catch((e) => {
    throw new Error(`${e.message}; daemon output:\n${proc.output()}`);
  });
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gs_daemon_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function stopChild(p: Proc): void {
  try {
    p.child.kill("SIGKILL");
  } catch { /* already gone */ }
}

Deno.test("[daemon] start, status 0 with port/schedule/next run, stop, status 3, stop again 0", async () => {
  await withTempDir(async (dir) => {
    const env = envFor(dir, { GARMINSYNC_SCHEDULE: "15 3 * * *" });
    const d = spawnMain(["daemon", "--start", "--port", "0"], env);
    try {
      const info = await waitReady(dir, d);
      assertEquals(info.pid, d.child.pid);
      assertEquals(info.host, "127.0.0.1");
      assert(info.port > 0);
      assert(!Number.isNaN(Date.parse(info.started_at)));
      assertEquals(info.start_ticks, processStartTicks(d.child.pid), "the PID file records the start time");

      const st = await runMain(["daemon", "--status"], env);
      assertEquals(st.code, 0, st.out);
      assertStringIncludes(st.out, `running (pid ${d.child.pid}) on http://127.0.0.1:${info.port}`);
      assertStringIncludes(st.out, "schedule: 15 3 * * * (enabled)");
      assertMatch(st.out, /next run: \d{4}-\d{2}-\d{2}T03:15:00/);

      // Bodies without a Content-Length (a DELETE from fetch, a streamed POST) are read without rebuilding the
      // Request, so Deno.serve never prints its "request.signal aborts on successful responses" warning.
      const base = `http://127.0.0.1:${info.port}`;
      const del = await fetch(`${base}/api/logs`, { method: "DELETE" });
      assertEquals(del.status, 200, await del.text());
      const streamed = await fetch(`${base}/api/schedule`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: ReadableStream.from([new TextEncoder().encode('{"enabled": true}')]),
      });
      assertEquals(streamed.status, 200, await streamed.text());

      const stop = await runMain(["daemon", "--stop"], env);
      assertEquals(stop.code, 0, stop.out);
      assertStringIncludes(stop.out, "stopped");
      const s = await d.status;
      assertEquals(s.code, 0, d.output());
      assertStringIncludes(d.output(), "GarminSync daemon stopped");
      assert(!d.output().includes("request.signal"), `Deno's legacy-abort warning in the log:\n${d.output()}`);
      assertEquals(await readPidFile(pidFilePath(dir)), null);

      const after = await runMain(["daemon", "--status"], env);
      assertEquals(after.code, 3);
      assertStringIncludes(after.out, "not running");
      const again = await runMain(["daemon", "--stop"], env);
      assertEquals(again.code, 0);
      assertStringIncludes(again.out, "not running");
    } finally {
      stopChild(d);
      await d.status;
    }
  });
});

Deno.test("[daemon] a second daemon on the same data folder refuses to start (exit 1)", async () => {
  await withTempDir(async (dir) => {
    const env = envFor(dir);
    const a = spawnMain(["daemon", "--start", "--port", "0"], env);
    try {
      const info = await waitReady(dir, a);
      const b = await runMain(["daemon", "--start", "--port", "0"], env);
      assertEquals(b.code, 1, b.out);
      assertStringIncludes(b.out, `already running (pid ${info.pid}`);
      assertEquals((await readPidFile(pidFilePath(dir)))?.pid, info.pid, "the live daemon keeps its PID file");
      a.child.kill("SIGINT");
      assertEquals((await a.status).code, 0);
    } finally {
      stopChild(a);
      await a.status;
    }
  });
});

Deno.test("[daemon] a stale PID file (dead pid, or a pid reused by another program) is taken over", async () => {
  await withTempDir(async (dir) => {
    const env = envFor(dir);
    const dead = new Deno.Command("true").spawn();
    const deadPid = dead.pid;
    await dead.status;
    const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
    try {
      for (const pid of [deadPid, sleeper.pid]) {
        await Deno.writeTextFile(
          pidFilePath(dir),
          JSON.stringify({ pid, port: 1, host: "127.0.0.1", started_at: "2024-01-01T00:00:00Z" }),
        );
        const st = await runMain(["daemon", "--status"], env);
        assertEquals(st.code, 3, st.out);
        assertStringIncludes(st.out, "stale PID file");
        const d = spawnMain(["daemon", "--start", "--port", "0"], env);
        try {
          const info = await waitReady(dir, d);
          assertEquals(info.pid, d.child.pid);
          assertStringIncludes(d.output(), "took over a stale PID file");
          d.child.kill("SIGTERM");
          assertEquals((await d.status).code, 0);
        } finally {
          stopChild(d);
          await d.status;
        }
      }
    } finally {
      sleeper.kill("SIGKILL");
      await sleeper.status;
    }
  });
});

Deno.test("[daemon] a pid reused by another program named *daemon* is stale: --stop leaves it alone", async () => {
  await withTempDir(async (dir) => {
    const env = envFor(dir);
    // An unrelated process whose command line contains "daemon", as a reused pid might be.
    const stranger = new Deno.Command("bash", { args: ["-c", "exec -a dbus-daemon sleep 30"] }).spawn();
    const strangerStatus = stranger.status;
    try {
      const pid = stranger.pid;
      await waitFor(async () => /dbus-daemon/.test(await Deno.readTextFile(`/proc/${pid}/cmdline`)), 5000);
      const ticks = processStartTicks(pid);
      assert(ticks !== null && ticks > 0, "this test needs /proc");
      // The PID file of our daemon that ran earlier under the same pid (it started at another time).
      const stale: PidInfo = {
        pid,
        port: 1,
        host: "127.0.0.1",
        started_at: "2024-01-01T00:00:00Z",
        start_ticks: ticks - 1,
      };
      await Deno.writeTextFile(pidFilePath(dir), JSON.stringify(stale));
      assertEquals(await isLiveDaemon(stale), false);
      assertEquals(await isLiveDaemon({ ...stale, start_ticks: ticks }), true, "the same start time is our daemon");

      const st = await runMain(["daemon", "--status"], env);
      assertEquals(st.code, 3, st.out);
      assertStringIncludes(st.out, "stale PID file");
      const stop = await runMain(["daemon", "--stop"], env);
      assertEquals(stop.code, 0, stop.out);
      assertStringIncludes(stop.out, "not running");
      await new Promise((r) => setTimeout(r, 200));
      assert(processAlive(pid), "daemon --stop signalled an unrelated process");
      assertEquals(await readPidFile(pidFilePath(dir)), null, "the stale file was removed");
    } finally {
      stranger.kill("SIGKILL");
      await strangerStatus;
    }
  });
});

Deno.test("[daemon] SIGTERM mid-sync: exit 0 within 10 s, the row says interrupted, no partial file", async () => {
  const sim = await startSimulator({ activities: 30, downloadDelayMs: 250 });
  try {
    await withTempDir(async (dir) => {
      const env = envFor(dir, { GARMINSYNC_GARMIN_URL: sim.url });
      const d = spawnMain(["daemon", "--start", "--port", "0"], env);
      try {
        const info = await waitReady(dir, d);
        const base = `http://127.0.0.1:${info.port}`;
        const login = await fetch(`${base}/garmin/auth/login`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ email: sim.account.email, password: sim.account.password }),
        });
        assertEquals(login.status, 200, await login.text());
        const start = await fetch(`${base}/garmin/activities`, { method: "POST" });
        assertEquals(start.status, 202);
        await start.body?.cancel();
        await waitFor(
          async () => {
            const s = await (await fetch(`${base}/garmin/sync/status`)).json();
            return s.items_done >= 2;
          },
          15_000,
          50,
        );

        const t0 = Date.now();
        d.child.kill("SIGTERM");
        const s = await d.status;
        const took = Date.now() - t0;
        assertEquals(s.code, 0, d.output());
        assert(took < 10_000, `shutdown took ${took} ms`);
        assertStringIncludes(d.output(), "SIGTERM: shutting down");
        assertEquals(await readPidFile(pidFilePath(dir)), null, "PID file removed");

        const db = await openDb(`file:${dir}/garmin.db`);
        try {
          const rows = (await listLogs(db, { operation: "activities", limit: 5, offset: 0 })).rows;
          assertEquals(rows[0].status, "interrupted");
          assert(rows[0].finished_at !== null);
          const counts = await db.execute("SELECT state, COUNT(*) AS n FROM activities GROUP BY state");
          const byState = Object.fromEntries(counts.rows.map((r) => [String(r.state), Number(r.n)]));
          assert((byState.downloaded ?? 0) >= 2 && (byState.missing ?? 0) >= 1, JSON.stringify(byState));
          // Every downloaded row has its whole file; nothing partial or temporary is left.
          const files = new Set<string>();
          for await (const e of Deno.readDir(dir)) files.add(e.name);
          assert(![...files].some((n) => n.includes(".tmp-")), `temp file left: ${[...files]}`);
          const downloaded = await db.execute(
            "SELECT file_name, file_size FROM activities WHERE state = 'downloaded'",
          );
          for (const r of downloaded.rows) {
            const st = await Deno.stat(`${dir}/${r.file_name}`);
            assertEquals(st.size, Number(r.file_size));
          }
          const fits = [...files].filter((n) => n.endsWith(".fit"));
          assertEquals(fits.length, downloaded.rows.length);
        } finally {
          db.close();
        }
      } finally {
        stopChild(d);
        await d.status;
      }
    });
  } finally {
    await sim.close();
  }
});

Deno.test("[daemon] SIGKILL mid-sync, then a restart: idle, the old row interrupted, every FIT file whole", async () => {
  const sim = await startSimulator({ activities: 30, downloadDelayMs: 200 });
  try {
    await withTempDir(async (dir) => {
      const env = envFor(dir, { GARMINSYNC_GARMIN_URL: sim.url });
      const first = spawnMain(["daemon", "--start", "--port", "0"], env);
      let base = "";
      try {
        const info = await waitReady(dir, first);
        base = `http://127.0.0.1:${info.port}`;
        const login = await fetch(`${base}/garmin/auth/login`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ email: sim.account.email, password: sim.account.password }),
        });
        assertEquals(login.status, 200, await login.text());
        const start = await fetch(`${base}/garmin/activities`, { method: "POST" });
        assertEquals(start.status, 202);
        await start.body?.cancel();
        await waitFor(async () => (await (await fetch(`${base}/garmin/sync/status`)).json()).items_done >= 2, 15_000);
        first.child.kill("SIGKILL"); // no shutdown code runs: the PID file and a `running` row stay behind
        assertEquals((await first.status).signal, "SIGKILL");
      } finally {
        stopChild(first);
        await first.status;
      }
      assertEquals((await readPidFile(pidFilePath(dir)))?.pid, first.child.pid, "the dead daemon's PID file is left");

      const second = spawnMain(["daemon", "--start", "--port", "0"], env);
      try {
        const info = await waitReady(dir, second);
        assertEquals(info.pid, second.child.pid);
        base = `http://127.0.0.1:${info.port}`;
        const status = await (await fetch(`${base}/garmin/sync/status`)).json();
        assertEquals([status.status, status.job_type, status.progress], ["idle", null, 0]);
        const logs = await (await fetch(`${base}/api/logs?operation=activities`)).json();
        assertEquals(logs.items[0].status, "interrupted", JSON.stringify(logs.items[0]));
        assert(logs.items[0].finished_at !== null);

        // A file with a final name is always whole (temp files may be left by the kill; never a torn .fit).
        const db = await openDb(`file:${dir}/garmin.db`);
        try {
          const rows = await db.execute("SELECT file_name, file_size FROM activities WHERE state = 'downloaded'");
          for (const r of rows.rows) assertEquals((await Deno.stat(`${dir}/${r.file_name}`)).size, Number(r.file_size));
        } finally {
          db.close();
        }
        let fits = 0;
        for await (const e of Deno.readDir(dir)) {
          if (!/^activity_.*\.fit$/.test(e.name)) continue;
          fits++;
          assertEquals(fitProblem(await Deno.readFile(`${dir}/${e.name}`)), null, e.name);
        }
        assert(fits >= 2, `${fits} FIT files before the kill`);
        second.child.kill("SIGTERM");
        assertEquals((await second.status).code, 0, second.output());
      } finally {
        stopChild(second);
        await second.status;
      }
    });
  } finally {
    await sim.close();
  }
});

Deno.test("[daemon] runDaemon in-process: serves the app, stops on its signal, removes the PID file", async () => {
  await using f = await apiFixture();
  const ac = new AbortController();
  let port = 0;
  const done = runDaemon(f.deps, {
    host: "127.0.0.1",
    port: 0,
    signal: ac.signal,
    handleSignals: false,
    onListen: (a) => port = a.port,
  });
  await waitFor(() => port > 0, 5000);
  const res = await fetch(`http://127.0.0.1:${port}/api/status`);
  const body = await res.json();
  assertEquals(res.status, 200);
  assertEquals(body.daemon.running, true);
  assertEquals(body.daemon.enabled, true);
  assertEquals((await readPidFile(pidFilePath(f.dir)))?.port, port);
  ac.abort();
  assertEquals(await done, 0);
  assertEquals(await readPidFile(pidFilePath(f.dir)), null);
  assert(f.logLines.some((l) => l.includes("GarminSync daemon stopped")));
});

Deno.test("[daemon] the loud warning appears only for a non-loopback host without a token", () => {
  assertEquals(exposureWarning("127.0.0.1", undefined), []);
  assertEquals(exposureWarning("localhost", undefined), []);
  assertEquals(exposureWarning("::1", undefined), []);
  assertEquals(exposureWarning("0.0.0.0", "a-long-token"), []);
  const w = exposureWarning("0.0.0.0", undefined);
  assert(w.some((l) => l.includes("LISTENING ON 0.0.0.0 WITHOUT GARMINSYNC_API_TOKEN")));
  assert(isLoopback("127.1.2.3"));
  assert(!isLoopback("192.168.1.5"));
  assert(!isLoopback("::"));
});

Deno.test("[daemon] flag parsing: one action, --port/--host only with --start, bad values are usage errors", () => {
  assertEquals(parseDaemonArgs(["--start"]), { action: "start", port: undefined, host: undefined });
  assertEquals(parseDaemonArgs(["--start", "--port", "9000", "--host", "0.0.0.0"]), {
    action: "start",
    port: 9000,
    host: "0.0.0.0",
  });
  assertEquals(parseDaemonArgs(["--status"]), { action: "status" });
  assertEquals(parseDaemonArgs(["--help"]), { action: "help" });
  for (
    const bad of [
      [],
      ["--start", "--stop"],
      ["--status", "--port", "1"],
      ["--start", "--port", "abc"],
      ["--start", "--port", "70000"],
      ["--start", "--port"],
      ["--start", "--verbose"],
      ["--start", "extra"],
      ["--start", "--host", ""],
    ]
  ) {
    let caught: unknown;
    try {
      parseDaemonArgs(bad);
    } catch (e) {
      caught = e;
    }
    assert(caught instanceof UsageError, `${JSON.stringify(bad)} should be a usage error`);
  }
});

Deno.test("[daemon] bad flags exit 2 with the usage on stderr", async () => {
  await withTempDir(async (dir) => {
    const r = await runMain(["daemon", "--start", "--port", "nope"], envFor(dir));
    assertEquals(r.code, 2);
    assertStringIncludes(r.out, "--port must be a whole number");
    assertStringIncludes(r.out, "Usage:");
  });
});
