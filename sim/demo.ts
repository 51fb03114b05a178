/**
 * `deno task demo`: GarminSync against the built-in Garmin Connect simulator, with a sample account, so a newcomer
 * sees a full sync without a Garmin account. Starts the simulator in-process, logs in (you type the MFA code the
 * simulator's account asks for), starts the daemon (scheduler + API + dashboard) on :8080 in a throwaway data
 * folder, and kicks off a first full sync. Flags: --port N, --host H, --activities N, --data-dir DIR, --no-login.
 */
import { parseArgs } from "node:util";
import { startSimulator } from "./server.ts";
import { main } from "../main.ts";
import { terminalIo } from "../cli/io.ts";

const USAGE = "Usage: deno task demo [--port 8080] [--host 127.0.0.1] [--activities 300] [--data-dir DIR] [--no-login]";
let flags;
try {
  flags = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string", default: "8080" },
      host: { type: "string", default: "127.0.0.1" },
      activities: { type: "string", default: "300" },
      "data-dir": { type: "string" },
      "no-login": { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
} catch (e) {
  console.error(`demo: ${e instanceof Error ? e.message : e}\n${USAGE}`);
  Deno.exit(2);
}
if (flags.values.help) {
  console.log(USAGE);
  Deno.exit(0);
}
const port = Number(flags.values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`demo: --port must be a whole number from 1 to 65535\n${USAGE}`);
  Deno.exit(2);
}
// Find out now, before the login, whether the dashboard's port is free.
try {
  Deno.listen({ hostname: flags.values.host!, port }).close();
} catch (e) {
  console.error(
    e instanceof Deno.errors.AddrInUse
      ? `demo: port ${port} is already in use: pick another with --port, e.g. deno task demo --port 9000`
      : `demo: cannot listen on ${flags.values.host}:${port}: ${e instanceof Error ? e.message : e}`,
  );
  Deno.exit(1);
}
const activities = Number(flags.values.activities);
if (!Number.isInteger(activities) || activities < 0 || activities > 20000) {
  console.error("--activities must be a whole number from 0 to 20000");
  Deno.exit(2);
}

const sim = await startSimulator({
  activities,
  healthDays: 90,
  workouts: 12,
  downloadDelayMs: 15,
  account: { mfa: true },
});
const dataDir = flags.values["data-dir"] ?? await Deno.makeTempDir({ prefix: "garminsync-demo-" });
// The demo keeps to its own folder: a database, auth token or key from the shell must never receive sample data.
const env: Record<string, string> = {
  ...Deno.env.toObject(),
  GARMINSYNC_DATA_DIR: dataDir,
  GARMINSYNC_DB_URL: `file:${dataDir}/garmin.db`,
  GARMINSYNC_DB_AUTH_TOKEN: "",
  GARMINSYNC_SECRET_KEY: "",
  GARMINSYNC_GARMIN_URL: sim.url,
  GARMINSYNC_REQUEST_DELAY_MS: "25",
  GARMIN_EMAIL: sim.account.email,
  GARMIN_PASSWORD: sim.account.password,
};
const url = `http://${flags.values.host === "0.0.0.0" ? "127.0.0.1" : flags.values.host}:${flags.values.port}`;
const say = (s: string) => console.log(s);

say(`
GarminSync demo
  Garmin Connect simulator: ${sim.url}  (a sample account: ${activities} activities, 90 days of health data, 12 workouts)
  demo account:             ${sim.account.email} / ${sim.account.password}   MFA code: ${sim.account.mfaCode}
  data folder (FIT files):  ${dataDir}
`);

let loggedIn = false;
if (!flags.values["no-login"] && Deno.stdin.isTerminal()) {
  say(`Logging in to the simulator the way you would to Garmin: it asks for an MFA code. Type ${sim.account.mfaCode}.`);
  // Ctrl-C at the prompt: leave nothing behind.
  const onInterrupt = () => {
    if (!flags.values["data-dir"]) Deno.removeSync(dataDir, { recursive: true });
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  loggedIn = (await main(["login"], { env, io: terminalIo() })) === 0;
  Deno.removeSignalListener("SIGINT", onInterrupt);
} else {
  say(
    `Not logging in here: open ${url}/login, sign in with the demo account (MFA code ${sim.account.mfaCode}), ` +
      `then press "Sync now" on the overview.`,
  );
}

say(`
Dashboard: ${url}      (Ctrl-C stops the demo)
Try:
  - watch the first sync on the overview, then browse Activities, Health and Logs
  - curl -s ${url}/garmin/sync/status
  - curl -s -X POST ${url}/api/sync/trigger        (a second one while it runs answers 409)
  - GARMINSYNC_DATA_DIR=${dataDir} GARMINSYNC_DB_URL=file:${dataDir}/garmin.db deno run -A main.ts list --all --offline
`);

if (loggedIn) {
  // Kick off the first full sync as soon as the daemon answers.
  (async () => {
    for (let i = 0; i < 100; i++) {
      try {
        const headers: Record<string, string> = env.GARMINSYNC_API_TOKEN
          ? { authorization: `Bearer ${env.GARMINSYNC_API_TOKEN}` }
          : {};
        // The simulator holds 90 days of health data: fetch all of it on this first run.
        const since = new Date(Date.now() - 89 * 86_400_000).toISOString().slice(0, 10);
        const r = await fetch(`${url}/api/sync/trigger`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/json" },
          body: JSON.stringify({ since }),
        });
        await r.body?.cancel();
        if (r.status === 202 || r.status === 409) return;
      } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
}

const code = await main(["daemon", "--start", "--port", flags.values.port!, "--host", flags.values.host!], { env });
await sim.close();
if (!flags.values["data-dir"]) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
Deno.exit(code);
