/**
 * The daemon's PID file, `<dataDir>/garminsync.pid`: JSON `{pid, port, host, started_at, start_ticks}`. Created
 * with `createNew` so two daemons starting at once cannot both win; a file whose process is gone is stale and taken
 * over. `start_ticks` (the kernel's start time of the process) tells our daemon from a program that later got the
 * same pid, so `daemon --stop` never signals a stranger.
 */
import { processAlive, processStartTicks } from "../lib/process.ts";

export { processAlive, processStartTicks };

/** What the PID file holds. */
export interface PidInfo {
  pid: number;
  port: number;
  host: string;
  started_at: string;
  /** Start time of the process in clock ticks since boot (/proc/<pid>/stat field 22); absent without /proc. */
  start_ticks?: number;
}

/** Where the PID file of a data folder lives. */
export function pidFilePath(dataDir: string): string {
  return `${dataDir}/garminsync.pid`;
}

/** Reads the PID file; null when absent or unreadable (a torn or foreign file counts as stale). */
export async function readPidFile(path: string): Promise<PidInfo | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  try {
    const v = JSON.parse(text);
    if (typeof v?.pid !== "number" || !Number.isInteger(v.pid) || v.pid <= 0) return null;
    const ticks = v.start_ticks;
    return {
      pid: v.pid,
      port: Number(v.port) || 0,
      host: String(v.host ?? "127.0.0.1"),
      started_at: String(v.started_at ?? ""),
      ...(Number.isSafeInteger(ticks) && ticks >= 0 ? { start_ticks: ticks } : {}),
    };
  } catch {
    return null;
  }
}

/**
 * True when the file's process is a live GarminSync daemon other than us. Our own pid means the file is left
 * over from an earlier container run (the daemon is often pid 1 in Docker). Where /proc tells the process start
 * time, a different one than the file records means the pid was reused by another program. A file without it
 * (written by an older version) falls back to the command line: one mentioning neither "daemon" nor "garminsync"
 * is an unrelated program.
 */
export async function isLiveDaemon(info: PidInfo): Promise<boolean> {
  // Unknown (no /proc, no probe permission) counts as alive: never take over a daemon that may be running.
  if (info.pid === Deno.pid || processAlive(info.pid) === false) return false;
  if (info.start_ticks !== undefined) {
    const now = processStartTicks(info.pid);
    if (now !== null) return now === info.start_ticks;
  }
  try {
    const cmdline = (await Deno.readTextFile(`/proc/${info.pid}/cmdline`)).replaceAll("\0", " ");
    return /daemon|garminsync/i.test(cmdline);
  } catch {
    return true; // no /proc (macOS) or not readable: trust the pid
  }
}

/** Thrown when a live daemon already owns the data folder. */
export class DaemonAlreadyRunning extends Error {
  constructor(readonly info: PidInfo, path: string) {
    super(
      `a GarminSync daemon is already running (pid ${info.pid}, port ${info.port}, started ${info.started_at}); ` +
        `stop it with \`garminsync daemon --stop\` (PID file ${path})`,
    );
    this.name = "DaemonAlreadyRunning";
  }
}

/**
 * Creates the PID file for `info`, taking over a stale one; throws DaemonAlreadyRunning when a live daemon owns
 * it. Returns true when a stale file was replaced.
 */
export async function acquirePidFile(path: string, info: PidInfo): Promise<boolean> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await Deno.writeTextFile(path, JSON.stringify(info) + "\n", { createNew: true, mode: 0o644 });
      return attempt > 0;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    const existing = await readPidFile(path);
    if (existing && await isLiveDaemon(existing)) throw new DaemonAlreadyRunning(existing, path);
    try {
      await Deno.remove(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  const existing = await readPidFile(path);
  throw new DaemonAlreadyRunning(existing ?? { ...info, pid: 0 }, path);
}

/** Rewrites our PID file atomically (e.g. with the real port after listening on port 0). */
export async function updatePidFile(path: string, info: PidInfo): Promise<void> {
  const tmp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(info) + "\n", { mode: 0o644 });
  await Deno.rename(tmp, path);
}

/** Removes the PID file if it is still ours. */
export async function releasePidFile(path: string, pid = Deno.pid): Promise<void> {
  const existing = await readPidFile(path);
  if (existing && existing.pid !== pid) return;
  try {
    await Deno.remove(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}
