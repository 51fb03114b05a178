/**
 * `garminsync login` with MFA through a real stdin: a child `deno run -A main.ts login` against the simulator
 * (in this process, over HTTP), fed a wrong code and then the right one only after each prompt appears on its
 * stderr; then `auth status` in another child reads the stored session.
 */
import { startSimulator } from "../sim/server.ts";
import { assert, assertEquals, assertStringIncludes } from "./fixtures/auth/asserts.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** The child's environment: only what Deno needs to run, plus the test's variables (no stray GARMINSYNC_*). */
function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const k of ["HOME", "PATH", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
    const v = Deno.env.get(k);
    if (v) env[k] = v;
  }
  return { ...env, ...extra };
}

/** A child `main.ts` whose stdout and stderr are collected as they come. */
function spawnMain(args: string[], env: Record<string, string>, stdin: "piped" | "null") {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args],
    cwd: ROOT,
    clearEnv: true,
    env: childEnv(env),
    stdin,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = { stdout: "", stderr: "" };
  const pump = async (s: ReadableStream<Uint8Array>, key: "stdout" | "stderr") => {
    const dec = new TextDecoder();
    for await (const chunk of s) out[key] += dec.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(child.stdout, "stdout"), pump(child.stderr, "stderr")]);
  const status = child.status.then(async (s) => {
    await pumps;
    return s;
  });
  return { child, status, out };
}

/** Waits until `check()` holds, failing after `ms` with what the child said so far. */
async function waitFor(check: () => boolean, what: string, said: () => string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; the child said:\n${said()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

Deno.test("[cli] login through a real stdin: MFA prompt on stderr, a wrong code asked again, the right one logs in", async () => {
  const sim = await startSimulator({ quiet: true, account: { mfa: true } });
  const dir = await Deno.makeTempDir({ prefix: "garminsync-stdin-" });
  const env = {
    GARMINSYNC_GARMIN_URL: sim.url,
    GARMINSYNC_DATA_DIR: dir,
    GARMINSYNC_REQUEST_DELAY_MS: "0",
    GARMIN_EMAIL: sim.account.email,
    GARMIN_PASSWORD: sim.account.password,
  };
  const login = spawnMain(["login"], env, "piped");
  const writer = login.child.stdin.getWriter();
  let closed = false;
  try {
    const said = () => `stdout:\n${login.out.stdout}\nstderr:\n${login.out.stderr}`;
    const prompt = "MFA code (Garmin sent it to you): ";
    await waitFor(() => count(login.out.stderr, prompt) >= 1, "the first MFA prompt", said);
    assertEquals(sim.counters().passwordLogins, 1, "the password came from the environment: one login");
    await writer.write(new TextEncoder().encode("000000\n"));
    await waitFor(() => count(login.out.stderr, prompt) >= 2, "the second MFA prompt", said);
    assertStringIncludes(login.out.stderr, "did not accept");
    await writer.write(new TextEncoder().encode(`${sim.account.mfaCode}\n`));
    await writer.close();
    closed = true;
    const status = await login.status;
    assertEquals(status.code, 0, said());
    assertStringIncludes(login.out.stdout, "Logged in to Garmin Connect as demo_athlete");
    assert(!login.out.stdout.includes(prompt), "prompts go to stderr, not stdout");
    assertEquals(sim.calls("/api/mfa/verifyCode").map((c) => c.status), [400, 200]);
    assertEquals(sim.counters().mfaVerifications, 1);

    const status2 = spawnMain(["auth", "status"], env, "null");
    const s2 = await status2.status;
    assertEquals(s2.code, 0, status2.out.stderr);
    assertStringIncludes(status2.out.stdout, "Logged in to Garmin Connect as demo_athlete");
    assertStringIncludes(status2.out.stdout, "method:           password");
    assertEquals(sim.counters().passwordLogins, 1, "auth status logs nothing in");

    const all = login.out.stdout + login.out.stderr + status2.out.stdout + status2.out.stderr;
    for (const s of sim.issuedSecrets()) {
      assert(s.length < 6 || !all.includes(s), `a secret (${s.slice(0, 4)}…) appears in the CLI output`);
    }
  } finally {
    if (!closed) {
      await writer.close().catch(() => {});
      try {
        login.child.kill();
      } catch { /* already gone */ }
    }
    await login.status;
    await sim.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
