/**
 * GARMINSYNC_DB_URL=http://... against a real libSQL server (sqld, see fixtures/remote_db/sqld.ts): the same
 * migrations, data access and sync code as the embedded file, over Hrana-over-HTTP with a JWT auth token.
 */
import assert from "node:assert/strict";
import { type Sqld, startSqld } from "./fixtures/remote_db/sqld.ts";
import { type Db, migrate, openDb } from "../db/client.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { activityStats, getActivity, listActivities, markDownloaded, upsertActivities } from "../db/activities.ts";
import { addLog, finishLog, listLogs, markRunningLogsInterrupted, startLog } from "../db/logs.ts";
import { getSetting, setSettings } from "../db/settings.ts";
import { main } from "../main.ts";
import { startSimulator } from "../sim/server.ts";
import { createLogger } from "../lib/log.ts";
import { StorageError } from "../lib/errors.ts";
import type { CliIo } from "../cli/context.ts";
import type { GarminActivitySummary } from "../sync/garmin/types.ts";
import { fitProblem } from "../sync/fit.ts";
import { sha256Hex } from "../sync/files.ts";

async function remoteDb(s: Sqld): Promise<Db> {
  return await openDb(s.url, s.authToken);
}

function summary(id: number, day: number, name = `Run ${id}`): GarminActivitySummary {
  const start = `2026-03-${String(day).padStart(2, "0")} 07:30:00`;
  return {
    activityId: id,
    activityName: name,
    startTimeLocal: start,
    startTimeGMT: start,
    activityType: { typeKey: "running" },
    duration: 1800 + id,
    distance: 5000 + id,
  };
}

