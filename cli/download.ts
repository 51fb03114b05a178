/**
 * `download --missing`: refresh the list, download every missing FIT file with a progress bar, print a summary.
 */
import type { Command } from "./context.ts";
import { UsageError } from "./context.ts";
import { parseFlags } from "./args.ts";
import { HelpRequested } from "./list.ts";
import { barReporter } from "./progress.ts";
import { downloadMissing, refreshActivityList } from "../sync/activities.ts";
import { ensureSession } from "../sync/garmin/garmin.ts";
import { createLogCountWriter, finishLog, markRunningLogsInterrupted, recordLastSync, startLog } from "../db/logs.ts";
import { withLogCounts } from "../sync/jobs.ts";

export const DOWNLOAD_USAGE = `Usage: garminsync download --missing

Refreshes the activity list from Garmin Connect, then downloads every activity whose original FIT file is not on
disk yet (never tried, or failed before), with a progress bar, and prints a summary. Exit code 1 if any download failed.
`;

/** Checks the flags; only `--missing` is accepted. Pure, for unit tests. */
export function parseDownloadArgs(argv: string[]): { missing: true } {
  const { values } = parseFlags(
    argv,
    { missing: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    DOWNLOAD_USAGE,
  );
  if (values.help) throw new HelpRequested(DOWNLOAD_USAGE);
  if (!values.missing) throw new UsageError("download needs --missing", DOWNLOAD_USAGE);
  return { missing: true };
}

export const downloadCommand: Command = async (argv, ctx) => {
  parseDownloadArgs(argv);
  const deps = await ctx.open();
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  // Rows left 'running' by a download or sync that was killed are closed as interrupted (live runs are left alone).
  await markRunningLogsInterrupted(deps.db);
  const logId = await startLog(deps.db, "download");
  // The log row's counts follow the run, so an interrupted or killed download still records what it did.
  const counts = createLogCountWriter(deps.db, logId);
  const bar = barReporter(ctx.io, "Downloading", abort.signal);
  const reporter = withLogCounts(bar, counts);
  try {
    await ensureSession(deps.garmin, deps.config);
    const sctx = { db: deps.db, api: deps.garmin.api, config: deps.config, log: deps.log };
    const listed = await refreshActivityList(sctx, abort.signal);
    const r = await downloadMissing(sctx, reporter);
    bar.stop();
    const interrupted = abort.signal.aborted;
    const status = interrupted ? "interrupted" : r.failed > 0 ? "partial" : "success";
    const summary = `${listed.new} new activities listed; ${r.attempted} to download: ${r.downloaded} downloaded, ` +
      `${r.no_file} with no original file, ${r.failed} failed` + (interrupted ? " (interrupted)" : "");
    await counts.close();
    await finishLog(deps.db, logId, {
      status,
      message: summary +
        (r.errors.length ? `: ${r.errors.slice(0, 5).map((e) => `${e.activity_id}: ${e.error}`).join("; ")}` : ""),
      activities_processed: r.attempted,
      activities_downloaded: r.downloaded,
    });
    if (status !== "interrupted") await recordLastSync(deps.db, "download");
    ctx.io.stdout(summary + "\n");
    for (const e of r.errors) ctx.io.stderr(`  failed ${e.activity_id}: ${e.error}\n`);
    return r.failed > 0 || interrupted ? 1 : 0;
  } catch (e) {
    bar.stop();
    // Record the failure if the database lets us (it may be the problem itself, e.g. a full disk); the original
    // error is what the user needs to see.
    try {
      await counts.close();
      await finishLog(deps.db, logId, {
        status: abort.signal.aborted ? "interrupted" : "error",
        message: e instanceof Error ? deps.log.redact(e.message) : String(e),
      });
    } catch (logError) {
      deps.log.warn(`could not record the end of the download in the log: ${logError}`);
    }
    throw e;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
};
