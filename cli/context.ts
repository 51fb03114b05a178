/**
 * What every CLI command receives. Commands are `(argv, ctx) => Promise<exitCode>`; a UsageError means exit 2,
 * any other thrown error exit 1 (main.ts maps them).
 */
import type { Config } from "../lib/config.ts";
import type { AppDeps } from "../lib/deps.ts";

/** Terminal input/output, replaceable in tests. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Reads one line after printing `prompt` (on stderr); null at end of input. `secret` hides typing on a TTY. */
  readLine(prompt: string, options?: { secret?: boolean }): Promise<string | null>;
  /** True when stderr, where progress bars are drawn, is a terminal. */
  isTty: boolean;
}

/** Handed to each command by the dispatcher. */
export interface CliContext {
  io: CliIo;
  config: Config;
  /** Opens the DB (migrated), builds the Garmin client and job manager. Only commands that need them call it. */
  open(): Promise<AppDeps>;
}

/** Bad flags or arguments: the message is printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string, readonly usage?: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A command runs, reports and returns its exit code (0 success, 1 runtime failure, 3 `daemon --status` not running). */
export type Command = (argv: string[], ctx: CliContext) => Promise<number>;
