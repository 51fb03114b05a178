/**
 * A ProgressReporter that draws a cli-progress bar on a terminal (and prints nothing but the summary on a pipe).
 * cli-progress handles terminal width, redraw throttling and ETA, which a hand-rolled bar would get wrong.
 */
import cliProgress from "cli-progress";
import process from "node:process";
import type { ProgressReporter } from "../sync/job_types.ts";
import type { CliIo } from "./context.ts";

/** A reporter bound to a progress bar; call `stop()` when done. */
export interface BarReporter extends ProgressReporter {
  stop(): void;
}

/** Creates a bar reporter labelled `label`; the bar is shown only when `io.isTty`. */
export function barReporter(io: CliIo, label: string, signal: AbortSignal): BarReporter {
  const bar = io.isTty
    ? new cliProgress.SingleBar({
      format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted} | {details}`,
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
    }, cliProgress.Presets.shades_classic)
    : null;
  let total = 0;
  let done = 0;
  let started = false;
  function ensureStarted() {
    if (!started && bar) {
      bar.start(Math.max(total, 1), done, { details: "" });
      started = true;
    }
  }
  return {
    signal,
    setTotal(n) {
      total = n;
      ensureStarted();
      bar?.setTotal(Math.max(n, 1));
    },
    advance(n = 1, details) {
      done += n;
      ensureStarted();
      bar?.update(done, details !== undefined ? { details } : undefined);
    },
    detail(details) {
      ensureStarted();
      bar?.update(done, { details });
    },
    stop() {
      if (started) bar?.stop();
    },
  };
}
