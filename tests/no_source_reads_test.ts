/**
 * The part of "one executable" that can be checked without `deno compile` (its runtime, denort, cannot be
 * downloaded here): the program never reads a file of the source tree at run time. Templates, static files and
 * migrations must come in as modules (which `deno compile` embeds), never through Deno.readFile & co.
 *
 * Two checks: the source of every runtime module has no location-relative file access, and main.ts runs every
 * command in a child process whose read permission excludes the repository.
 */
import assert from "node:assert/strict";
import { startSimulator } from "../sim/server.ts";
import { garthTokens } from "./fixtures/auth/setup.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

// Where runtime code lives; tests/, bench/ and sim/ (the simulator and demo) are development tools.
const RUNTIME_DIRS = ["cli", "daemon", "db", "lib", "routes", "sync", "ui"];

/** Local files of main.ts's module graph, relative to the repository (from `deno info --json`). */
async function moduleGraph(): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, `deno info failed: ${new TextDecoder().decode(out.stderr)}`);
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: { specifier: string }[] };
  return info.modules.map((m) => m.specifier).filter((s) => s.startsWith("file://"))
    .map((s) => decodeURIComponent(new URL(s).pathname).slice(ROOT.length + 1)).sort();
}

function walk(dir: string): string[] {
  const files: string[] = [];
  for (const e of Deno.readDirSync(`${ROOT}/${dir}`)) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory) files.push(...walk(rel));
    else if (e.isFile) files.push(rel);
  }
  return files;
}

