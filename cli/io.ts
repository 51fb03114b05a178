/**
 * The real terminal behind CliIo: stdout/stderr writes, and line prompts on stdin that work both on a TTY
 * (typing hidden for secrets) and on a pipe (tests and scripts feed lines).
 */
import type { CliIo } from "./context.ts";

/** Builds a CliIo on the process's standard streams. */
export function terminalIo(): CliIo {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  let buffered = "";
  let ended = false;
  const chunk = new Uint8Array(4096);

  async function readRawLine(secret: boolean): Promise<string | null> {
    const tty = Deno.stdin.isTerminal();
    if (tty && secret) Deno.stdin.setRaw(true);
    try {
      while (true) {
        const nl = buffered.search(/\r?\n|\r/);
        if (nl >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl).replace(/^(\r\n|\n|\r)/, "");
          return line;
        }
        if (ended) {
          if (buffered === "") return null;
          const line = buffered;
          buffered = "";
          return line;
        }
        const n = await Deno.stdin.read(chunk);
        if (n === null) {
          ended = true;
          continue;
        }
        const text = dec.decode(chunk.subarray(0, n), { stream: true });
        if (tty && secret && text.includes("\u0003")) throw new Error("cancelled");
        buffered += text;
      }
    } finally {
      if (tty && secret) {
        Deno.stdin.setRaw(false);
        Deno.stderr.writeSync(enc.encode("\n"));
      }
    }
  }

  return {
    stdout: (text) => writeAll(Deno.stdout, enc.encode(text)),
    stderr: (text) => writeAll(Deno.stderr, enc.encode(text)),
    readLine: async (prompt, options) => {
      writeAll(Deno.stderr, enc.encode(prompt));
      return await readRawLine(options?.secret ?? false);
    },
    // The progress bar draws on stderr, so that is the stream that must be a terminal.
    isTty: Deno.stderr.isTerminal(),
  };
}

function writeAll(stream: { writeSync(p: Uint8Array): number }, data: Uint8Array): void {
  let off = 0;
  try {
    while (off < data.length) off += stream.writeSync(data.subarray(off));
  } catch (e) {
    // The reader went away (`garminsync list --all | head`): stop quietly, as Unix tools do.
    if (e instanceof Deno.errors.BrokenPipe) Deno.exit(0);
    throw e;
  }
}
