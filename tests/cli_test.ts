import assert from "node:assert/strict";
import { main } from "../main.ts";
import { type Simulator, startSimulator } from "../sim/server.ts";
import { createLogger } from "../lib/log.ts";
import type { CliIo } from "../cli/context.ts";

/** A scripted terminal: captures output, answers prompts from `lines`. */
function scriptedIo(lines: string[] = []) {
  const out: string[] = [];
  const err: string[] = [];
  const prompts: string[] = [];
  const io: CliIo = {
    stdout: (s) => void out.push(s),
    stderr: (s) => void err.push(s),
    readLine: (prompt) => {
      prompts.push(prompt);
      return Promise.resolve(lines.length ? lines.shift()! : null);
    },
    isTty: false,
  };
  return { io, out: () => out.join(""), err: () => err.join(""), prompts };
}

interface Env {
  sim: Simulator;
  dir: string;
  env: Record<string, string>;
  logLines: string[];
  run(argv: string[], input?: string[]): Promise<{ code: number; out: string; err: string; prompts: string[] }>;
  [Symbol.asyncDispose](): Promise<void>;
}

async function cliEnv(simOptions: Parameters<typeof startSimulator>[0] = {}): Promise<Env> {
  const sim = await startSimulator({ activities: 30, healthDays: 3, workouts: 2, fitRecords: 5, ...simOptions });
  const dir = await Deno.makeTempDir({ prefix: "garminsync-cli-" });
  const env = { GARMINSYNC_DATA_DIR: dir, GARMINSYNC_GARMIN_URL: sim.url, GARMINSYNC_REQUEST_DELAY_MS: "0" };
  const logLines: string[] = [];
  return {
    sim,
    dir,
    env,
    logLines,
    async run(argv, input = []) {
      const t = scriptedIo(input);
      const log = createLogger({ sink: (l) => void logLines.push(l) });
      const code = await main(argv, { env, io: t.io, log });
      return { code, out: t.out(), err: t.err(), prompts: t.prompts };
    },
    async [Symbol.asyncDispose]() {
      await sim.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("[cli] help, unknown commands and bad flags exit with the right codes", async () => {
  await using e = await cliEnv();
  assert.equal((await e.run(["--help"])).code, 0);
  const none = await e.run([]);
  assert.equal(none.code, 2);
  assert.equal(none.out, "", "usage errors go to stderr");
  assert.match(none.err, /a command is needed/);
  const unknown = await e.run(["frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown command "frobnicate"/);
  const bad = await e.run(["list", "--all", "--missing"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /exactly one filter/);
  const help = await e.run(["list", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /--offline/);
  assert.equal(e.sim.calls().length, 0, "no command above talks to Garmin");
});

Deno.test("[cli] a bad configuration value exits 2 naming the variable", async () => {
  const t = scriptedIo();
  const code = await main(["list", "--all", "--offline"], { env: { GARMINSYNC_DB_URL: "mysql://x" }, io: t.io });
  assert.equal(code, 2);
  assert.match(t.err(), /GARMINSYNC_DB_URL/);
});

Deno.test("[cli] a data folder that cannot be written exits 1 saying what to do", async () => {
  const t = scriptedIo();
  const code = await main(["list", "--all", "--offline"], {
    env: { GARMINSYNC_DATA_DIR: "/proc/garminsync" },
    io: t.io,
  });
  assert.equal(code, 1);
  assert.match(t.err(), /GARMINSYNC_DATA_DIR/);
});

Deno.test("[cli] without a session, online commands fail fast with how to log in; --offline never touches the network", async () => {
  await using e = await cliEnv();
  const r = await e.run(["list", "--all"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /log in|login/i);
  const off = await e.run(["list", "--all", "--offline"]);
  assert.equal(off.code, 0);
  assert.equal(off.out, "");
  assert.equal(e.sim.calls().length, 0);
});

Deno.test("[cli] login, download --missing, then list --all/--missing/--downloaded/--json", async () => {
  await using e = await cliEnv();
  const login = await e.run(["login"], [e.sim.account.email, e.sim.account.password]);
  assert.equal(login.code, 0, login.err);
  assert.equal(e.sim.counters().passwordLogins, 1);

  const dl = await e.run(["download", "--missing"]);
  assert.equal(dl.code, 0, dl.err);
  const manual = e.sim.activities.filter((a) => a.manual).length;
  assert.match(dl.out, new RegExp(`${30 - manual} downloaded, ${manual} with no original file, 0 failed`));
  const files = [...Deno.readDirSync(e.dir)].filter((f) =>
    /^activity_\d+_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d\.fit$/.test(f.name)
  );
  assert.equal(files.length, 30 - manual);

  e.sim.resetCalls();
  const all = await e.run(["list", "--all", "--offline"]);
  assert.equal(all.code, 0);
  const lines = all.out.trim().split("\n");
  assert.equal(lines.length, 30);
  assert.deepEqual(lines.map((l) => Number(l.split(/\s+/)[0])), e.sim.activities.map((a) => a.activityId));
  assert.equal(lines.filter((l) => /\bno_file\b/.test(l)).length, manual);
  assert.equal((await e.run(["list", "--missing", "--offline"])).out, "", "no_file is not missing");
  assert.equal((await e.run(["list", "--downloaded", "--offline"])).out.trim().split("\n").length, 30 - manual);
  const json = JSON.parse((await e.run(["list", "--all", "--offline", "--json"])).out);
  assert.equal(json.length, 30);
  assert.equal(e.sim.calls().length, 0, "--offline made no request");

  // Online list refreshes first: one list call, the new activity shows.
  const [fresh] = e.sim.addActivities(1);
  const online = await e.run(["list", "--missing"]);
  assert.equal(online.code, 0);
  assert.equal(e.sim.calls(/activitylist-service/).length, 1);
  assert.ok(online.out.startsWith(String(fresh.activityId)), online.out);

  // A second download run fetches only the new one.
  e.sim.resetCalls();
  const again = await e.run(["download", "--missing"]);
  assert.equal(again.code, 0);
  assert.equal(e.sim.calls(/download-service/).length, 1);
});

Deno.test("[cli] download exits 1 when a download fails, and the others are kept", async () => {
  await using e = await cliEnv({ activities: 8 });
  assert.equal((await e.run(["login"], [e.sim.account.email, e.sim.account.password])).code, 0);
  const bad = e.sim.activities.find((a) => !a.manual)!;
  e.sim.fault({ match: `/download-service/files/activity/${bad.activityId}`, kind: "not_fit", times: Infinity });
  const r = await e.run(["download", "--missing"]);
  assert.equal(r.code, 1);
  assert.match(r.out, /1 failed/);
  assert.match(r.err, new RegExp(`failed ${bad.activityId}`));
  const missing = await e.run(["list", "--missing", "--offline"]);
  assert.equal(missing.out.trim().split("\n").length, 1);
  assert.ok(missing.out.startsWith(String(bad.activityId)));
  assert.ok(!Deno.readDirSync(e.dir).some((f) => f.name.includes(String(bad.activityId))));
});

Deno.test("[cli] sync all runs every kind and a bad --since is a usage error", async () => {
  await using e = await cliEnv({ activities: 5 });
  assert.equal((await e.run(["login"], [e.sim.account.email, e.sim.account.password])).code, 0);
  const r = await e.run(["sync", "all"]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /completed/);
  assert.ok(e.sim.calls(/usersummary-service/).length > 0);
  assert.ok(e.sim.calls(/workout-service/).length > 0);
  const bad = await e.run(["sync", "health", "--since", "31-12-2024"]);
  assert.equal(bad.code, 2);
});

Deno.test("[cli] a sync against a failing Garmin exits 1 with the reason", async () => {
  await using e = await cliEnv({ activities: 5 });
  assert.equal((await e.run(["login"], [e.sim.account.email, e.sim.account.password])).code, 0);
  e.sim.revokeRefreshTokens();
  e.sim.expireAccessTokens();
  const r = await e.run(["sync", "activities"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /log in again|login/i);
  for (const secret of e.sim.issuedSecrets()) {
    assert.ok(!r.err.includes(secret) && !e.logLines.join("\n").includes(secret), "no secret in output or logs");
  }
});

Deno.test("[cli] sync exits 1 when some items failed (a partial run), and says which", async () => {
  await using e = await cliEnv({ activities: 6 });
  assert.equal((await e.run(["login"], [e.sim.account.email, e.sim.account.password])).code, 0);
  e.sim.fault({ match: "/download-service/", kind: "corrupt_zip", times: Infinity });
  const r = await e.run(["sync", "activities"]);
  assert.equal(r.code, 1);
  assert.match(r.out, /completed: .*downloads failed/);
});