// Ways code finds files next to itself. Any of them in a runtime module means a read from the source tree (or,
// compiled, from a path that does not exist on the user's machine).
const LOCATION_RELATIVE: [RegExp, string][] = [
  [/import\.meta\.(url|dirname|filename)\b/, "import.meta location"],
  [/import\.meta\.resolve\s*\(/, "import.meta.resolve"],
  [/\bfromFileUrl\s*\(/, "fromFileUrl"],
  [/\b__dirname\b|\b__filename\b/, "__dirname/__filename"],
  [/Deno\.(readTextFile|readFile|open|readDir|stat|lstat|realPath)(Sync)?\s*\(\s*new URL\(/, "read of a URL"],
  [/Deno\.(readTextFile|readFile|open|readDir)(Sync)?\s*\(\s*["'`]\.{1,2}\//, "read of a relative source path"],
];

Deno.test("[compile] no runtime module finds files relative to its own location", async () => {
  const graph = await moduleGraph();
  assert.ok(graph.includes("main.ts") && graph.length > 20, `module graph looks wrong: ${graph.join(", ")}`);
  const files = new Set([
    "main.ts",
    ...RUNTIME_DIRS.flatMap(walk).filter((f) => /\.(ts|tsx|js|mjs)$/.test(f)),
    // Whatever else main.ts imports (e.g. from sim/ for a demo mode) ships in the binary too.
    ...graph.filter((f) => /\.(ts|tsx|js|mjs)$/.test(f)),
  ]);
  const found: string[] = [];
  for (const f of [...files].sort()) {
    const lines = (await Deno.readTextFile(`${ROOT}/${f}`)).split("\n");
    lines.forEach((line, i) => {
      if (/^\s*(\/\/|\*)/.test(line)) return; // comments
      for (const [re, what] of LOCATION_RELATIVE) {
        if (re.test(line)) found.push(`${f}:${i + 1} (${what}): ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(found, [], `runtime code that reads relative to the source tree:\n${found.join("\n")}`);
});

Deno.test("[compile] every asset in the runtime folders (migrations, css, html, sql) is imported as a module", async () => {
  const graph = new Set(await moduleGraph());
  const assets = RUNTIME_DIRS.flatMap(walk).filter((f) => !/\.(ts|tsx|js|mjs|md)$/.test(f));
  assert.ok(assets.some((f) => f.startsWith("db/migrations/")), "the migrations are found");
  const notImported = assets.filter((f) => !graph.has(f));
  assert.deepEqual(
    notImported,
    [],
    `files that main.ts does not import, so a compiled binary would not have them:\n${notImported.join("\n")}`,
  );
});

/** One finished child run. */
interface Run {
  code: number;
  out: string;
  err: string;
}

/**
 * The read allow-list for the child: the data folder (database, FIT files, PID file), the working folder (`.env`
 * is looked up there) and /proc (the PID file's liveness check reads /proc/PID/stat and cmdline). Nothing of the
 * repository and nothing of the Deno cache: module imports (local files, npm packages, the .sql text imports)
 * need no read permission, and the libSQL native addon is loaded through --allow-ffi without it. --allow-run is
 * there for `daemon --status/--stop` (Deno.kill) as in `deno task compile`; it grants no reads to this process.
 */
function permissions(dataDir: string, workDir: string): string[] {
  return [
    "--no-prompt",
    `--allow-read=${dataDir},${workDir},/proc`,
    `--allow-write=${dataDir}`,
    "--allow-net=127.0.0.1",
    "--allow-env",
    "--allow-sys",
    "--allow-ffi",
    "--allow-run",
  ];
}

function spawn(script: string, args: string[], o: { dataDir: string; workDir: string; env: Record<string, string> }) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions(o.dataDir, o.workDir), script, ...args],
    cwd: o.workDir,
    env: { NO_COLOR: "1", ...o.env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const dec = () => new TextDecoder();
  let out = "";
  let err = "";
  const pump = async (s: ReadableStream<Uint8Array>, to: (t: string) => void) => {
    const d = dec();
    for await (const c of s) to(d.decode(c, { stream: true }));
  };
  const pumps = Promise.all([pump(child.stdout, (t) => out += t), pump(child.stderr, (t) => err += t)]);
  const done = child.status.then(async (s) => {
    await pumps;
    return { code: s.code, out, err } as Run;
  });
  return { child, done, output: () => out + err };
}

async function run(
  script: string,
  args: string[],
  o: { dataDir: string; workDir: string; env: Record<string, string>; input?: string },
): Promise<Run> {
  const p = spawn(script, args, o);
  const w = p.child.stdin.getWriter();
  if (o.input) await w.write(new TextEncoder().encode(o.input));
  await w.close();
  return await p.done;
}

/** A permission failure in a child's output (what a read outside the allow-list produces). */
function assertNoPermissionError(r: Run, what: string) {
  const text = r.out + r.err;
  assert.ok(
    !/NotCapable|Requires (read|write|net|env|sys|ffi|run) access|PermissionDenied/.test(text),
    `${what} hit a permission error:\n${text}`,
  );
}

Deno.test("[compile] main.ts runs every command with read access to the data folder only, none to the repository", async (t) => {
  const dataDir = await Deno.makeTempDir({ prefix: "gs_nsr_data_" });
  const workDir = await Deno.makeTempDir({ prefix: "gs_nsr_cwd_" });
  const sim = await startSimulator({ activities: 12, healthDays: 3, workouts: 2, fitRecords: 5 });
  const env = {
    GARMINSYNC_DATA_DIR: dataDir,
    GARMINSYNC_GARMIN_URL: sim.url,
    GARMINSYNC_REQUEST_DELAY_MS: "0",
    GARMINSYNC_HOST: "127.0.0.1",
    GARMINSYNC_PORT: "0",
  };
  const o = { dataDir, workDir, env };
  const main = `${ROOT}/main.ts`;
  try {
    await t.step("the sandbox bites: a read of a repository file is refused", async () => {
      const canary = `${workDir}/canary.ts`;
      await Deno.writeTextFile(
        canary,
        `try { await Deno.readTextFile(${JSON.stringify(`${ROOT}/deno.json`)}); console.log("READ"); }\n` +
          `catch (e) { console.log(e instanceof Deno.errors.NotCapable ? "REFUSED" : "OTHER " + e); }\n`,
      );
      const r = await run(canary, [], o);
      assert.equal(r.out.trim(), "REFUSED", r.out + r.err);
    });

    await t.step("--help and --version", async () => {
      const help = await run(main, ["--help"], o);
      assert.equal(help.code, 0, help.err);
      assert.match(help.out, /Usage: garminsync <command>/);
      const version = await run(main, ["--version"], o);
      assert.equal(version.code, 0, version.err);
      assert.match(version.out, /^garminsync \d+\.\d+\.\d+/);
    });

    await t.step(
      "list --all --offline on a new data folder creates the database (migrations from modules)",
      async () => {
        const r = await run(main, ["list", "--all", "--offline"], o);
        assertNoPermissionError(r, "list");
        assert.equal(r.code, 0, r.err);
        assert.ok(Deno.statSync(`${dataDir}/garmin.db`).isFile);
      },
    );

    await t.step("login (password on stdin), sync all, list --downloaded --json, auth status", async () => {
      const login = await run(main, ["login"], { ...o, input: `${sim.account.email}\n${sim.account.password}\n` });
      assertNoPermissionError(login, "login");
      assert.equal(login.code, 0, login.out + login.err);
      const sync = await run(main, ["sync", "all"], o);
      assertNoPermissionError(sync, "sync all");
      assert.equal(sync.code, 0, sync.out + sync.err);
      const fits = [...Deno.readDirSync(dataDir)].filter((e) => e.name.endsWith(".fit"));
      const manual = sim.activities.filter((a) => a.manual).length;
      assert.equal(fits.length, 12 - manual);
      const list = await run(main, ["list", "--downloaded", "--offline", "--json"], o);
      assert.equal(list.code, 0, list.err);
      assert.equal((JSON.parse(list.out) as unknown[]).length, 12 - manual);
      const status = await run(main, ["auth", "status", "--json"], o);
      assertNoPermissionError(status, "auth status");
      assert.equal(status.code, 0, status.err);
    });

    await t.step(
      "daemon --start serves pages, static files, /openapi.json and /healthz; --status; SIGTERM",
      async () => {
        const d = spawn(main, ["daemon", "--start", "--port", "0"], o);
        await d.child.stdin.close();
        try {
          let port = 0;
          const deadline = Date.now() + 20_000;
          while (!port && Date.now() < deadline) {
            port = Number(d.output().match(/listening on http:\/\/[^:]+:(\d+)/)?.[1] ?? 0);
            if (!port) await new Promise((r) => setTimeout(r, 50));
          }
          assert.ok(port > 0, `the daemon did not say where it listens:\n${d.output()}`);
          for (const path of ["/", "/activities", "/health", "/logs", "/settings", "/login"]) {
            const res = await fetch(`http://127.0.0.1:${port}${path}`, { redirect: "manual" });
            const body = await res.text();
            assert.ok(
              res.status === 200 || res.status === 303,
              `${path} answered ${res.status}: ${body.slice(0, 300)}`,
            );
          }
          for (const [path, type] of [["/static/app.css", "text/css"], ["/static/app.js", "javascript"]]) {
            const res = await fetch(`http://127.0.0.1:${port}${path}`);
            const body = await res.text();
            assert.equal(res.status, 200, path);
            assert.ok(res.headers.get("content-type")?.includes(type), `${path}: ${res.headers.get("content-type")}`);
            assert.ok(body.length > 100, `${path} has content`);
          }
          const spec = await fetch(`http://127.0.0.1:${port}/openapi.json`);
          assert.equal(spec.status, 200);
          assert.match(String((await spec.json()).openapi), /^3\./);
          const health = await fetch(`http://127.0.0.1:${port}/healthz`);
          assert.equal(health.status, 200);
          await health.body?.cancel();
          const status = await run(main, ["daemon", "--status"], o);
          assertNoPermissionError(status, "daemon --status");
          assert.equal(status.code, 0, status.out + status.err);
        } finally {
          d.child.kill("SIGTERM");
        }
        const r = await d.done;
        assertNoPermissionError(r, "daemon");
        assert.equal(r.code, 0, r.out + r.err);
      },
    );

    await t.step(
      "login --import of garth tokens, then a sync that refreshes them through the lazily imported garmin-connect",
      async () => {
        const garth = await garthTokens(sim);
        const folder = `${workDir}/garth`;
        await Deno.mkdir(folder);
        await Deno.writeTextFile(`${folder}/oauth1_token.json`, JSON.stringify(garth.oauth1));
        await Deno.writeTextFile(`${folder}/oauth2_token.json`, JSON.stringify(garth.oauth2));
        const login = await run(main, ["login", "--import", folder], o);
        assertNoPermissionError(login, "login --import");
        assert.equal(login.code, 0, login.out + login.err);
        sim.expireAccessTokens();
        const exchanges = sim.counters().oauth2Exchanges;
        const sync = await run(main, ["sync", "activities"], o);
        assertNoPermissionError(sync, "sync with a legacy refresh");
        assert.equal(sync.code, 0, sync.out + sync.err);
        assert.equal(sim.counters().oauth2Exchanges, exchanges + 1, "the OAuth1-signed exchange ran");
      },
    );

    await t.step("logout", async () => {
      const r = await run(main, ["logout"], o);
      assertNoPermissionError(r, "logout");
      assert.equal(r.code, 0, r.out + r.err);
    });
  } finally {
    await sim.close();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    await Deno.remove(workDir, { recursive: true }).catch(() => {});
  }
});
