/**
 * The standalone simulator's fault switches: `--fault SPEC` on `sim/main.ts` (spawned as a child process, the way
 * a person runs `deno task sim`) and the loopback-only `/__sim/` control API, over real HTTP.
 */
import { assert, assertEquals, assertMatch, assertNotMatch } from "./assert.ts";
import { FAULT_KINDS, FaultSpecError, formatFaultSpec, parseFaultSpec } from "../sim/faults.ts";
import { controlRefusal, isLoopbackAddress, isLoopbackHost } from "../sim/control.ts";
import { type Simulator, startSimulator } from "../sim/server.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const MOBILE_SERVICE = "https://mobile.integration.garmin.com/gcm/android";
const CLIENT_ID = "GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2";
const LIST = "/activitylist-service/activities/search/activities?start=0&limit=20";

/** The simulator as a child process, with what it printed so far. */
interface SimProcess {
  url: string;
  email: string;
  password: string;
  out: () => string;
  stop: () => Promise<{ code: number; out: string }>;
}

/** Spawns `deno run sim/main.ts --port 0 ...args` and waits for its start-up lines. */
async function spawnSim(args: string[]): Promise<SimProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-read", "--allow-env", "sim/main.ts", "--port", "0", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const drained = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      out += value;
    }
  })();
  const stderr = new Response(child.stderr).text();
  const deadline = Date.now() + 15_000;
  while (!/Inject a fault/.test(out)) {
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await child.status;
      await drained;
      throw new Error(`the simulator did not start:\n${out}\n${await stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const field = (re: RegExp) => {
    const m = re.exec(out);
    assert(m, `start-up output lacks ${re}:\n${out}`);
    return m[1];
  };
  return {
    url: field(/listening on (http:\/\/127\.0\.0\.1:\d+)/),
    email: field(/GARMIN_EMAIL=(\S+)/),
    password: field(/GARMIN_PASSWORD=(\S+)/),
    out: () => out,
    async stop() {
      child.kill("SIGTERM");
      const status = await child.status;
      await drained;
      await stderr;
      return { code: status.code, out };
    },
  };
}

/** Mobile JSON login then DI exchange, as GarminSync's client does; answers a Bearer token. */
async function accessToken(url: string, email: string, password: string): Promise<string> {
  const page = await fetch(`${url}/mobile/sso/en/sign-in?clientId=GCM_ANDROID_DARK`);
  await page.body?.cancel();
  const cookie = page.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const query = new URLSearchParams({ clientId: "GCM_ANDROID_DARK", locale: "en-US", service: MOBILE_SERVICE });
  const login = await fetch(`${url}/mobile/api/login?${query}`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify({ username: email, password, rememberMe: false, captchaToken: "" }),
  });
  const ticket = String((await login.json()).serviceTicketId);
  const token = await fetch(`${url}/di-oauth2-service/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa(`${CLIENT_ID}:`)}` },
    body: new URLSearchParams({
      client_id: CLIENT_ID,
      service_ticket: ticket,
      grant_type: "https://connectapi.garmin.com/di-oauth2-service/oauth/grant/service_ticket",
      service_url: MOBILE_SERVICE,
    }),
  });
  assertEquals(token.status, 200);
  return String((await token.json()).access_token);
}

async function get(url: string, token?: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: await res.text() };
}

async function control(
  url: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; type: string; json: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return { status: res.status, type: res.headers.get("content-type") ?? "", json: await res.json() };
}

/** One raw HTTP/1.1 request over TCP, so headers fetch will not set (Host) can be sent as written. */
async function rawRequest(url: string, head: string): Promise<string> {
  const { port } = new URL(url);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
  await conn.write(new TextEncoder().encode(`${head}\r\nConnection: close\r\n\r\n`));
  let text = "";
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  conn.close();
  return text;
}

async function withSim(fn: (sim: Simulator) => Promise<void>): Promise<void> {
  const sim = await startSimulator({ activities: 5, healthDays: 2, workouts: 1 });
  try {
    await fn(sim);
  } finally {
    await sim.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Fault specs (pure)

Deno.test("[sim] fault specs: kind, :arg, @path regex and xN/x* for every kind", () => {
  const cases: [string, Record<string, unknown>, number, string][] = [
    ["rate_limit:30@/download-service/x3", { kind: "rate_limit", retryAfter: 30 }, 3, "/download-service/"],
    ["rate_limit@/download-service/", { kind: "rate_limit" }, 1, "/download-service/"],
    [
      "rate_limit:Wed, 21 Oct 2026 07:28:00 GMT",
      { kind: "rate_limit", retryAfter: "Wed, 21 Oct 2026 07:28:00 GMT" },
      1,
      "",
    ],
    ["status:503@/activitylist-service", { kind: "status", status: 503 }, 1, "/activitylist-service"],
    ["status", { kind: "status", status: 500 }, 1, ""],
    ["drop@/download-service/x*", { kind: "drop" }, Infinity, "/download-service/"],
    ["truncate@/download-service/", { kind: "truncate" }, 1, "/download-service/"],
    ["slow:5000@/download-service/", { kind: "slow", delayMs: 5000 }, 1, "/download-service/"],
    ["slow:0", { kind: "slow", delayMs: 0 }, 1, ""],
    ["cloudflare@/mobile/api/login", { kind: "cloudflare" }, 1, "/mobile/api/login"],
    ["captcha", { kind: "captcha" }, 1, "/api/login"],
    ["json_429x2", { kind: "json_429" }, 2, ""],
    ["html@/activitylist-service", { kind: "html" }, 1, "/activitylist-service"],
    ["corrupt_zip", { kind: "corrupt_zip" }, 1, "/download-service/"],
    ["not_fit", { kind: "not_fit" }, 1, "/download-service/"],
    ["bad_fit_crc@activity/42$", { kind: "bad_fit_crc" }, 1, "activity/42$"],
    ["status:404@user@host", { kind: "status", status: 404 }, 1, "user@host"],
  ];
  const seen = new Set<string>();
  for (const [spec, fields, times, match] of cases) {
    const fault = parseFaultSpec(spec);
    seen.add(fault.kind);
    for (const [k, v] of Object.entries(fields)) {
      assertEquals((fault as Record<string, unknown>)[k], v, `${spec}: ${k}`);
    }
    assertEquals(fault.times, times, `${spec}: times`);
    assert(fault.match instanceof RegExp, spec);
    assertEquals(fault.match.source === "(?:)" ? "" : fault.match.source.replaceAll("\\/", "/"), match, spec);
    // The printed form parses back to the same fault.
    assertEquals(parseFaultSpec(formatFaultSpec(fault, times)), fault, `${spec} round trip`);
  }
  assertEquals([...seen].sort(), [...FAULT_KINDS].sort(), "every kind is covered");
  const regex = parseFaultSpec("status:503@activity/\\d+$").match as RegExp;
  assert(regex.test("/activity-service/activity/17"));
  assert(!regex.test("/activity-service/activity/17/details"));
});

Deno.test("[sim] bad fault specs are refused with a message saying what is wrong", () => {
  const cases: [string, RegExp][] = [
    ["", /empty fault spec/],
    ["bogus", /unknown fault kind "bogus"/],
    ["x3", /unknown fault kind "x3"/],
    ["status:abc", /status takes an HTTP status from 100 to 599, got "abc"/],
    ["status:700", /from 100 to 599/],
    ["drop:5", /drop takes no :arg/],
    ["status:", /empty :arg/],
    ["rate_limit:soon", /Retry-After as seconds or an HTTP date/],
    ["status@(unclosed", /bad path regex "\(unclosed"/],
    ["dropx0", /times must be a positive integer/],
  ];
  for (const [spec, message] of cases) {
    let error: unknown;
    try {
      parseFaultSpec(spec);
    } catch (err) {
      error = err;
    }
    assert(error instanceof FaultSpecError, `"${spec}" was accepted`);
    assertMatch(error.message, message, spec);
  }
});

Deno.test("[sim] the control API answers loopback peers with a loopback Host and no Origin only", () => {
  for (const a of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1"]) {
    assert(isLoopbackAddress(a), a);
  }
  for (const a of ["10.0.0.5", "192.168.1.2", "::ffff:10.0.0.5", "fe80::1", "128.0.0.1", "1127.0.0.1", "", undefined]) {
    assert(!isLoopbackAddress(a), String(a));
  }
  for (const h of ["127.0.0.1:9999", "localhost:9999", "LOCALHOST", "[::1]:9999", "127.0.0.1", undefined]) {
    assert(isLoopbackHost(h), String(h));
  }
  for (const h of ["evil.example", "evil.example:9999", "127.0.0.1.evil.example", "[fe80::1]:9999", "10.0.0.1:80"]) {
    assert(!isLoopbackHost(h), h);
  }
  assertEquals(controlRefusal("127.0.0.1", { host: "127.0.0.1:9" }), null);
  assertMatch(controlRefusal("10.0.0.5", { host: "127.0.0.1:9" }) ?? "", /loopback clients only/);
  assertMatch(controlRefusal("127.0.0.1", { host: "evil.example" }) ?? "", /loopback host only/);
  assertMatch(controlRefusal("::1", { host: "[::1]:9", origin: "http://evil.example" }) ?? "", /web pages/);
});

// ---------------------------------------------------------------------------------------------------------------
// The standalone simulator

Deno.test("[sim] deno task sim --fault status:503@/activitylist-service/x1: the first list call is 503, the next 200", async () => {
  const sim = await spawnSim([
    "--activities",
    "5",
    "--health-days",
    "2",
    "--workouts",
    "1",
    "--fault",
    "status:503@/activitylist-service/x1",
  ]);
  try {
    assertMatch(sim.out(), /Fault queued: status:503@\/activitylist-service\/x1/);
    assertMatch(sim.out(), /Inject a fault: curl -d '\{"spec":"[^']+"\}' http:\/\/127\.0\.0\.1:\d+\/__sim\/faults/);
    const token = await accessToken(sim.url, sim.email, sim.password);
    const first = await get(`${sim.url}${LIST}`, token);
    assertEquals(first.status, 503);
    const second = await get(`${sim.url}${LIST}`, token);
    assertEquals(second.status, 200);
    assertEquals(JSON.parse(second.body).length, 5);

    // The control API: add a fault, see it, clear it; add activities. None of it shows in the recorded calls.
    const added = await control(sim.url, "POST", "/__sim/faults", { spec: "rate_limit:30@/activitylist-service/x*" });
    assertEquals(added.status, 201);
    assertMatch(added.type, /application\/json/);
    assertEquals(added.json.spec, "rate_limit:30@/activitylist-service/x*");
    const queued = await control(sim.url, "GET", "/__sim/faults");
    assertEquals((queued.json.faults as { spec: string }[]).map((f) => f.spec), [
      "rate_limit:30@/activitylist-service/x*",
    ]);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${sim.url}${LIST}`, { headers: { authorization: `Bearer ${token}` } });
      assertEquals(res.status, 429);
      assertEquals(res.headers.get("retry-after"), "30");
      await res.body?.cancel();
    }
    const cleared = await control(sim.url, "DELETE", "/__sim/faults");
    assertEquals(cleared.json, { cleared: 1 });
    assertEquals((await control(sim.url, "GET", "/__sim/faults")).json, { faults: [] });

    const more = await control(sim.url, "POST", "/__sim/activities", { count: 2 });
    assertEquals(more.status, 201);
    assertEquals(more.json.total, 7);
    const ids = (more.json.added as { activityId: number }[]).map((a) => a.activityId);
    const list = JSON.parse((await get(`${sim.url}${LIST}`, token)).body) as { activityId: number }[];
    assertEquals(list.length, 7);
    assertEquals(list.slice(0, 2).map((a) => a.activityId), ids, "the new activities are the newest");

    const calls = (await control(sim.url, "GET", "/__sim/calls?match=activitylist")).json.calls as {
      status: number;
      path: string;
    }[];
    assertEquals(calls.map((c) => c.status), [503, 200, 429, 429, 200]);
    const all = (await control(sim.url, "GET", "/__sim/calls")).json.calls as { path: string }[];
    assert(all.length > calls.length, "login and token calls are recorded too");
    assertEquals(all.filter((c) => c.path.includes("__sim")), [], "control requests are never recorded");
  } finally {
    const { code, out } = await sim.stop();
    assertEquals(code, 0);
    assertMatch(out, /Simulator stopped\./);
  }
});

