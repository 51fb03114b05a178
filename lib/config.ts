/**
 * Configuration: one pure `loadConfig(env)` validated with zod, plus a `.env` reader.
 * The real environment wins over `.env`; an empty value counts as unset.
 */
import { z } from "zod";
import { Cron } from "croner";

const emptyToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);

const port = z.coerce.number({ error: "must be a whole number" }).int("must be a whole number")
  .min(0, "must be 0-65535").max(65535, "must be 0-65535");

const schema = z.object({
  GARMIN_EMAIL: z.preprocess(emptyToUndefined, z.string().optional()),
  GARMIN_PASSWORD: z.preprocess(emptyToUndefined, z.string().optional()),
  GARMINSYNC_DATA_DIR: z.preprocess(emptyToUndefined, z.string().default("./data")),
  GARMINSYNC_DB_URL: z.preprocess(
    emptyToUndefined,
    z.string().refine((v) => /^(file:|libsql:\/\/|https?:\/\/|wss?:\/\/|:memory:)/.test(v), {
      message: "must be a libSQL URL: file:PATH, libsql://HOST, http(s)://HOST or ws(s)://HOST",
    }).refine((v) => {
      if (v.startsWith("file:") || v === ":memory:") return true;
      try {
        return new URL(v).hostname !== "";
      } catch {
        return false;
      }
    }, { message: "is not a parseable URL with a host" }).optional(),
  ),
  GARMINSYNC_DB_AUTH_TOKEN: z.preprocess(emptyToUndefined, z.string().optional()),
  GARMINSYNC_GARMIN_URL: z.preprocess(
    emptyToUndefined,
    z.url({ protocol: /^https?$/, error: "must be an http(s) origin such as http://127.0.0.1:9999" })
      .transform((v) => new URL(v).origin).optional(),
  ),
  GARMINSYNC_REQUEST_DELAY_MS: z.preprocess(
    emptyToUndefined,
    z.coerce.number({ error: "must be a whole number of milliseconds" }).int("must be a whole number of milliseconds")
      .min(0, "must not be negative").max(600_000, "must be at most 600000").default(2000),
  ),
  GARMINSYNC_HOST: z.preprocess(
    emptyToUndefined,
    z.string().default("127.0.0.1").refine(
      (v) => /^[A-Za-z0-9.-]+$/.test(v) || /^\[?[0-9A-Fa-f:.]+\]?$/.test(v),
      { message: "must be a host name or IP address, e.g. 127.0.0.1 or 0.0.0.0" },
    ),
  ),
  GARMINSYNC_PORT: z.preprocess(emptyToUndefined, port.default(8080)),
  GARMINSYNC_API_TOKEN: z.preprocess(emptyToUndefined, z.string().min(8, "must be at least 8 characters").optional()),
  GARMINSYNC_SCHEDULE: z.preprocess(
    emptyToUndefined,
    z.string().default("0 */6 * * *").superRefine((v, ctx) => {
      const reason = cronError(v);
      if (reason) ctx.addIssue({ code: "custom", message: `is not a valid cron expression (${reason})` });
    }),
  ),
  GARMINSYNC_SECRET_KEY: z.preprocess(emptyToUndefined, z.string().min(8, "must be at least 8 characters").optional()),
  GARMINSYNC_BROWSER: z.preprocess(emptyToUndefined, z.string().default("/usr/bin/chromium")),
  GARMINSYNC_ALLOWED_HOSTS: z.preprocess(
    emptyToUndefined,
    z.string().default("").transform((v) => v.split(",").map((h) => h.trim().toLowerCase()).filter((h) => h !== ""))
      .refine((hosts) => hosts.every((h) => /^[a-z0-9.-]+$/.test(h) || /^\[?[0-9a-f:.]+\]?$/.test(h)), {
        message: "must be a comma-separated list of host names or IP addresses (no ports), e.g. nas.local,192.168.1.5",
      }),
  ),
});

