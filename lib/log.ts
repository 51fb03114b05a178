/**
 * A tiny line logger that never prints a secret: every value registered with `addSecret` (passwords,
 * Garmin tokens, the API token) is replaced by `***` in each line before it is written.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";

/** The logger handed to every part that logs. */
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** Registers a value that must never appear in output (ignored when shorter than 6 characters). */
  addSecret(value: string | undefined | null): void;
  /** Replaces every registered secret in `text`. */
  redact(text: string): string;
  /** The last lines written (already redacted), newest last. */
  recent(n?: number): string[];
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Creates a logger writing `ISO level message` lines to `sink` (stderr by default). */
export function createLogger(options: {
  level?: LogLevel;
  sink?: (line: string) => void;
  clock?: () => Date;
  keep?: number;
} = {}): Logger {
  const level = options.level ?? "info";
  const encoder = new TextEncoder();
  const sink = options.sink ?? ((line: string) => Deno.stderr.writeSync(encoder.encode(line + "\n")));
  const clock = options.clock ?? (() => new Date());
  const keep = options.keep ?? 200;
  const secrets = new Set<string>();
  const ring: string[] = [];

  function redact(text: string): string {
    let out = text;
    for (const s of secrets) if (out.includes(s)) out = out.split(s).join("***");
    return out;
  }
  function write(l: LogLevel, msg: string) {
    if (ORDER[l] < ORDER[level]) return;
    const line = `${clock().toISOString()} ${l.toUpperCase().padEnd(5)} ${redact(msg)}`;
    ring.push(line);
    if (ring.length > keep) ring.shift();
    sink(line);
  }
  return {
    debug: (m) => write("debug", m),
    info: (m) => write("info", m),
    warn: (m) => write("warn", m),
    error: (m) => write("error", m),
    addSecret(value) {
      if (value && value.length >= 6) secrets.add(value);
    },
    redact,
    recent: (n = 50) => ring.slice(-n),
  };
}