Deno.test("[sim] a bad --fault exits 2 naming the kinds and the syntax; --help documents faults", async () => {
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net", "--allow-read", "--allow-env", "sim/main.ts", "--port", "0", ...args],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
  const bad = await run(["--fault", "status:503@/x", "--fault", "teapot@/x"]);
  assertEquals(bad.code, 2);
  const err = new TextDecoder().decode(bad.stderr);
  assertMatch(err, /--fault: unknown fault kind "teapot" in "teapot@\/x"/);
  assertMatch(err, /kind\[:arg\]\[@pathRegex\]\[xN\|x\*\]/);
  for (const kind of FAULT_KINDS) assertMatch(err, new RegExp(`\\n  ${kind} `), kind);
  assertEquals(new TextDecoder().decode(bad.stdout), "", "it never started");

  const help = await run(["--help"]);
  assertEquals(help.code, 0);
  const text = new TextDecoder().decode(help.stdout);
  assertMatch(text, /--fault SPEC/);
  assertMatch(text, /rate_limit:30@\/download-service\/x3/);
  assertMatch(text, /POST\s+\/__sim\/faults/);
  assertMatch(text, /curl -d/);
});

// ---------------------------------------------------------------------------------------------------------------
// The control API in-process (same server code)

Deno.test("[sim] control API: JSON faults, bad input answers 400, unknown paths 404, wrong methods 405", async () => {
  await withSim(async (sim) => {
    const slow = await control(sim.url, "POST", "/__sim/faults", {
      kind: "status",
      status: 502,
      body: "bad gateway",
      match: "/userprofile-service/",
      times: 2,
    });
    assertEquals(slow.status, 201);
    assertEquals(slow.json.spec, "status:502@/userprofile-service/x2");
    assertEquals(sim.queuedFaults().length, 1, "the fault is queued in the same simulator");
    for (let i = 0; i < 2; i++) {
      assertEquals(await get(`${sim.url}/userprofile-service/socialProfile`), { status: 502, body: "bad gateway" });
    }
    assertEquals((await get(`${sim.url}/userprofile-service/socialProfile`)).status, 401, "used up after two");

    const notJson = await control(sim.url, "POST", "/__sim/faults", "{kind:");
    assertEquals(notJson.status, 400);
    assertMatch(String(notJson.json.error), /not JSON/);
    const badKind = await control(sim.url, "POST", "/__sim/faults", { kind: "teapot" });
    assertEquals(badKind.status, 400);
    assertMatch(String(badKind.json.error), /kind/);
    const badArg = await control(sim.url, "POST", "/__sim/faults", { kind: "drop", delayMs: 5 });
    assertEquals(badArg.status, 400);
    assertMatch(String(badArg.json.error), /drop takes no delayMs/);
    const badSpec = await control(sim.url, "POST", "/__sim/faults", { spec: "status:99" });
    assertEquals(badSpec.status, 400);
    assertMatch(String(badSpec.json.error), /from 100 to 599/);
    assert(Array.isArray(badSpec.json.syntax), "the syntax comes with the error");
    const badCount = await control(sim.url, "POST", "/__sim/activities", { count: 0 });
    assertEquals(badCount.status, 400);
    assertEquals(sim.activities.length, 5, "nothing added");
    assertEquals(sim.queuedFaults(), [], "no bad fault was queued");

    assertEquals((await control(sim.url, "GET", "/__sim/nope")).status, 404);
    const wrong = await control(sim.url, "GET", "/__sim/expire-tokens");
    assertEquals(wrong.status, 405);
    assertMatch(String(wrong.json.error), /use POST/);
    const index = await control(sim.url, "GET", "/__sim/");
    assertEquals(index.status, 200);
    assert((index.json.endpoints as string[]).some((e) => e.includes("/__sim/revoke-refresh-tokens")));
    assertEquals(
      sim.calls().map((c) => c.path),
      Array(3).fill("/userprofile-service/socialProfile"),
      "control requests are never recorded",
    );
  });
});

