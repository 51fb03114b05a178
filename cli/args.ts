/**
 * Flag parsing for every command: node:util parseArgs in strict mode, with its errors turned into UsageError.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./context.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses `argv` against `options`; unknown flags, missing values and stray positionals (unless allowed) → UsageError. */
export function parseFlags<O extends Options>(
  argv: string[],
  options: O,
  usage: string,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (e) {
    const msg = e instanceof Error ? e.message.replace(/\. To specify a positional argument.*$/s, "") : String(e);
    throw new UsageError(msg, usage);
  }
}
