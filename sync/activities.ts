/**
 * Activity sync: refresh the activity list incrementally (stop at the first page of only known activities) and
 * download every missing original: extract + verify the FIT file, write it atomically, then mark it downloaded.
 */
import type { Db } from "../db/client.ts";
import type { Config } from "../lib/config.ts";
import type { Logger } from "../lib/log.ts";
import type { GarminApi } from "./garmin/types.ts";
import type { ProgressReporter } from "./job_types.ts";
import {
  activitiesToDownload,
  downloadedFiles,
  knownActivityIds,
  markDownloaded,
  markFailed,
  markFilesVanished,
  markNoFile,
  upsertActivities,
} from "../db/activities.ts";
import { getSetting, setSettings } from "../db/settings.ts";
import {
  GarminBadResponse,
  GarminNotFound,
  GarminRateLimited,
  GarminUnavailable,
  NotAuthenticated,
  StorageError,
} from "../lib/errors.ts";
import { extractFit } from "./fit.ts";
import { activityFileName, ensureDataDir, fileNames, removeStaleTemps, sha256Hex, writeFileAtomic } from "./files.ts";

/** What the activity sync needs. */
export interface SyncContext {
  db: Db;
  api: GarminApi;
  config: Config;
  log: Logger;
  clock?: () => Date;
}

/** Activities per list call. */
export const ACTIVITY_PAGE_SIZE = 100;

// Set once a listing has reached the end of the account's history. Until then a page of known activities does not
// end the listing: an earlier first sync may have stopped part-way (killed, network), leaving older ones unseen.
const LIST_COMPLETE_KEY = "activities_list_complete_at";

// After this many downloads in a row fail with Garmin unreachable, the rest would too: stop the run.
const MAX_UNAVAILABLE_IN_A_ROW = 3;