Deno.test("[sim] control API: a fault matching everything never hits /__sim/, so it can still be cleared", async () => {
  await withSim(async (sim) => {
    assertEquals((await control(sim.url, "POST", "/__sim/faults", { spec: "dropx*" })).status, 201);
    let dropped = false;
    try {
      await fetch(`${sim.url}/activitylist-service/activities/count`);
    } catch {
      dropped = true;
    }
    assert(dropped, "a Garmin path loses its connection");
    assertEquals((await control(sim.url, "DELETE", "/__sim/faults")).json, { cleared: 1 });
    assertEquals((await get(`${sim.url}/activitylist-service/activities/count`)).status, 401);
  });
});

Deno.test("[sim] control API: expire-tokens and revoke-refresh-tokens act on issued tokens; counters", async () => {
  await withSim(async (sim) => {
    const token = await accessToken(sim.url, sim.account.email, sim.account.password);
    assertEquals((await get(`${sim.url}/userprofile-service/socialProfile`, token)).status, 200);
    assertEquals((await control(sim.url, "POST", "/__sim/expire-tokens")).status, 200);
    assertEquals((await get(`${sim.url}/userprofile-service/socialProfile`, token)).status, 401);
    assertEquals((await control(sim.url, "POST", "/__sim/revoke-refresh-tokens")).json, { revoked: true });
    const counters = await control(sim.url, "GET", "/__sim/counters");
    assertEquals(counters.json.passwordLogins, 1);
    assertEquals(counters.json.diExchanges, 1);
  });
});

