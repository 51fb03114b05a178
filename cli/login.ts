/**
 * `login` (password, with an MFA prompt; or --import, --ticket, --browser), `logout` and `auth status`.
 */
import { parseFlags } from "./args.ts";
import { type CliContext, type Command, UsageError } from "./context.ts";
import { HelpRequested } from "./list.ts";
import { InvalidInput, InvalidMfaCode, NotAuthenticated } from "../lib/errors.ts";
import type { AuthStatus, GarminAuth, GarminAuthExtras, LoginResult } from "../sync/garmin/types.ts";

export const LOGIN_USAGE = `Usage: garminsync login [--email EMAIL]
       garminsync login --import FILE|DIR
       garminsync login --ticket ST-... [--service-url URL]
       garminsync login --browser [--browser-path PATH] [--headless]

Logs in to Garmin Connect and stores the session (tokens only, never the password) in the database.
  (no flag)         email/password login: GARMIN_EMAIL/GARMIN_PASSWORD, or prompts; asks for the MFA code
                    when Garmin wants one
  --email EMAIL     the account to log in with (the password is prompted unless GARMIN_PASSWORD is for it)
  --import PATH     tokens saved by python-garminconnect (garmin_tokens.json, or its folder) or by garth
                    (a folder with oauth1_token.json + oauth2_token.json)
  --ticket ST-...   a service ticket from a browser sign-in at Garmin's mobile sign-in page (copy serviceTicketId
                    from the /mobile/api/login answer in the browser's developer tools); exchanged at once
  --service-url URL the service URL the ticket was issued for (default: the mobile sign-in's,
                    https://mobile.integration.garmin.com/gcm/android)
  --browser         opens Chromium/Chrome on Garmin's sign-in page; sign in there (MFA included)
  --browser-path P  the browser binary (default: GARMINSYNC_BROWSER, else /usr/bin/chromium)
  --headless        run the browser without a window (automation only)

When Garmin blocks password logins (429, Cloudflare, CAPTCHA), use --browser, --ticket or --import.
`;

export const LOGOUT_USAGE = `Usage: garminsync logout

Deletes the stored Garmin session (tokens). Downloaded files and the activity list stay.
`;

export const AUTH_STATUS_USAGE = `Usage: garminsync auth status [--json]

Shows the stored Garmin session: how it was made, the account's display name, expiry times and the last
refresh. Never prints a token. Exit 0 when logged in, 1 when not.
`;

/** What `login` was asked to do. Pure, for unit tests. */
export type LoginPlan =
  | { mode: "password"; email?: string }
  | { mode: "import"; path: string }
  | { mode: "ticket"; ticket: string; serviceUrl?: string }
  | { mode: "browser"; browserPath?: string; headless: boolean };

/** Parses `login` flags; conflicting modes and stray arguments → UsageError. */
export function parseLoginArgs(argv: string[]): LoginPlan {
  const { values, positionals } = parseFlags(
    argv,
    {
      email: { type: "string" },
      import: { type: "string" },
      ticket: { type: "string" },
      "service-url": { type: "string" },
      browser: { type: "boolean" },
      "browser-path": { type: "string" },
      headless: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    LOGIN_USAGE,
    true,
  );
  if (values.help) throw new HelpRequested(LOGIN_USAGE);
  if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, LOGIN_USAGE);
  const modes = (["import", "ticket", "browser"] as const).filter((k) =>
    values[k] !== undefined && values[k] !== false
  );
  if (modes.length > 1) {
    throw new UsageError(`choose one way to log in, not ${modes.map((m) => `--${m}`).join(" and ")}`, LOGIN_USAGE);
  }
  const mode: LoginPlan["mode"] = modes.length ? modes[0] : "password";
  if (values.email !== undefined && mode !== "password") {
    throw new UsageError(`--email is for a password login, not with --${mode}`, LOGIN_USAGE);
  }
  if (values["service-url"] !== undefined && mode !== "ticket") {
    throw new UsageError("--service-url goes with --ticket", LOGIN_USAGE);
  }
  if ((values["browser-path"] !== undefined || values.headless) && mode !== "browser") {
    throw new UsageError("--browser-path and --headless go with --browser", LOGIN_USAGE);
  }
  switch (mode) {
    case "import":
      if (!values.import) throw new UsageError("--import needs a file or folder", LOGIN_USAGE);
      return { mode, path: values.import };
    case "ticket": {
      const ticket = (values.ticket ?? "").trim();
      if (!/^ST-[A-Za-z0-9._-]+$/.test(ticket)) {
        throw new UsageError("--ticket needs a service ticket such as ST-0123456-AbCdEf...-sso", LOGIN_USAGE);
      }
      const serviceUrl = values["service-url"];
      if (serviceUrl !== undefined) {
        try {
          new URL(serviceUrl);
        } catch {
          throw new UsageError(`--service-url ${JSON.stringify(serviceUrl)} is not a URL`, LOGIN_USAGE);
        }
      }
      return { mode, ticket, serviceUrl };
    }
    case "browser":
      return { mode, browserPath: values["browser-path"], headless: values.headless ?? false };
    default: {
      const email = values.email?.trim();
      if (values.email !== undefined && !email) throw new UsageError("--email is empty", LOGIN_USAGE);
      return { mode: "password", email };
    }
  }
}

