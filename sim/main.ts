/**
 * Standalone Garmin Connect simulator (`deno task sim`): serves the protocol on loopback until SIGINT/SIGTERM.
 * Point GarminSync at it with GARMINSYNC_GARMIN_URL=<printed URL>.
 */
import { parseArgs } from "node:util";
import { CONTROL_ENDPOINTS } from "./control.ts";
import { FAULT_SPEC_HELP, FaultSpecError, formatFaultSpec, parseFaultSpec } from "./faults.ts";
import { type Fault, startSimulator } from "./server.ts";

const USAGE = `Usage: deno task sim [--port 9999] [--activities 25] [--health-days 30] [--workouts 5] [--mfa] [--seed 1]
  [--hostname 127.0.0.1] [--verbose] [--fault SPEC]...`;

const FAULT_SYNTAX = `--fault SPEC queues a fault at start-up (repeatable; tried in the order given).
${FAULT_SPEC_HELP}`;

const HELP = `${USAGE}

Serves the Garmin Connect protocol on loopback until Ctrl+C. --port 0 picks a free port; the URL is printed.
  --port N          listen port (default 9999)
  --hostname H      listen address (default 127.0.0.1)
  --activities N    activities (default 25); --health-days N (default 30); --workouts N (default 5)
  --seed N          data seed (default 1)
  --mfa             the account asks for an MFA code (printed at start-up)
  --verbose         one line per request on stderr
  --fault SPEC      queue a fault (see below)

${FAULT_SYNTAX}
  deno task sim --fault status:503@/activitylist-service/x2 --fault 'drop@/download-service/x*'

Control API (loopback clients only; never recorded in the simulator's calls):
${CONTROL_ENDPOINTS.map((e) => `  ${e}`).join("\n")}
Example:
  curl -d '{"spec":"rate_limit:30@/download-service/x3"}' http://127.0.0.1:9999/__sim/faults
  curl -X DELETE http://127.0.0.1:9999/__sim/faults`;

/** Parses a non-negative integer flag, or throws a message naming it. */
function intFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

async function main(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        port: { type: "string" },
        hostname: { type: "string" },
        activities: { type: "string" },
        "health-days": { type: "string" },
        workouts: { type: "string" },
        seed: { type: "string" },
        mfa: { type: "boolean" },
        verbose: { type: "boolean" },
        fault: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const faults: Fault[] = [];
  for (const spec of values.fault ?? []) {
    try {
      faults.push(parseFaultSpec(spec));
    } catch (err) {
      if (!(err instanceof FaultSpecError)) throw err;
      console.error(`--fault: ${err.message}\n${FAULT_SYNTAX}`);
      return 2;
    }
  }
  let options;
  try {
    options = {
      port: intFlag("port", values.port, 9999),
      hostname: values.hostname ?? "127.0.0.1",
      activities: intFlag("activities", values.activities, 25),
      healthDays: intFlag("health-days", values["health-days"], 30),
      workouts: intFlag("workouts", values.workouts, 5),
      seed: intFlag("seed", values.seed, 1),
      account: { mfa: values.mfa ?? false },
      quiet: !values.verbose,
    };
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  let sim;
  try {
    sim = await startSimulator(options);
  } catch (err) {
    const code = (err as { code?: string }).code;
    console.error(
      code === "EADDRINUSE"
        ? `Port ${options.port} is already in use: pick another with --port.`
        : `The simulator could not start: ${(err as Error).message}`,
    );
    return 1;
  }
  for (const f of faults) sim.fault(f);
  console.log(`Garmin Connect simulator listening on ${sim.url}`);
  console.log(`  GARMINSYNC_GARMIN_URL=${sim.url}`);
  console.log(`  GARMIN_EMAIL=${sim.account.email}`);
  console.log(`  GARMIN_PASSWORD=${sim.account.password}`);
  if (sim.account.mfa) console.log(`  MFA code: ${sim.account.mfaCode}`);
  console.log(
    `  ${sim.activities.length} activities, ${options.healthDays} days of health data, ` +
      `${sim.workoutIds().length} workouts. Ctrl+C stops it.`,
  );
  for (const q of sim.queuedFaults()) console.log(`  Fault queued: ${formatFaultSpec(q.fault, q.left)}`);
  console.log(
    `  Inject a fault: curl -d '{"spec":"status:503@/activitylist-service"}' ${sim.url}/__sim/faults ` +
      `(list: GET, clear: DELETE; --help lists kinds)`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  });
  await sim.close();
  console.log("Simulator stopped.");
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
