/**
 * Is a process still the one we think it is? Used for the daemon's PID file and for the owners of `running` sync
 * log rows. On Linux /proc tells, including the process start time that tells a pid reused by a later process;
 * elsewhere a harmless signal probe does, when the run permission allows it.
 */

/** Reads a file only where read permission is already granted (no prompt, no throw). */
export function readGranted(path: string): string | null {
  try {
    if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") return null;
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

/** Linux: the process's state letter and start time in clock ticks since boot, or null (no such process, no /proc). */
export function procStat(pid: number): { state: string; start_ticks: number | null } | null {
  const stat = readGranted(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // Field 2 (the command name) is in parentheses and may hold spaces or ")": count from the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[22 - 3]);
  return { state: fields[0] ?? "", start_ticks: Number.isSafeInteger(ticks) && ticks >= 0 ? ticks : null };
}

/** The start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22), or null where /proc cannot tell. */
export function processStartTicks(pid: number): number | null {
  return procStat(pid)?.start_ticks ?? null;
}

/**
 * Whether `pid` runs: true or false when this machine can tell, null when it cannot (no /proc and no permission to
 * probe). With `startTicks`, a process that started at another time is a later one that reused the pid: false.
 */
export function processAlive(pid: number, startTicks?: number | null): boolean | null {
  const stat = procStat(pid);
  if (stat) {
    // An exited child its parent has not reaped yet (a zombie) still has a /proc entry.
    if (stat.state === "Z" || stat.state === "X") return false;
    return startTicks == null || stat.start_ticks === null || stat.start_ticks === startTicks;
  }
  if (readGranted("/proc/self/stat") !== null) return false; // /proc works here and has no such process
  try {
    if (Deno.permissions.querySync({ name: "run" }).state !== "granted") return null;
    // No /proc (macOS): SIGCONT only resumes a stopped process, so it is a harmless existence probe.
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    if (e instanceof Deno.errors.PermissionDenied) return true; // exists, owned by another user
    return null;
  }
}