async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    // Token files are a few KB; refuse anything that is not a small regular file (e.g. /dev/zero) instead of hanging.
    const info = await Deno.stat(path);
    if (!info.isFile || info.size > 1_000_000) {
      throw new InvalidInput(`${path} is not a token file (a JSON file of at most 1 MB)`);
    }
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof InvalidInput) throw e;
    throw new InvalidInput(`cannot read ${path}: ${e instanceof Error ? e.message : e}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidInput(`${path} is not JSON`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Reads what `--import PATH` points at: a token file, a python-garminconnect folder, or a garth folder. */
export async function readTokenImport(path: string): Promise<unknown> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    throw new InvalidInput(`${path} does not exist: give a garmin_tokens.json file or a token folder`);
  }
  if (!info.isDirectory) return await readJsonFile(path);
  const gc = `${path}/garmin_tokens.json`;
  if (await exists(gc)) return await readJsonFile(gc);
  const o1 = `${path}/oauth1_token.json`;
  const o2 = `${path}/oauth2_token.json`;
  if (await exists(o1)) {
    return { oauth1: await readJsonFile(o1), oauth2: (await exists(o2)) ? await readJsonFile(o2) : undefined };
  }
  throw new InvalidInput(
    `${path} holds neither garmin_tokens.json (python-garminconnect) nor oauth1_token.json + oauth2_token.json (garth)`,
  );
}

function extras(auth: GarminAuth): GarminAuth & Partial<GarminAuthExtras> {
  return auth as GarminAuth & Partial<GarminAuthExtras>;
}

async function askMfa(ctx: CliContext, auth: GarminAuth): Promise<LoginResult> {
  for (let attempt = 1;; attempt++) {
    const code = await ctx.io.readLine("MFA code (Garmin sent it to you): ");
    if (code === null || !code.trim()) {
      throw new NotAuthenticated("no MFA code entered: the login was not finished; run `garminsync login` again");
    }
    try {
      return await auth.submitMfa(code.trim());
    } catch (e) {
      if (e instanceof InvalidMfaCode && attempt < 3) {
        ctx.io.stderr("Garmin did not accept that code; try again.\n");
        continue;
      }
      // The pending login lives in this process, which ends now: the API's "enter it again" does not apply here.
      if (e instanceof InvalidMfaCode) {
        throw new InvalidMfaCode(
          "Garmin did not accept the MFA code three times: run `garminsync login` again for a new code",
        );
      }
      throw e;
    }
  }
}

function loggedIn(ctx: CliContext, result: LoginResult): number {
  const who = result.status === "authenticated" && result.displayName ? ` as ${result.displayName}` : "";
  ctx.io.stdout(`Logged in to Garmin Connect${who}. The session is stored; syncs use it from now on.\n`);
  return 0;
}

/** `garminsync login ...` */
export const loginCommand: Command = async (argv, ctx) => {
  const plan = parseLoginArgs(argv);
  const deps = await ctx.open();
  const auth = deps.garmin.auth;
  switch (plan.mode) {
    case "import":
      return loggedIn(ctx, await auth.importTokens(await readTokenImport(plan.path)));
    case "ticket":
      return loggedIn(ctx, await auth.loginWithTicket(plan.ticket, plan.serviceUrl));
    case "browser": {
      const a = extras(auth);
      if (!a.loginWithBrowser) throw new InvalidInput("this build has no browser login");
      return loggedIn(
        ctx,
        await a.loginWithBrowser({
          executablePath: plan.browserPath,
          headless: plan.headless,
          notify: (m) => ctx.io.stderr(`${m}\n`),
        }),
      );
    }
    case "password": {
      let email = plan.email ?? ctx.config.garminEmail;
      if (!email) email = (await ctx.io.readLine("Garmin email: "))?.trim() ?? "";
      if (!email) throw new UsageError("no email given: set GARMIN_EMAIL, pass --email, or type it", LOGIN_USAGE);
      const configured = ctx.config.garminPassword &&
        (!ctx.config.garminEmail || ctx.config.garminEmail.toLowerCase() === email.toLowerCase());
      let password = configured ? ctx.config.garminPassword : undefined;
      if (!password) password = (await ctx.io.readLine("Garmin password: ", { secret: true })) ?? "";
      if (!password) throw new UsageError("no password given: set GARMIN_PASSWORD or type it", LOGIN_USAGE);
      deps.log.addSecret(password);
      let result = await auth.login(email, password);
      if (result.status === "mfa_required") result = await askMfa(ctx, auth);
      return loggedIn(ctx, result);
    }
  }
};

/** `garminsync logout` */
export const logoutCommand: Command = async (argv, ctx) => {
  const { values } = parseFlags(argv, { help: { type: "boolean", short: "h" } }, LOGOUT_USAGE);
  if (values.help) throw new HelpRequested(LOGOUT_USAGE);
  const deps = await ctx.open();
  const before = await deps.garmin.auth.status();
  await deps.garmin.auth.logout();
  ctx.io.stdout(
    before.method
      ? "Logged out: the stored Garmin session is deleted.\n"
      : "No Garmin session was stored; nothing to do.\n",
  );
  return 0;
};

/** Human text of an AuthStatus. */
export function formatAuthStatus(s: AuthStatus): string {
  if (!s.method) return "Not logged in to Garmin Connect. Run `garminsync login`.\n";
  const of = s.display_name ? ` of ${s.display_name}` : "";
  let headline: string;
  if (s.authenticated) headline = `Logged in to Garmin Connect${s.display_name ? ` as ${s.display_name}` : ""}.`;
  else if (s.state === "key_mismatch") {
    headline = `The stored Garmin session${of} cannot be decrypted: GARMINSYNC_SECRET_KEY is missing or is not the ` +
      "key the tokens were saved with. Set the right key, or log in again with `garminsync login`.";
  } else if (s.state === "unreadable") {
    headline = `The stored Garmin session${of} cannot be read: log in again with \`garminsync login\`.`;
  } else headline = `The Garmin session${of} has expired: run \`garminsync login\`.`;
  const lines = [
    headline,
    `  method:           ${s.method}`,
    `  access expires:   ${s.access_expires_at ?? "unknown"}`,
    `  refresh expires:  ${s.refresh_expires_at ?? "unknown"}`,
    `  last refresh:     ${s.last_refresh_at ?? "never"}`,
  ];
  return lines.join("\n") + "\n";
}

/** `garminsync auth status [--json]` */
export const authStatusCommand: Command = async (argv, ctx) => {
  const { values } = parseFlags(argv, {
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  }, AUTH_STATUS_USAGE);
  if (values.help) throw new HelpRequested(AUTH_STATUS_USAGE);
  const deps = await ctx.open();
  const status = await deps.garmin.auth.status();
  ctx.io.stdout(values.json ? JSON.stringify(status, null, 2) + "\n" : formatAuthStatus(status));
  return status.authenticated ? 0 : 1;
};
