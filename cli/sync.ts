/**
 * `sync activities | health | workouts | all [--since YYYY-MM-DD]`: runs one sync through the job manager in this
 * process, showing its progress, and exits 0 when it completed, 1 when it failed.
 */
import type { Command } from "./context.ts";
import { UsageError } from "./context.ts";
import { parseFlags } from "./args.ts";
import { HelpRequested } from "./list.ts";
import { barReporter } from "./progress.ts";
import type { JobKind } from "../sync/job_types.ts";
import { sinceDate } from "../routes/schemas.ts";

export const SYNC_USAGE = `Usage: garminsync sync (activities | health | workouts | all) [--since YYYY-MM-DD]

  activities   refresh the activity list and download missing FIT files
  health       daily health data (steps, sleep, heart rate, stress, body battery, weight)
  workouts     the workout library
  all          activities, then health, then workouts
  --since      first day of health data to fetch, 2000-01-01 or later (health and all only; default: 30 days
               ago on the first run, then incremental)
`;

/** Parses and checks the arguments. Pure, for unit tests. */
export function parseSyncArgs(argv: string[]): { kind: JobKind; since?: string } {
  const { values, positionals } = parseFlags(
    argv,
    { since: { type: "string" }, help: { type: "boolean", short: "h" } },
    SYNC_USAGE,
    true,
  );
  if (values.help) throw new HelpRequested(SYNC_USAGE);
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? "sync needs what to sync: activities, health, workouts or all"
        : `sync takes one kind, got ${positionals.join(" ")}`,
      SYNC_USAGE,
    );
  }
  const kinds: Record<string, JobKind> = {
    activities: "activities",
    health: "health",
    workouts: "workouts",
    all: "full",
  };
  const kind = kinds[positionals[0]];
  if (!kind) {
    throw new UsageError(`unknown sync kind "${positionals[0]}": use activities, health, workouts or all`, SYNC_USAGE);
  }
  const since = values.since;
  if (since !== undefined) {
    if (kind !== "health" && kind !== "full") {
      throw new UsageError(`--since is for health data: use it with "sync health" or "sync all"`, SYNC_USAGE);
    }
    // The same rule as the API's: a real date from 2000-01-01 up to today.
    const checked = sinceDate.safeParse(since);
    if (!checked.success) {
      throw new UsageError(`--since ${checked.error.issues[0].message} (YYYY-MM-DD), got "${since}"`, SYNC_USAGE);
    }
  }
  return { kind, since };
}

export const syncCommand: Command = async (argv, ctx) => {
  const args = parseSyncArgs(argv);
  const deps = await ctx.open();
  const onSignal = () => void deps.jobs.shutdown(8000);
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const bar = barReporter(ctx.io, `Sync ${args.kind}`, new AbortController().signal);
  try {
    deps.jobs.start(args.kind, { since: args.since, trigger: "cli" });
    bar.setTotal(1000);
    let shown = 0;
    while (deps.jobs.running()) {
      await Promise.race([deps.jobs.idle(), new Promise((r) => setTimeout(r, 200))]);
      const s = deps.jobs.status();
      const target = Math.floor(s.progress * 1000);
      if (target > shown) {
        bar.advance(target - shown, s.details ?? "");
        shown = target;
      }
    }
    const s = deps.jobs.status();
    if (s.status === "completed" && shown < 1000) bar.advance(1000 - shown, s.details ?? "");
    bar.stop();
    if (s.status === "completed") {
      ctx.io.stdout(`sync ${args.kind} completed: ${s.details ?? ""}\n`);
      // A run where some items failed completes (its log row says partial), but a script must see it: exit 1.
      return s.error_message ? 1 : 0;
    }
    ctx.io.stderr(`sync ${args.kind} failed: ${s.error_message ?? "unknown error"}\n`);
    return 1;
  } finally {
    bar.stop();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
};