Deno.test("[sim] control API refuses a non-loopback Host (DNS rebinding) and web pages (Origin) with 403", async () => {
  await withSim(async (sim) => {
    const rebound = await rawRequest(sim.url, "POST /__sim/expire-tokens HTTP/1.1\r\nHost: evil.example:9999");
    assertMatch(rebound, /^HTTP\/1\.1 403 /);
    assertMatch(rebound, /loopback host only/);
    const page = await rawRequest(
      sim.url,
      "DELETE /__sim/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example",
    );
    assertMatch(page, /^HTTP\/1\.1 403 /);
    const ok = await rawRequest(sim.url, "GET /__sim/faults HTTP/1.1\r\nHost: localhost");
    assertMatch(ok, /^HTTP\/1\.1 200 /);
    // Garmin paths do not care about Host: the product may reach the sim by any name.
    const garmin = await rawRequest(
      sim.url,
      "GET /activitylist-service/activities/count HTTP/1.1\r\nHost: sim.internal",
    );
    assertMatch(garmin, /^HTTP\/1\.1 401 /);
    assertNotMatch(garmin, /control API/);
    assertEquals(sim.calls().map((c) => c.path), ["/activitylist-service/activities/count"]);
  });
});

Deno.test("[sim] no runtime module names the control prefix, so the product cannot reach /__sim/", () => {
  const found: string[] = [];
  let scanned = 0;
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(`${ROOT}${dir}`)) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory) walk(rel);
      else if (/\.(ts|tsx|js|sql)$/.test(e.name)) {
        scanned++;
        if (Deno.readTextFileSync(`${ROOT}${rel}`).includes("__sim")) found.push(rel);
      }
    }
  };
  for (const dir of ["cli", "daemon", "db", "lib", "routes", "sync", "ui"]) {
    try {
      walk(dir);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  assert(scanned > 20, `only ${scanned} runtime modules were scanned`);
  assertEquals(found, []);
  assertNotMatch(Deno.readTextFileSync(`${ROOT}main.ts`), /__sim/);
});
