/**
 * Activity files on disk: the contract's file name, and atomic writes (temp file in the same folder, fsync, rename,
 * fsync the folder) so a file under a final name is always whole, even if the process dies mid-write.
 */
import { StorageError } from "../lib/errors.ts";

const TEMP_RE = /^\.activity_.*\.fit\.tmp-[A-Za-z0-9]+$/;

/** `activity_{id}_{startTimeLocal with ":" → "-" and " " → "_"}.fit`, e.g. `activity_182325896_2012-05-26_23-37-18.fit`. */
export function activityFileName(activityId: number, startTimeLocal: string): string {
  const when = startTimeLocal.trim().replaceAll(":", "-").replaceAll(" ", "_")
    // Garmin sends "YYYY-MM-DD HH:MM:SS"; anything outside that alphabet must not reach a path.
    .replace(/[^0-9A-Za-z._-]/g, "");
  return `activity_${Math.trunc(activityId)}_${when}.fit`;
}

function why(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Creates `dir` (and parents) when missing; StorageError saying what to do when it cannot. */
export async function ensureDataDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new StorageError(
      `cannot create the data folder ${dir}: ${why(e)}. Set GARMINSYNC_DATA_DIR to a folder you can write to.`,
    );
  }
}

/**
 * Writes `data` to `dir/name` atomically: a temp file `.{name}.tmp-<random>` in the same folder is written,
 * fsynced and closed, then renamed over the final name, then the folder is fsynced where the OS allows it.
 * On failure the temp file is removed and a StorageError thrown; the final name is never left partial.
 */
export async function writeFileAtomic(dir: string, name: string, data: Uint8Array): Promise<void> {
  const random = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  const temp = `${dir}/.${name}.tmp-${random}`;
  const final = `${dir}/${name}`;
  try {
    const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o644 });
    try {
      let written = 0;
      while (written < data.length) written += await file.write(data.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, final);
  } catch (e) {
    await Deno.remove(temp).catch(() => {});
    throw new StorageError(
      `cannot write ${name} in ${dir}: ${why(e)}. Check that GARMINSYNC_DATA_DIR is writable and has free space.`,
    );
  }
  await syncDir(dir);
}

/** Makes a rename durable: fsync the folder. Some systems cannot open a folder for syncing; that is not an error. */
async function syncDir(dir: string): Promise<void> {
  let handle: Deno.FsFile | undefined;
  try {
    handle = await Deno.open(dir, { read: true });
    await handle.sync();
  } catch {
    // Not supported here (e.g. Windows): the file itself was fsynced before the rename.
  } finally {
    handle?.close();
  }
}

/** Removes temp files a killed download run left behind; returns how many. */
export async function removeStaleTemps(dir: string): Promise<number> {
  let removed = 0;
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !TEMP_RE.test(entry.name)) continue;
      try {
        await Deno.remove(`${dir}/${entry.name}`);
        removed++;
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return removed;
    throw new StorageError(`cannot clean up temp files in ${dir}: ${why(e)}`);
  }
  return removed;
}

/** Names of the files in `dir` (empty when it does not exist). */
export async function fileNames(dir: string): Promise<Set<string>> {
  const names = new Set<string>();
  try {
    for await (const entry of Deno.readDir(dir)) if (entry.isFile) names.add(entry.name);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      throw new StorageError(`cannot read the data folder ${dir}: ${why(e)}`);
    }
  }
  return names;
}

/** Hex SHA-256 of `data`. */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