Deno.test("[remote-db] migrations apply over HTTP to a real sqld with a JWT, and a second run applies nothing", async () => {
  await using s = await startSqld();
  const db = await remoteDb(s);
  try {
    const applied = await migrate(db);
    assert.deepEqual(applied, MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
    assert.deepEqual(await migrate(db), [], "the second run finds every migration recorded");
    const recorded = (await db.execute("SELECT version FROM schema_migrations ORDER BY version")).rows.map((r) =>
      Number(r.version)
    );
    assert.deepEqual(recorded, applied);
    const tables = new Set(
      (await db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")).rows.map((r) => String(r.name)),
    );
    for (const t of ["activities", "sync_logs", "settings"]) assert.ok(tables.has(t), `table ${t} exists remotely`);
  } finally {
    db.close();
  }
  // A second client (another process, in real use) sees the same schema and applies nothing either.
  const again = await remoteDb(s);
  try {
    assert.deepEqual(await migrate(again), []);
  } finally {
    again.close();
  }
});

Deno.test("[remote-db] libsql:// (Hrana over WebSocket) reaches the same server: migrations, transaction, rows", async () => {
  await using s = await startSqld();
  const port = new URL(s.url).port;
  // libsql://HOST is TLS (wss) by default, as for Turso; ?tls=0 is the plain form a local sqld speaks.
  const ws = await openDb(`libsql://127.0.0.1:${port}?tls=0`, s.authToken);
  try {
    assert.deepEqual(await migrate(ws), MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
    const tx = await ws.transaction("write");
    try {
      await tx.execute({
        sql: "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)",
        args: ["k", "v", "t"],
      });
      await tx.commit();
    } finally {
      tx.close();
    }
    await upsertActivities(ws, [summary(1, 1), summary(2, 2)]);
  } finally {
    ws.close();
  }
  const http = await remoteDb(s);
  try {
    assert.deepEqual(await migrate(http), [], "the HTTP client sees the migrations the WebSocket client applied");
    assert.equal(await getSetting(http, "k"), "v");
    assert.equal((await listActivities(http, { filter: "all", limit: 10, offset: 0 })).total, 2);
  } finally {
    http.close();
  }
});

Deno.test("[remote-db] without the auth token the server refuses, and the token is in no error message", async () => {
  await using s = await startSqld();
  // openDb probes a remote server at once, so a refused token fails there, naming the variable to fix.
  for (const token of [undefined, s.authToken.slice(0, -6) + "AAAAAA"]) {
    const e = await openDb(s.url, token).then(() => null, (e: unknown) => e);
    assert.ok(e instanceof StorageError, `an unauthenticated client must not open: ${e}`);
    assert.match(e.message, /refused the connection: check GARMINSYNC_DB_AUTH_TOKEN/);
    assert.ok(!e.message.includes(s.authToken.slice(0, 20)), "no part of the token in the message");
  }
});

Deno.test("[remote-db] activities, sync logs and settings round-trip through db/*.ts; batch and transaction are atomic", async () => {
  await using s = await startSqld();
  const db = await remoteDb(s);
  try {
    await migrate(db);
    // db.batch(..., "write") over HTTP: 30 inserts in one request, then a metadata refresh of the same ids.
    await upsertActivities(db, Array.from({ length: 30 }, (_, i) => summary(1000 + i, 1 + (i % 28))));
    await upsertActivities(db, [summary(1005, 6, "Renamed run")]);
    const all = await listActivities(db, { filter: "all", limit: 100, offset: 0 });
    assert.equal(all.total, 30);
    assert.equal(all.rows.length, 30);
    assert.equal((await getActivity(db, 1005))?.name, "Renamed run");
    await markDownloaded(db, 1007, { file_name: "activity_1007.fit", file_size: 123, sha256: "ab".repeat(32) });
    const downloaded = await listActivities(db, { filter: "downloaded", limit: 10, offset: 0 });
    assert.deepEqual(downloaded.rows.map((r) => [r.activity_id, r.file_size]), [[1007, 123]]);
    const stats = await activityStats(db);
    assert.deepEqual([stats.total, stats.downloaded, stats.missing], [30, 1, 29]);

    // A batch whose last statement fails leaves nothing of it behind.
    const batchError = await db.batch([
      {
        sql:
          "INSERT INTO activities (activity_id, start_time_local, start_time_gmt, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
        args: [2000, "x", "x", "t", "t"],
      },
      { sql: "INSERT INTO activities (activity_id) VALUES (?)", args: [1000] },
    ], "write").then(() => null, (e: unknown) => e);
    assert.ok(batchError instanceof Error, "the duplicate id fails the batch");
    assert.equal(await getActivity(db, 2000), null, "the batch rolled back as a whole");

    // An interactive transaction (the migration runner's path) commits and rolls back over HTTP.
    const tx = await db.transaction("write");
    try {
      await tx.execute({
        sql: "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)",
        args: ["tx_a", "1", "t"],
      });
      await tx.rollback();
    } finally {
      tx.close();
    }
    assert.equal(await getSetting(db, "tx_a"), undefined, "a rolled-back write is gone");
    await setSettings(db, { schedule: "0 */6 * * *", tx_b: "2" });
    assert.equal(await getSetting(db, "schedule"), "0 */6 * * *");
    assert.equal(await getSetting(db, "tx_b"), "2");

    // Sync logs: a run's row, a one-shot row, a row left running by a dead process.
    const id = await startLog(db, "activities", new Date("2026-03-01T10:00:00Z"));
    await finishLog(db, id, { status: "success", message: "3 downloaded", activities_downloaded: 3 });
    await addLog(db, { operation: "full", status: "skipped", message: "a sync was running" });
    await startLog(db, "health", new Date("2026-03-01T11:00:00Z"));
    assert.equal(await markRunningLogsInterrupted(db), 1);
    const logs = await listLogs(db, { limit: 10, offset: 0 });
    assert.equal(logs.total, 3);
    const byOp = new Map(logs.rows.map((r) => [r.operation, r]));
    assert.equal(byOp.get("activities")?.status, "success");
    assert.equal(byOp.get("activities")?.activities_downloaded, 3);
    assert.equal(byOp.get("full")?.status, "skipped");
    assert.equal(byOp.get("health")?.status, "interrupted");
    assert.equal((await listLogs(db, { status: "success", limit: 10, offset: 0 })).total, 1);
  } finally {
    db.close();
  }
});

/** A terminal that captures output and answers prompts from `lines`. */
function scriptedIo(lines: string[] = []) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    readLine: () => Promise.resolve(lines.length ? lines.shift()! : null),
    isTty: false,
  };
  return { io, out: () => out.join(""), err: () => err.join("") };
}

Deno.test("[remote-db] main.ts login + sync all + list with GARMINSYNC_DB_URL=http://: rows on the server, FIT files local, data survives a server restart", async () => {
  const sim = await startSimulator({ activities: 40, healthDays: 5, workouts: 3, fitRecords: 5 });
  const dataDir = await Deno.makeTempDir({ prefix: "gs_remote_data_" });
  const sqldDir = await Deno.makeTempDir({ prefix: "gs_remote_sqld_" });
  let s = await startSqld({ dir: sqldDir });
  const logLines: string[] = [];
  try {
    const env = () => ({
      GARMINSYNC_DATA_DIR: dataDir,
      GARMINSYNC_DB_URL: s.url,
      GARMINSYNC_DB_AUTH_TOKEN: s.authToken,
      GARMINSYNC_GARMIN_URL: sim.url,
      GARMINSYNC_REQUEST_DELAY_MS: "0",
      GARMINSYNC_SECRET_KEY: "remote-db-test-key",
    });
    const run = async (argv: string[], input: string[] = []) => {
      const t = scriptedIo(input);
      const log = createLogger({ sink: (l) => void logLines.push(l) });
      const code = await main(argv, { env: env(), io: t.io, log });
      return { code, out: t.out(), err: t.err() };
    };

    const login = await run(["login"], [sim.account.email, sim.account.password]);
    assert.equal(login.code, 0, login.err);
    const sync = await run(["sync", "all"]);
    assert.equal(sync.code, 0, sync.err);
    assert.match(sync.out, /sync full completed/);

    // The database is the server's: no database file appeared in the data folder, only FIT files.
    const local = [...Deno.readDirSync(dataDir)].map((e) => e.name).sort();
    assert.ok(!local.some((n) => n.endsWith(".db") || n.includes(".db-")), `no local database: ${local.join(", ")}`);
    const fits = local.filter((n) => /^activity_\d+_.*\.fit$/.test(n));
    const manual = sim.activities.filter((a) => a.manual).length;
    assert.equal(fits.length, 40 - manual);

    // Every stored row matches its file on disk; health days and workouts reached the server too.
    const db = await openDb(s.url, s.authToken);
    try {
      const rows = (await listActivities(db, { filter: "downloaded", limit: 100, offset: 0 })).rows;
      assert.equal(rows.length, fits.length);
      for (const r of rows) {
        const bytes = await Deno.readFile(`${dataDir}/${r.file_name}`);
        assert.equal(fitProblem(bytes), null);
        assert.equal(await sha256Hex(bytes), r.sha256);
      }
      const health = Number((await db.execute("SELECT COUNT(*) AS n FROM health_days")).rows[0].n);
      const workouts = Number((await db.execute("SELECT COUNT(*) AS n FROM workouts")).rows[0].n);
      assert.ok(health > 0, "health days stored remotely");
      assert.equal(workouts, 3);
      const logs = await listLogs(db, { limit: 10, offset: 0 });
      assert.equal(logs.rows[0].operation, "full");
      assert.equal(logs.rows[0].status, "success");
      const auth = (await db.execute("SELECT COUNT(*) AS n FROM garmin_auth")).rows[0].n;
      assert.equal(Number(auth), 1, "the Garmin session lives in the remote database");
    } finally {
      db.close();
    }

    // Restart the server on the same data (a new port and key): everything is still there, and an
    // incremental sync makes one list call and no download.
    await s.stop({ keepDir: true });
    s = await startSqld({ dir: sqldDir });
    sim.resetCalls();
    const again = await run(["sync", "activities"]);
    assert.equal(again.code, 0, again.err);
    assert.equal(sim.calls("/activitylist-service/activities/search/activities").length, 1);
    assert.equal(sim.calls("/download-service/files/activity/").length, 0);
    const list = await run(["list", "--all", "--offline", "--json"]);
    assert.equal(list.code, 0, list.err);
    const listed = JSON.parse(list.out) as { activity_id: number }[];
    assert.deepEqual(
      listed.map((a) => a.activity_id).sort((a, b) => a - b),
      sim.activities.map((a) => a.activityId).sort((a, b) => a - b),
    );
    // No secret reached a log line.
    for (const l of logLines) assert.ok(!l.includes(s.authToken), "the DB auth token is never logged");
  } finally {
    await s.stop({ keepDir: true });
    await sim.close();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    await Deno.remove(sqldDir, { recursive: true }).catch(() => {});
  }
});