function why(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Pages the activity list newest first and stores each item's metadata. Stops at the first page that holds only
 * activities already stored (so a sync with nothing new costs one list call; the extra page after new ones also
 * catches an activity uploaded late whose start time sorts it just below the known ones), or at a short/empty page.
 * Until one listing has reached the end of the history, it pages to the end.
 */
export async function refreshActivityList(
  ctx: SyncContext,
  signal?: AbortSignal,
  onPage?: (info: { pages: number; fetched: number; new: number }) => void,
): Promise<{ pages: number; fetched: number; new: number }> {
  const clock = ctx.clock ?? (() => new Date());
  const complete = (await getSetting(ctx.db, LIST_COMPLETE_KEY)) !== undefined;
  let pages = 0, fetched = 0, added = 0;
  let start = 0;
  let reachedEnd = false;
  while (true) {
    signal?.throwIfAborted();
    const page = await ctx.api.listActivities(start, ACTIVITY_PAGE_SIZE, signal);
    pages++;
    if (!Array.isArray(page)) {
      throw new GarminBadResponse(`Garmin's activity list (offset ${start}) is not a list; try again later`);
    }
    const items = page.filter((a) => a && Number.isSafeInteger(a.activityId));
    if (items.length < page.length) {
      ctx.log.warn(`skipped ${page.length - items.length} activity list item(s) without an activityId`);
    }
    fetched += items.length;
    const known = await knownActivityIds(ctx.db, items.map((a) => a.activityId));
    const fresh = items.filter((a) => !known.has(a.activityId)).length;
    added += fresh;
    await upsertActivities(ctx.db, items, clock());
    onPage?.({ pages, fetched, new: added });
    if (page.length < ACTIVITY_PAGE_SIZE) {
      reachedEnd = true;
      break;
    }
    // Newest first: a page of only stored activities means everything older is stored too (the listing has reached
    // the end once), so no further page is needed.
    if (complete && fresh === 0) break;
    start += page.length;
  }
  if (reachedEnd && !complete) await setSettings(ctx.db, { [LIST_COMPLETE_KEY]: clock().toISOString() }, clock());
  ctx.log.info(`activity list: ${pages} page(s), ${fetched} listed, ${added} new`);
  return { pages, fetched, new: added };
}

/**
 * Downloads every activity in state missing or failed, newest first. Per activity: download, extract + verify the
 * FIT file, write it atomically under the contract's name, then mark it downloaded (name, size, sha256). A 404
 * marks `no_file`; any other error marks `failed` (attempts + 1, last error) and the run goes on, except errors
 * every further call would hit too (not logged in, rate limited past retries, Garmin down, disk not writable),
 * which stop the run. Stops early, without marking anything, when the reporter's signal aborts.
 */
export async function downloadMissing(ctx: SyncContext, reporter: ProgressReporter): Promise<{
  attempted: number;
  downloaded: number;
  no_file: number;
  failed: number;
  errors: { activity_id: number; error: string }[];
}> {
  const clock = ctx.clock ?? (() => new Date());
  const dir = ctx.config.dataDir;
  const signal = reporter.signal;
  await ensureDataDir(dir);
  const stale = await removeStaleTemps(dir);
  if (stale) ctx.log.info(`removed ${stale} temp file(s) left by an interrupted download`);
  await requeueVanished(ctx, dir);

  const todo = await activitiesToDownload(ctx.db);
  const result = {
    attempted: 0,
    downloaded: 0,
    no_file: 0,
    failed: 0,
    errors: [] as { activity_id: number; error: string }[],
  };
  reporter.setTotal(todo.length);
  let unavailableInARow = 0;
  // Running totals for the run's log row, sent before each progress step so a killed run's row is true.
  const tally = () =>
    reporter.counts?.({ activities_processed: result.attempted, activities_downloaded: result.downloaded });
  for (const a of todo) {
    if (signal.aborted) break;
    result.attempted++;
    const name = activityFileName(a.activity_id, a.start_time_local);
    try {
      const zip = await ctx.api.downloadOriginal(a.activity_id, signal);
      const fit = extractFit(zip, a.activity_id);
      await writeFileAtomic(dir, name, fit);
      await markDownloaded(ctx.db, a.activity_id, {
        file_name: name,
        file_size: fit.length,
        sha256: await sha256Hex(fit),
      }, clock());
      result.downloaded++;
      unavailableInARow = 0;
      tally();
      reporter.advance(1, `downloaded ${name}`);
    } catch (e) {
      if (signal.aborted) break;
      if (e instanceof GarminNotFound) {
        await markNoFile(ctx.db, a.activity_id, `Garmin has no original file for this activity (${why(e)})`, clock());
        result.no_file++;
        unavailableInARow = 0;
        tally();
        reporter.advance(1, `activity ${a.activity_id} has no original file (manual entry?)`);
        continue;
      }
      if (e instanceof NotAuthenticated || e instanceof GarminRateLimited || e instanceof StorageError) throw e;
      const message = ctx.log.redact(why(e));
      await markFailed(ctx.db, a.activity_id, message, clock());
      result.failed++;
      result.errors.push({ activity_id: a.activity_id, error: message });
      ctx.log.warn(`activity ${a.activity_id} download failed: ${message}`);
      tally();
      reporter.advance(1, `activity ${a.activity_id} failed: ${message}`);
      if (e instanceof GarminUnavailable && ++unavailableInARow >= MAX_UNAVAILABLE_IN_A_ROW) {
        throw new GarminUnavailable(
          `${unavailableInARow} downloads in a row failed because Garmin Connect is unavailable (${message}); ` +
            `stopped the run: try again later`,
        );
      }
      if (!(e instanceof GarminUnavailable)) unavailableInARow = 0;
    }
  }
  return result;
}

/** A downloaded activity whose file was removed from disk goes back to missing. */
async function requeueVanished(ctx: SyncContext, dir: string): Promise<void> {
  const rows = await downloadedFiles(ctx.db);
  if (!rows.length) return;
  const present = await fileNames(dir);
  const gone = rows.filter((r) => !r.file_name || !present.has(r.file_name)).map((r) => r.activity_id);
  if (gone.length) {
    ctx.log.warn(`${gone.length} downloaded file(s) are no longer on disk; they will be downloaded again`);
    await markFilesVanished(ctx.db, gone);
  }
}
