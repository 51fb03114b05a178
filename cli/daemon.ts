/**
 * `daemon --start [--port N] [--host H]`, `daemon --stop`, `daemon --status`.
 * Exit codes: 0 success (and `--stop` when nothing was running: stopping is idempotent, as systemd and LSB
 * expect), 1 runtime failure (could not start, did not stop in time), 2 bad flags, 3 `--status` not running.
 */
import type { Command } from "./context.ts";
import { UsageError } from "./context.ts";
import { parseFlags } from "./args.ts";
import { HelpRequested } from "./list.ts";
import { runDaemon } from "../daemon/daemon.ts";
import { isLiveDaemon, pidFilePath, type PidInfo, processAlive, readPidFile, releasePidFile } from "../daemon/pid.ts";

/** Usage text of the daemon command. */
export const DAEMON_USAGE = `Usage:
  garminsync daemon --start [--port N] [--host H]   run the API, dashboard and schedule in the foreground
  garminsync daemon --stop                          stop the running daemon (waits until it is gone)
  garminsync daemon --status                        running or not, port, schedule, next run

--port and --host override GARMINSYNC_PORT and GARMINSYNC_HOST (default 127.0.0.1:8080).
Exit codes: 0 ok, 1 failure, 2 bad flags, 3 not running (--status).
`;

const FLAGS = {
  start: { type: "boolean" },
  stop: { type: "boolean" },
  status: { type: "boolean" },
  port: { type: "string" },
  host: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** What the daemon command was asked to do (pure: unit-tested). */
export type DaemonAction =
  | { action: "start"; port?: number; host?: string }
  | { action: "stop" }
  | { action: "status" }
  | { action: "help" };

/** Parses the daemon flags; UsageError (exit 2) on anything unclear. */
export function parseDaemonArgs(argv: string[]): DaemonAction {
  const { values } = parseFlags(argv, FLAGS, DAEMON_USAGE);
  if (values.help) return { action: "help" };
  const chosen = (["start", "stop", "status"] as const).filter((k) => values[k]);
  if (chosen.length !== 1) {
    throw new UsageError(
      chosen.length === 0
        ? "daemon needs one of --start, --stop or --status"
        : `daemon takes one action, got ${chosen.map((c) => `--${c}`).join(" and ")}`,
      DAEMON_USAGE,
    );
  }
  const action = chosen[0];
  if (action !== "start" && (values.port !== undefined || values.host !== undefined)) {
    throw new UsageError(`--port and --host go with --start only`, DAEMON_USAGE);
  }
  if (action !== "start") return { action };
  let port: number | undefined;
  if (values.port !== undefined) {
    if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) {
      throw new UsageError(`--port must be a whole number 0-65535, got ${JSON.stringify(values.port)}`, DAEMON_USAGE);
    }
    port = Number(values.port);
  }
  const host = values.host?.trim();
  if (host !== undefined && (!host || /[\s/]/.test(host))) {
    throw new UsageError(`--host must be a host name or IP address, got ${JSON.stringify(values.host)}`, DAEMON_USAGE);
  }
  return { action: "start", port, host };
}

/** The address a client on this machine uses to reach a daemon listening on `host`. */
function clientHost(host: string): string {
  if (host === "0.0.0.0" || host === "" || host === "*") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "[::1]";
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

interface DaemonStatusAnswer {
  daemon?: { enabled?: boolean; schedule?: string; next_run?: string | null; last_run?: string | null };
  sync?: { status?: string; job_type?: string | null; progress?: number };
}

async function askDaemon(info: PidInfo, token: string | undefined): Promise<DaemonStatusAnswer> {
  const res = await fetch(`http://${clientHost(info.host)}:${info.port}/api/status`, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(3000),
  });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  return await res.json();
}

/** The `daemon` command. */
export const daemonCommand: Command = async (argv, ctx) => {
  const parsed = parseDaemonArgs(argv);
  const { io, config } = ctx;
  const pidPath = pidFilePath(config.dataDir);
  switch (parsed.action) {
    case "help":
      throw new HelpRequested(DAEMON_USAGE);
    case "start": {
      const deps = await ctx.open();
      return await runDaemon(deps, { host: parsed.host ?? config.host, port: parsed.port ?? config.port });
    }
    case "status": {
      const info = await readPidFile(pidPath);
      if (!info || !await isLiveDaemon(info)) {
        io.stdout(`not running${info ? ` (stale PID file ${pidPath} from pid ${info.pid})` : ""}\n`);
        return 3;
      }
      const lines = [`running (pid ${info.pid}) on http://${clientHost(info.host)}:${info.port}`];
      try {
        const s = await askDaemon(info, config.apiToken);
        const d = s.daemon ?? {};
        lines.push(`schedule: ${d.schedule ?? "?"} (${d.enabled ? "enabled" : "disabled"})`);
        lines.push(`next run: ${d.enabled ? d.next_run ?? "none" : "none (schedule disabled)"}`);
        lines.push(`last scheduled run: ${d.last_run ?? "never"}`);
        const job = s.sync;
        if (job?.status) {
          lines.push(
            `sync: ${job.status}${
              job.job_type ? ` (${job.job_type}, ${Math.round((job.progress ?? 0) * 100)} %)` : ""
            }`,
          );
        }
      } catch (e) {
        lines.push(
          `schedule: unknown (the daemon did not answer on port ${info.port}: ${e instanceof Error ? e.message : e})`,
        );
      }
      io.stdout(lines.join("\n") + "\n");
      return 0;
    }
    case "stop": {
      const info = await readPidFile(pidPath);
      if (!info || !await isLiveDaemon(info)) {
        if (info) await releasePidFile(pidPath, info.pid);
        io.stdout("not running: nothing to stop\n");
        return 0;
      }
      Deno.kill(info.pid, "SIGTERM");
      io.stdout(`stopping the daemon (pid ${info.pid})...\n`);
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        if (processAlive(info.pid) === false) {
          io.stdout("stopped\n");
          return 0;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      io.stderr(
        `the daemon (pid ${info.pid}) is still running 15 s after SIGTERM: ` +
          `check its log, or end it with \`kill -9 ${info.pid}\`\n`,
      );
      return 1;
    }
  }
};
