/**
 * GarminSync composition root: parses the command line, loads the configuration, opens and migrates the database,
 * wires the Garmin client, sync services and job manager together, and dispatches to one command.
 */
import { type Config, ConfigError, loadConfig, readEnvironment } from "./lib/config.ts";
import { createLogger, type Logger } from "./lib/log.ts";
import { GarminSyncError, StorageError } from "./lib/errors.ts";
import { migrate, openDb } from "./db/client.ts";
import { loadRuntimeSettings } from "./db/settings.ts";
import type { AppDeps } from "./lib/deps.ts";
import type { JobManager } from "./sync/job_types.ts";
import {
  createGarmin,
  ensureSession,
  type Garmin,
  type GarminHttpOptions,
  secureStoredTokens,
} from "./sync/garmin/garmin.ts";
import { createSyncRunners } from "./sync/runners.ts";
import { createJobManager } from "./sync/jobs.ts";
import { type CliContext, type CliIo, type Command, UsageError } from "./cli/context.ts";
import { terminalIo } from "./cli/io.ts";
import { HelpRequested, listCommand } from "./cli/list.ts";
import { downloadCommand } from "./cli/download.ts";
import { syncCommand } from "./cli/sync.ts";
import { authStatusCommand, loginCommand, logoutCommand } from "./cli/login.ts";
import { daemonCommand } from "./cli/daemon.ts";

export const VERSION = "0.1.0";

const USAGE = `GarminSync ${VERSION}: mirror your Garmin Connect account onto your own disk.

Usage: garminsync <command> [flags]     (from source: deno run -A main.ts <command>)

Commands:
  list --all|--missing|--downloaded [--offline] [--json]   list activities
  download --missing                                        download every missing FIT file
  sync activities|health|workouts|all [--since YYYY-MM-DD]  run one sync now
  login [--import FILE|DIR | --ticket ST-... | --browser]   log in to Garmin Connect (prompts for an MFA code)
  logout                                                    forget the stored Garmin session
  auth status [--json]                                      show the stored session (never a token)
  daemon --start [--port N] [--host H] | --stop | --status  the scheduler + API + dashboard

Each command takes --help. Configuration comes from the environment or a .env file (see README.md).
Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error, 3 daemon not running (daemon --status).
`;

const COMMANDS: Record<string, Command> = {
  list: listCommand,
  download: downloadCommand,
  sync: syncCommand,
  login: loginCommand,
  logout: logoutCommand,
  daemon: daemonCommand,
  auth: (argv, ctx) => {
    if (argv[0] === "status") return authStatusCommand(argv.slice(1), ctx);
    if (argv[0] === "--help" || argv[0] === "-h") throw new HelpRequested("Usage: garminsync auth status [--json]\n");
    throw new UsageError(`unknown auth subcommand ${JSON.stringify(argv[0] ?? "")}: use "auth status"`);
  },
};

/**
 * Opens everything a command needs. The caller closes the database when done. `garminHttp` tunes the Garmin
 * transport's retries and timeouts (tests make them milliseconds).
 */
export async function openDeps(
  config: Config,
  log: Logger,
  options: { garminHttp?: GarminHttpOptions } = {},
): Promise<AppDeps & { garmin: Garmin }> {
  await ensureDataDir(config.dataDir);
  const db = await openDb(config.dbUrl, config.dbAuthToken);
  await migrate(db);
  log.addSecret(config.garminPassword);
  log.addSecret(config.apiToken);
  log.addSecret(config.dbAuthToken);
  const settings = await loadRuntimeSettings(db, config);
  // The pacer reads the delay per request, so a change saved on the Settings page applies at once.
  const garmin = createGarmin({
    db,
    config,
    log,
    http: options.garminHttp,
    requestDelayMs: () => settings.requestDelayMs(),
  });
  // A key set since the tokens were stored: encrypt them now rather than on first use.
  if (config.secretKey) await secureStoredTokens(garmin).catch((e) => log.warn(`stored tokens not re-encrypted: ${e}`));
  let jobs: JobManager | undefined;
  return {
    config,
    db,
    log,
    garmin,
    settings,
    // Built on first use: a job manager marks `running` log rows of dead runs as interrupted when it starts, which
    // only the commands that run syncs (sync, daemon) should do; `auth status` during a daemon's sync must not.
    get jobs(): JobManager {
      return jobs ??= createJobManager({
        db,
        log,
        runners: createSyncRunners({ db, config, log, garmin, ensureSession: () => ensureSession(garmin, config) }),
      });
    },
  };
}

async function ensureDataDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const probe = `${dir}/.write-test-${crypto.randomUUID()}`;
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (e) {
    throw new StorageError(
      `the data folder ${dir} cannot be written (${e instanceof Error ? e.message : e}): ` +
        `set GARMINSYNC_DATA_DIR to a folder you can write to, or fix its permissions`,
    );
  }
}

/** Runs one command line and returns the exit code. `env` and `io` are injectable for tests and the demo. */
export async function main(
  argv: string[],
  options: { env?: Record<string, string | undefined>; io?: CliIo; log?: Logger } = {},
): Promise<number> {
  const io = options.io ?? terminalIo();
  const [name, ...rest] = argv;
  if (!name) {
    io.stderr(`garminsync: a command is needed\n\n${USAGE}`);
    return 2;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    io.stdout(USAGE);
    return 0;
  }
  if (name === "--version" || name === "version") {
    io.stdout(`garminsync ${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`garminsync: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  let config: Config;
  try {
    config = loadConfig(options.env ?? await readEnvironment(Deno.env.toObject()));
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr(`garminsync: ${e.message}\nFix the variables above (environment or .env) and run again.\n`);
      return 2;
    }
    throw e;
  }
  const log = options.log ?? createLogger();
  let deps: AppDeps | undefined;
  const ctx: CliContext = {
    io,
    config,
    open: async () => (deps ??= await openDeps(config, log)),
  };
  try {
    return await command(rest, ctx);
  } catch (e) {
    if (e instanceof HelpRequested) {
      io.stdout(e.text);
      return 0;
    }
    if (e instanceof UsageError) {
      io.stderr(`garminsync ${name}: ${e.message}\n${e.usage ? `\n${e.usage}` : ""}`);
      return 2;
    }
    if (e instanceof GarminSyncError) {
      io.stderr(`garminsync ${name}: ${log.redact(e.message)}\n`);
      return 1;
    }
    if (e instanceof Error && e.name === "LibsqlError") {
      // The database itself failed (a full disk, a file locked too long, a broken file): say so without a stack.
      const hint = /FULL/.test(e.message)
        ? "free some disk space and run again"
        : /BUSY|LOCKED/.test(e.message)
        ? "another GarminSync process held the database too long; run again"
        : "check the data folder and GARMINSYNC_DB_URL";
      io.stderr(`garminsync ${name}: the database failed: ${log.redact(e.message)} (${hint})\n`);
      return 1;
    }
    io.stderr(
      `garminsync ${name}: unexpected error: ${log.redact(e instanceof Error ? e.stack ?? e.message : String(e))}\n`,
    );
    return 1;
  } finally {
    try {
      (deps as AppDeps | undefined)?.db.close();
    } catch { /* already closed */ }
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
