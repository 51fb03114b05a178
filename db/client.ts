/**
 * Opening the libSQL database (embedded file by default, any libSQL URL accepted) and applying migrations.
 */
import { type Client, createClient } from "@libsql/client";
import { type Migration, MIGRATIONS } from "./migrations.ts";
import { StorageError } from "../lib/errors.ts";

export type Db = Client;

/** Opens the database at `url`. For `file:` URLs the folder is created 0700 and the file 0600. */
export async function openDb(url: string, authToken?: string): Promise<Db> {
  if (url.startsWith("file:")) {
    const path = url.slice("file:".length).split("?")[0];
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
    try {
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      await touchPrivate(path);
    } catch (e) {
      throw new StorageError(
        `cannot create the database at ${path}: ${e instanceof Error ? e.message : e}. ` +
          `Set GARMINSYNC_DATA_DIR (or GARMINSYNC_DB_URL) to a folder you can write to.`,
      );
    }
  }
  let db: Db;
  try {
    // The client keeps a pool of connections and opens more as calls overlap (a transaction takes one with it), so
    // per-connection settings must come through its options: `timeout` is every connection's busy timeout, which
    // lets the CLI and the daemon wait for each other's writes instead of failing with SQLITE_BUSY.
    db = createClient({ url, authToken, ...(url.startsWith("file:") ? { timeout: 5000 } : {}) });
  } catch (e) {
    throw new StorageError(
      `GARMINSYNC_DB_URL ${JSON.stringify(redactUrl(url))} cannot be opened: ${e instanceof Error ? e.message : e}`,
    );
  }
  try {
    if (url.startsWith("file:")) {
      // WAL (stored in the file, so it holds for every connection) lets the CLI read while the daemon writes.
      await db.execute("PRAGMA journal_mode = WAL");
    } else {
      await db.execute("SELECT 1"); // a remote server: fail here, clearly, rather than in the middle of a command
    }
  } catch (e) {
    db.close();
    throw new StorageError(openFailure(redactUrl(url), e));
  }
  return db;
}

/** One clear sentence for a database that cannot be used: not a database, unreachable, or refused. */
function openFailure(url: string, e: unknown): string {
  const msg = e instanceof Error ? `${e.message} ${(e as { cause?: Error }).cause?.message ?? ""}` : String(e);
  const where = `the database at ${JSON.stringify(url)} (GARMINSYNC_DB_URL)`;
  if (/NOTADB|not a database|file is encrypted/i.test(msg)) {
    return `${where} is not a SQLite/libSQL database file: move it away (keep it as a backup) or point ` +
      `GARMINSYNC_DB_URL at the right file`;
  }
  if (/401|403|unauthori[sz]ed|forbidden|auth/i.test(msg)) {
    return `${where} refused the connection: check GARMINSYNC_DB_AUTH_TOKEN`;
  }
  if (/fetch failed|ECONNREFUSED|connect|dns|lookup|ENOTFOUND|network|websocket/i.test(msg)) {
    return `${where} cannot be reached (${msg.trim().slice(0, 200)}): check the address and that the server runs`;
  }
  return `${where} cannot be used: ${msg.trim().slice(0, 300)}`;
}

async function touchPrivate(path: string): Promise<void> {
  try {
    const f = await Deno.open(path, { create: true, write: true, mode: 0o600 });
    f.close();
    await Deno.chmod(path, 0o600);
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
  }
}

function redactUrl(url: string): string {
  return url.replace(/(authToken=)[^&]+/i, "$1***");
}

/** Applies every migration not yet recorded in `schema_migrations`, each in its own transaction. Returns the versions applied. */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  await db.execute(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
  );
  const done = new Set(
    (await db.execute("SELECT version FROM schema_migrations")).rows.map((r) => Number(r.version)),
  );
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    const tx = await db.transaction("write");
    try {
      await tx.executeMultiple(m.sql);
      await tx.execute({
        sql: "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
        args: [m.version, m.name, new Date().toISOString()],
      });
      await tx.commit();
    } catch (e) {
      await tx.rollback().catch(() => {});
      throw new StorageError(`migration ${m.name} failed: ${e instanceof Error ? e.message : e}`);
    } finally {
      tx.close();
    }
    applied.push(m.version);
  }
  return applied;
}
