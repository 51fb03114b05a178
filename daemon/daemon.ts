/**
 * `runDaemon`: the HTTP server and the cron schedule in one foreground process (Docker and systemd friendly).
 * Start: PID file (refuse a live owner, take over a stale one), scheduler, Deno.serve. Stop (SIGINT/SIGTERM or
 * `signal`): no new scheduled runs, no new connections, the running sync stops at a safe point (its log row says
 * interrupted), the server and DB close and the PID file goes, all within 10 s.
 */
import type { AppDeps, Scheduler } from "../lib/deps.ts";
import { createApp } from "../routes/app.ts";
import { createScheduler } from "./scheduler.ts";
import { startIdleRefresh } from "../sync/garmin/garmin.ts";
import {
  acquirePidFile,
  DaemonAlreadyRunning,
  pidFilePath,
  processStartTicks,
  releasePidFile,
  updatePidFile,
} from "./pid.ts";

/** Where to listen, and how to be stopped. */
export interface DaemonOptions {
  host: string;
  port: number;
  /** Aborting it stops the daemon like SIGTERM does (tests, embedding). */
  signal?: AbortSignal;
  /** A ready scheduler; by default the daemon creates one from deps (or uses deps.scheduler). */
  scheduler?: Scheduler;
  /** Listen for SIGINT/SIGTERM (default true). */
  handleSignals?: boolean;
  /** Called once listening, with the real port (useful with port 0). */
  onListen?: (addr: { hostname: string; port: number }) => void;
}

/** Total time the shutdown may take before the process must exit anyway. */
const SHUTDOWN_BUDGET_MS = 9_000;

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** The loud warning printed when the daemon listens beyond this machine without an API token (else none). */
export function exposureWarning(host: string, apiToken: string | undefined): string[] {
  if (isLoopback(host) || apiToken) return [];
  const bar = "!".repeat(78);
  return [
    bar,
    `LISTENING ON ${host} WITHOUT GARMINSYNC_API_TOKEN: anyone who can reach this address`,
    "can read your data, start syncs and change the schedule. Set GARMINSYNC_API_TOKEN (8+ characters)",
    "or listen on 127.0.0.1 (GARMINSYNC_HOST / --host).",
    bar,
  ];
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    Deno.unrefTimer(t);
  });
}

/** Runs the daemon until stopped; returns the process exit code (0 clean stop, 1 could not start). */
export async function runDaemon(deps: AppDeps, options: DaemonOptions): Promise<number> {
  const { log, config } = deps;
  const pidPath = pidFilePath(config.dataDir);
  const startedAt = new Date().toISOString();
  const startTicks = processStartTicks(Deno.pid) ?? undefined;
  try {
    await Deno.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
    const tookOver = await acquirePidFile(pidPath, {
      pid: Deno.pid,
      port: options.port,
      host: options.host,
      started_at: startedAt,
      start_ticks: startTicks,
    });
    if (tookOver) log.warn(`took over a stale PID file at ${pidPath} (its daemon is no longer running)`);
  } catch (e) {
    log.error(e instanceof DaemonAlreadyRunning ? e.message : `cannot write the PID file ${pidPath}: ${e}`);
    return 1;
  }

  for (const line of exposureWarning(options.host, config.apiToken)) log.warn(line);

  const scheduler = options.scheduler ?? deps.scheduler ??
    createScheduler({ db: deps.db, jobs: deps.jobs, log, config, clock: deps.clock });
  const app = createApp({ ...deps, scheduler });
  // Keeps the rotating refresh token's window rolling while no sync runs (Garmin's refresh tokens last ~30 days).
  const idleRefresh = startIdleRefresh(deps.garmin, log);

  const stopRequested = Promise.withResolvers<string>();
  const serverAbort = new AbortController();
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: options.host,
      port: options.port,
      signal: serverAbort.signal,
      onListen: () => {},
    }, app.fetch);
  } catch (e) {
    scheduler.stop();
    idleRefresh.stop();
    await releasePidFile(pidPath);
    const why = e instanceof Deno.errors.AddrInUse
      ? `port ${options.port} on ${options.host} is already in use: choose another with --port or GARMINSYNC_PORT`
      : `cannot listen on ${options.host}:${options.port}: ${e instanceof Error ? e.message : e}`;
    log.error(why);
    return 1;
  }
  const port = server.addr.port;
  await updatePidFile(pidPath, {
    pid: Deno.pid,
    port,
    host: options.host,
    started_at: startedAt,
    start_ticks: startTicks,
  });
  const shown = options.host.includes(":") ? `[${options.host}]` : options.host;
  log.info(`GarminSync daemon (pid ${Deno.pid}) listening on http://${shown}:${port}`);
  options.onListen?.({ hostname: options.host, port });

  const handleSignals = options.handleSignals ?? true;
  const onSigint = () => stopRequested.resolve("SIGINT");
  const onSigterm = () => stopRequested.resolve("SIGTERM");
  if (handleSignals) {
    Deno.addSignalListener("SIGINT", onSigint);
    Deno.addSignalListener("SIGTERM", onSigterm);
  }
  const onAbort = () => stopRequested.resolve("stop requested");
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });

  const reason = await stopRequested.promise;
  const deadline = Date.now() + SHUTDOWN_BUDGET_MS;
  log.info(`${reason}: shutting down (the running sync stops at a safe point)`);
  scheduler.stop();
  idleRefresh.stop();
  // Stop taking connections now; in-flight requests finish (bounded below).
  const closed = server.shutdown();
  try {
    await deps.jobs.shutdown(Math.max(1000, deadline - Date.now() - 1500));
  } catch (e) {
    log.warn(`the running sync did not stop cleanly: ${e instanceof Error ? e.message : e}`);
  }
  const left = Math.max(200, deadline - Date.now() - 500);
  const finished = await Promise.race([closed.then(() => true), delay(left).then(() => false)]);
  if (!finished) {
    // Long-lived connections (an open keep-alive, a slow download) must not hold the exit past the budget.
    serverAbort.abort();
    await Promise.race([server.finished, delay(300)]);
  }
  if (handleSignals) {
    Deno.removeSignalListener("SIGINT", onSigint);
    Deno.removeSignalListener("SIGTERM", onSigterm);
  }
  options.signal?.removeEventListener("abort", onAbort);
  try {
    deps.db.close();
  } catch (e) {
    log.warn(`closing the database failed: ${e instanceof Error ? e.message : e}`);
  }
  await releasePidFile(pidPath).catch((e) => log.warn(`could not remove the PID file ${pidPath}: ${e}`));
  log.info("GarminSync daemon stopped");
  return 0;
}
