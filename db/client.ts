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
    db = createClient({ url, authToken });
  } catch (e) {
    throw new StorageError(
      `GARMINSYNC_DB_URL ${JSON.stringify(redactUrl(url))} cannot be opened: ${e instanceof Error ? e.message : e}`,
    );
  }
  if (url.startsWith("file:")) {
    // WAL lets the CLI read while the daemon writes; busy_timeout makes concurrent writers wait instead of failing.
    await db.execute("PRAGMA journal_mode = WAL");
    await db.execute("PRAGMA busy_timeout = 5000");
    await db.execute("PRAGMA synchronous = NORMAL");
  }
  return db;
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