/** Validated configuration, in the names the code uses. */
export interface Config {
  garminEmail?: string;
  garminPassword?: string;
  dataDir: string;
  dbUrl: string;
  dbAuthToken?: string;
  /** Origin that replaces every Garmin host (simulator, proxy); undefined = the real Garmin. */
  garminUrl?: string;
  requestDelayMs: number;
  host: string;
  port: number;
  apiToken?: string;
  schedule: string;
  secretKey?: string;
  /** The Chromium/Chrome that `login --browser` drives. */
  browserPath: string;
  /** Extra Host names the API answers without a token (GARMINSYNC_ALLOWED_HOSTS; DNS-rebinding guard). */
  allowedHosts: string[];
}

/** A configuration value that does not validate; `message` names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Returns why `expr` is not a usable cron expression, or undefined when it is. */
export function cronError(expr: string): string | undefined {
  try {
    const c = new Cron(expr, { paused: true });
    const next = c.nextRun();
    c.stop();
    if (!next) return "it never fires";
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Validates an environment-like record into a Config, or throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${String(i.path[0])} ${i.message}`));
  }
  const v = parsed.data;
  const dataDir = v.GARMINSYNC_DATA_DIR.replace(/\/+$/, "") || "/";
  return {
    garminEmail: v.GARMIN_EMAIL,
    garminPassword: v.GARMIN_PASSWORD,
    dataDir,
    dbUrl: v.GARMINSYNC_DB_URL ?? `file:${dataDir === "/" ? "" : dataDir}/garmin.db`,
    dbAuthToken: v.GARMINSYNC_DB_AUTH_TOKEN,
    garminUrl: v.GARMINSYNC_GARMIN_URL,
    requestDelayMs: v.GARMINSYNC_REQUEST_DELAY_MS,
    host: v.GARMINSYNC_HOST,
    port: v.GARMINSYNC_PORT,
    apiToken: v.GARMINSYNC_API_TOKEN,
    schedule: v.GARMINSYNC_SCHEDULE,
    secretKey: v.GARMINSYNC_SECRET_KEY,
    browserPath: v.GARMINSYNC_BROWSER,
    allowedHosts: v.GARMINSYNC_ALLOWED_HOSTS,
  };
}

/**
 * Parses `.env` text (KEY=value, optional quotes, # comments, optional `export`). A line that is none of these is a
 * mistake that would otherwise be silently ignored: ConfigError naming its line number.
 */
export function parseDotEnv(text: string, name = ".env"): Record<string, string> {
  const out: Record<string, string> = {};
  const bad: string[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = line.match(/^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/);
    if (!m) {
      // Name the line and what looks like its key, never its value: the line may hold a password.
      const key = line.match(/^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)/)?.[1];
      bad.push(`${name} line ${i + 1}${key ? ` (${key})` : ""} is not KEY=value`);
      continue;
    }
    let value = m[2];
    // A quoted value may be followed by a comment: KEY="a b"  # note
    const quoted = value.match(/^(["'])(.*?)\1\s*(?:#.*)?$/);
    if (quoted) value = quoted[1] === '"' ? quoted[2].replace(/\\n/g, "\n").replace(/\\"/g, '"') : quoted[2];
    else value = value.replace(/\s+#.*$/, "");
    out[m[1]] = value;
  }
  if (bad.length) throw new ConfigError(bad);
  return out;
}

/** Merges `.env` (if present in `cwd`) under the real environment: the real environment wins, empty = unset. */
export async function readEnvironment(
  realEnv: Record<string, string>,
  dotEnvPath = ".env",
): Promise<Record<string, string | undefined>> {
  const text = await readDotEnv(dotEnvPath);
  const fileVars = text === null ? {} : parseDotEnv(text, dotEnvPath);
  const merged: Record<string, string | undefined> = { ...fileVars };
  for (const [k, v] of Object.entries(realEnv)) {
    if (v !== "" || !(k in merged)) merged[k] = v;
  }
  return merged;
}

/** The `.env` text, or null when there is none (or the working folder may not be read: a narrowed run). */
async function readDotEnv(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotCapable) return null;
    throw new ConfigError([`${path} cannot be read (${e instanceof Error ? e.message : e}): fix or remove it`]);
  }
}
