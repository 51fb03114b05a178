import assert from "node:assert/strict";
import { assertRejects } from "./assert.ts";
import { migrate, openDb } from "../db/client.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { StorageError } from "../lib/errors.ts";

async function withTmp(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("[db] migrations apply to an empty database, once", async () => {
  await withTmp(async (dir) => {
    const db = await openDb(`file:${dir}/g.db`);
    try {
      const applied = await migrate(db);
      assert.deepEqual(applied, MIGRATIONS.map((m) => m.version));
      assert.deepEqual(await migrate(db), []);
      const rows = (await db.execute("SELECT version FROM schema_migrations ORDER BY version")).rows;
      assert.deepEqual(rows.map((r) => Number(r.version)), MIGRATIONS.map((m) => m.version));
      const tables = (await db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")).rows.map((r) => r.name);
      for (const t of ["activities", "sync_logs", "settings", "garmin_auth", "health_days", "workouts"]) {
        assert.ok(tables.includes(t), `table ${t} missing`);
      }
    } finally {
      db.close();
    }
  });
});

Deno.test("[db] a database written by the first version upgrades without losing a row", async () => {
  await withTmp(async (dir) => {
    const url = `file:${dir}/old.db`;
    const old = await openDb(url);
    await migrate(old, MIGRATIONS.slice(0, 1));
    const now = new Date().toISOString();
    await old.execute({
      sql: `INSERT INTO activities (activity_id, name, start_time_local, state, first_seen_at, last_seen_at, raw_json)
            VALUES (?, ?, ?, 'downloaded', ?, ?, '{}')`,
      args: [182325896, "Old run", "2012-05-26 23:37:18", now, now],
    });
    await old.execute({
      sql: "INSERT INTO sync_logs (timestamp, operation, status, message) VALUES (?, 'activities', 'success', 'ok')",
      args: [now],
    });
    await old.execute({
      sql: "INSERT INTO settings (key, value, updated_at) VALUES ('cron_schedule', '0 3 * * *', ?)",
      args: [now],
    });
    old.close();

    const db = await openDb(url);
    try {
      const applied = await migrate(db);
      assert.deepEqual(applied, MIGRATIONS.slice(1).map((m) => m.version));
      const a = (await db.execute("SELECT name, state FROM activities WHERE activity_id = 182325896")).rows[0];
      assert.deepEqual([a.name, a.state], ["Old run", "downloaded"]);
      assert.deepEqual(Number((await db.execute("SELECT count(*) AS n FROM sync_logs")).rows[0].n), 1);
      assert.deepEqual(
        (await db.execute("SELECT value FROM settings WHERE key = 'cron_schedule'")).rows[0].value,
        "0 3 * * *",
      );
    } finally {
      db.close();
    }
  });
});

Deno.test("[db] a failing migration rolls back and names itself", async () => {
  await withTmp(async (dir) => {
    const db = await openDb(`file:${dir}/g.db`);
    try {
      await migrate(db, MIGRATIONS.slice(0, 1));
      const bad = [...MIGRATIONS.slice(0, 1), {
        version: 999,
        name: "0999_broken",
        sql: "CREATE TABLE x (a); SELECT * FROM nope;",
      }];
      const e = await assertRejects(() => migrate(db, bad), StorageError);
      assert.ok(String(e).includes("0999_broken"));
      const t = (await db.execute("SELECT name FROM sqlite_master WHERE name = 'x'")).rows;
      assert.deepEqual(t.length, 0);
    } finally {
      db.close();
    }
  });
});

Deno.test("[db] the database file is private (0600) in a private folder (0700)", async () => {
  await withTmp(async (dir) => {
    const db = await openDb(`file:${dir}/sub/g.db`);
    db.close();
    assert.deepEqual((await Deno.stat(`${dir}/sub/g.db`)).mode! & 0o777, 0o600);
    assert.deepEqual((await Deno.stat(`${dir}/sub`)).mode! & 0o777, 0o700);
  });
});

Deno.test("[db] an unwritable location gives a clear error", async () => {
  const e = await assertRejects(() => openDb("file:/proc/nope/g.db"), StorageError);
  assert.ok(String(e).includes("GARMINSYNC_DATA_DIR"));
});
