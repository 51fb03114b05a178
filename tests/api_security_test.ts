/**
 * The API token (Bearer or the /session cookie), the cross-site check and the security headers.
 */
import { assert, assertEquals, assertMatch, assertNotEquals, assertStringIncludes } from "./assert.ts";
import { apiFixture, expectJson, jsonInit } from "./fixtures/api/deps.ts";
import {
  CSP,
  hostName,
  isLoopbackHost,
  safeEqual,
  safeNext,
  SESSION_COOKIE,
  sessionValue,
} from "../routes/security.ts";
import { ConfigError, loadConfig } from "../lib/config.ts";
import { createApp } from "../routes/app.ts";

const TOKEN = "s3cret-token-for-tests";

function form(fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields).toString(),
    redirect: "manual",
  };
}

Deno.test("[security] with a token set, API calls without it answer 401 JSON; /healthz stays open", async () => {
  await using f = await apiFixture({ env: { GARMINSYNC_API_TOKEN: TOKEN } });
  for (const path of ["/garmin/sync/status", "/api/status", "/api/activities", "/openapi.json"]) {
    const res = await f.app.request(path);
    const body = await expectJson(res, 401);
    assertStringIncludes(String(body.error), "Authorization: Bearer");
    assertEquals(res.headers.get("www-authenticate"), 'Bearer realm="garminsync"');
  }
  const start = await f.app.request("/garmin/activities", { method: "POST" });
  await expectJson(start, 401);
  assertEquals(f.deps.jobs.status().status, "idle");
  const healthz = await expectJson(await f.app.request("/healthz"), 200);
  assertEquals(healthz.status, "ok");
});

Deno.test("[security] a wrong Bearer token answers 401; the right one 200", async () => {
  await using f = await apiFixture({ env: { GARMINSYNC_API_TOKEN: TOKEN } });
  await expectJson(await f.app.request("/api/status", { headers: { Authorization: `Bearer ${TOKEN}x` } }), 401);
  await expectJson(await f.app.request("/api/status", { headers: { Authorization: `Bearer ${TOKEN.slice(1)}` } }), 401);
  await expectJson(await f.app.request("/api/status", { headers: { Authorization: `Basic ${TOKEN}` } }), 401);
  const ok = await expectJson(
    await f.app.request("/api/status", { headers: { Authorization: `Bearer ${TOKEN}` } }),
    200,
  );
  assertEquals((ok.sync as { status: string }).status, "idle");
});

Deno.test("[security] without a token nothing is asked", async () => {
  await using f = await apiFixture();
  await expectJson(await f.app.request("/api/status"), 200);
  const res = await f.app.request("/session", { redirect: "manual" });
  assertEquals(res.status, 303);
});

Deno.test("[security] a browser without a session is sent to /session, and the form flow sets the cookie", async () => {
  await using f = await apiFixture({ env: { GARMINSYNC_API_TOKEN: TOKEN } });
  const page = await f.app.request("/activities?filter=missing", { redirect: "manual" });
  assertEquals(page.status, 303);
  assertEquals(page.headers.get("location"), "/session?next=%2Factivities%3Ffilter%3Dmissing");

  const formPage = await f.app.request("/session?next=%2Factivities");
  assertEquals(formPage.status, 200);
  assertMatch(formPage.headers.get("content-type") ?? "", /^text\/html/);
  const html = await formPage.text();
  assertStringIncludes(html, 'name="token"');
  assertStringIncludes(html, 'value="/activities"');

  const wrong = await f.app.request("/session", form({ token: "nope", next: "/activities" }));
  assertEquals(wrong.status, 401);
  assertMatch(wrong.headers.get("content-type") ?? "", /^text\/html/);
  assertEquals(wrong.headers.get("set-cookie"), null);

  const ok = await f.app.request("/session", form({ token: TOKEN, next: "/activities" }));
  assertEquals(ok.status, 303);
  assertEquals(ok.headers.get("location"), "/activities");
  const cookie = ok.headers.get("set-cookie") ?? "";
  assertMatch(cookie, new RegExp(`^${SESSION_COOKIE}=`));
  assertMatch(cookie, /HttpOnly/);
  assertMatch(cookie, /SameSite=Strict/);
  assertMatch(cookie, /Path=\//);
  assert(!cookie.includes(TOKEN), "the cookie must not carry the token");
  const value = cookie.split(";")[0];

  const api = await f.app.request("/api/status", { headers: { Cookie: value } });
  await expectJson(api, 200);
  const forged = await f.app.request("/api/status", { headers: { Cookie: `${SESSION_COOKIE}=${TOKEN}` } });
  await expectJson(forged, 401);
});

Deno.test("[security] /session only redirects to same-origin paths", () => {
  assertEquals(safeNext("/logs?page=2"), "/logs?page=2");
  assertEquals(safeNext("//evil.example/x"), "/");
  assertEquals(safeNext("https://evil.example"), "/");
  assertEquals(safeNext("/\\evil.example"), "/");
  assertEquals(safeNext(undefined), "/");
});

Deno.test("[security] the session value is an HMAC of the token and comparisons are constant-time", () => {
  const v = sessionValue(TOKEN);
  assertNotEquals(v, TOKEN);
  assert(!v.includes(TOKEN));
  assertEquals(v, sessionValue(TOKEN));
  assertNotEquals(v, sessionValue(TOKEN + "x"));
  assert(safeEqual("abc", "abc"));
  assert(!safeEqual("abc", "abcd"));
  assert(!safeEqual("", "a"));
});

Deno.test("[security] a cross-site form POST is refused with 403; same-origin and API clients pass", async () => {
  await using f = await apiFixture();
  const cross = await f.app.request(
    "http://localhost/api/sync/trigger",
    form({}, { Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site" }),
  );
  const body = await expectJson(cross, 403);
  assertStringIncludes(String(body.error), "cross-site");
  assertEquals(f.deps.jobs.status().status, "idle");

  // Old browsers send only Origin.
  const originOnly = await f.app.request(
    "http://localhost/api/logs",
    { method: "DELETE", headers: { Origin: "https://evil.example" } },
  );
  await expectJson(originOnly, 403);

  // A dashboard page posting to itself (same-origin) is let through to the route (here: a page 404).
  const same = await f.app.request(
    "http://localhost/settings-nope",
    form({ x: "1" }, { Origin: "http://localhost", "Sec-Fetch-Site": "same-origin" }),
  );
  assertEquals(same.status, 404);

  // curl-like clients send no Origin and no Sec-Fetch-Site: not a browser, not CSRF.
  const curl = await f.app.request("http://localhost/api/schedule", jsonInit("POST", { enabled: false }));
  const saved = await expectJson(curl, 200);
  assertEquals(saved.enabled, false);
});

Deno.test("[security] answers carry the security headers (CSP: self scripts only, no framing)", async () => {
  await using f = await apiFixture();
  for (const path of ["/", "/api/status", "/healthz", "/nope"]) {
    const res = await f.app.request(path);
    await res.body?.cancel();
    assertEquals(res.headers.get("content-security-policy"), CSP, path);
    assertEquals(res.headers.get("x-content-type-options"), "nosniff");
    assertEquals(res.headers.get("x-frame-options"), "DENY");
  }
  assertStringIncludes(CSP, "script-src 'self'");
  assertStringIncludes(CSP, "frame-ancestors 'none'");
  assert(!/script-src[^;]*unsafe-inline/.test(CSP));
});

Deno.test("[security] the API token never appears in an answer or the log", async () => {
  await using f = await apiFixture({ env: { GARMINSYNC_API_TOKEN: TOKEN } });
  const auth = { Authorization: `Bearer ${TOKEN}` };
  const texts: string[] = [];
  for (const path of ["/api/status", "/openapi.json", "/api/schedule", "/session", "/nope", "/api/nope"]) {
    texts.push(await (await f.app.request(path, { headers: auth })).text());
  }
  texts.push(await (await f.app.request("/session", form({ token: "wrong-" + TOKEN }))).text());
  for (const t of [...texts, ...f.logLines]) assert(!t.includes(TOKEN), `token leaked in: ${t.slice(0, 200)}`);
});

/** Sends one raw HTTP/1.1 request (any Host header, as a rebinding browser would) and returns status + body. */
async function rawRequest(port: number, method: string, path: string, headers: Record<string, string>) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const lines = [`${method} ${path} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    lines.push("Connection: close", "Content-Length: 0", "", "");
    await conn.write(new TextEncoder().encode(lines.join("\r\n")));
    let text = "";
    const buf = new Uint8Array(16 * 1024);
    const dec = new TextDecoder();
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += dec.decode(buf.subarray(0, n), { stream: true });
    }
    return { status: Number(text.split(" ")[1]), text };
  } finally {
    try {
      conn.close();
    } catch { /* closed by the server */ }
  }
}

Deno.test("[security] DNS rebinding: without a token, a foreign Host gets 403 and starts nothing", async () => {
  await using f = await apiFixture();
  // A page on rebind.attacker.example whose name now resolves to 127.0.0.1: same-origin as far as the browser knows.
  const evil = "http://rebind.attacker.example:8080";
  const trigger = await f.app.request(`${evil}/api/sync/trigger`, {
    method: "POST",
    headers: { Origin: evil, "Sec-Fetch-Site": "same-origin" },
  });
  const body = await expectJson(trigger, 403);
  assertStringIncludes(String(body.error), "GARMINSYNC_ALLOWED_HOSTS");
  assertStringIncludes(String(body.error), "rebind.attacker.example");
  assertEquals(f.deps.jobs.status().status, "idle");
  await expectJson(await f.app.request(`${evil}/api/status`), 403);
  await expectJson(await f.app.request(`${evil}/garmin/auth/status`), 403);
  const page = await f.app.request(`${evil}/settings`);
  assertEquals(page.status, 403);
  assertMatch(page.headers.get("content-type") ?? "", /^text\/html/);
  assertStringIncludes(await page.text(), "GARMINSYNC_ALLOWED_HOSTS");
  // The liveness probe stays open (it reveals nothing).
  await expectJson(await f.app.request(`${evil}/healthz`), 200);
  // "0.0.0.0" reaches loopback in some browsers; it is not a name we answer either.
  await expectJson(await f.app.request("http://0.0.0.0:8080/api/status"), 403);

  for (const ok of ["http://localhost:8080", "http://127.0.0.1", "http://127.3.2.1:9", "http://[::1]:8080"]) {
    await expectJson(await f.app.request(`${ok}/api/status`), 200);
  }
  await expectJson(await f.app.request("http://app.localhost/api/status"), 200);
});

Deno.test("[security] DNS rebinding through a real server: the Host header decides", async () => {
  await using f = await apiFixture();
  const ac = new AbortController();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} }, f.app.fetch);
  try {
    const port = server.addr.port;
    const refused = await rawRequest(port, "POST", "/api/sync/trigger", {
      Host: `rebind.attacker.example:${port}`,
      Origin: `http://rebind.attacker.example:${port}`,
    });
    assertEquals(refused.status, 403, refused.text);
    assertStringIncludes(refused.text, "GARMINSYNC_ALLOWED_HOSTS");
    assertEquals(f.deps.jobs.status().status, "idle");
    const ok = await rawRequest(port, "GET", "/api/status", { Host: `127.0.0.1:${port}` });
    assertEquals(ok.status, 200, ok.text);
  } finally {
    ac.abort();
    await server.finished;
  }
});

Deno.test("[security] DNS rebinding: GARMINSYNC_ALLOWED_HOSTS and the listen host are served; a token lifts the check", async () => {
  {
    await using f = await apiFixture({
      env: { GARMINSYNC_ALLOWED_HOSTS: " NAS.local , 192.168.1.5", GARMINSYNC_HOST: "garmin.home.arpa" },
    });
    assertEquals(f.config.allowedHosts, ["nas.local", "192.168.1.5"]);
    await expectJson(await f.app.request("http://nas.local:8080/api/status"), 200);
    await expectJson(await f.app.request("http://192.168.1.5/api/status"), 200);
    await expectJson(await f.app.request("http://garmin.home.arpa:8080/api/status"), 200);
    await expectJson(await f.app.request("http://rebind.attacker.example/api/status"), 403);
    await expectJson(await f.app.request("http://nas.local.attacker.example/api/status"), 403);
  }
  {
    // A wildcard listen address is not a name: LAN names still need GARMINSYNC_ALLOWED_HOSTS.
    await using f = await apiFixture({ env: { GARMINSYNC_HOST: "0.0.0.0" } });
    await expectJson(await f.app.request("http://192.168.1.5/api/status"), 403);
    await expectJson(await f.app.request("http://0.0.0.0/api/status"), 403);
  }
  {
    await using f = await apiFixture({ env: { GARMINSYNC_API_TOKEN: TOKEN } });
    const res = await f.app.request("http://nas.example/api/status", { headers: { Authorization: `Bearer ${TOKEN}` } });
    await expectJson(res, 200);
    await expectJson(await f.app.request("http://nas.example/api/status"), 401);
  }
});

Deno.test("[security] hostName strips the port and brackets; isLoopbackHost knows 127/8, ::1 and *.localhost", () => {
  assertEquals(hostName("LocalHost:8080"), "localhost");
  assertEquals(hostName("[::1]:8080"), "::1");
  assertEquals(hostName("example.com."), "example.com");
  assertEquals(hostName("127.0.0.1"), "127.0.0.1");
  assert(isLoopbackHost("127.255.0.1"));
  assert(isLoopbackHost("::1"));
  assert(isLoopbackHost("a.localhost"));
  assert(!isLoopbackHost("localhost.attacker.example"));
  assert(!isLoopbackHost("127.0.0.1.nip.io"));
  assert(!isLoopbackHost("0.0.0.0"));
  let caught: unknown;
  try {
    loadConfig({ GARMINSYNC_ALLOWED_HOSTS: "nas.local:8080,ok.example" });
  } catch (e) {
    caught = e;
  }
  assert(caught instanceof ConfigError, "a port in GARMINSYNC_ALLOWED_HOSTS is a configuration error");
  assertStringIncludes(caught.message, "GARMINSYNC_ALLOWED_HOSTS");
  assertEquals(loadConfig({}).allowedHosts, []);
});

Deno.test("[security] /session: 5 wrong tokens a minute per client, then 429 (even for the right one)", async () => {
  await using f = await apiFixture({ env: { GARMINSYNC_API_TOKEN: TOKEN } });
  let now = Date.parse("2024-05-01T10:00:00Z");
  const app = createApp({ ...f.deps, clock: () => new Date(now) });
  const peer = (hostname: string) => ({ remoteAddr: { transport: "tcp", hostname, port: 40000 } });
  for (let i = 0; i < 5; i++) {
    const wrong = await app.request("/session", form({ token: `nope-${i}`, next: "/logs" }), peer("10.0.0.1"));
    assertEquals(wrong.status, 401, `attempt ${i + 1}`);
    await wrong.body?.cancel();
    now += 5_000;
  }
  const limited = await app.request("/session", form({ token: TOKEN, next: "/logs" }), peer("10.0.0.1"));
  assertEquals(limited.status, 429);
  assertMatch(limited.headers.get("content-type") ?? "", /^text\/html/);
  assertEquals(limited.headers.get("set-cookie"), null);
  assertEquals(limited.headers.get("retry-after"), "35");
  assertStringIncludes(await limited.text(), "Too many wrong tokens");
  // Another client is not affected.
  const other = await app.request("/session", form({ token: TOKEN, next: "/logs" }), peer("10.0.0.2"));
  assertEquals(other.status, 303);
  // Once the oldest failure is a minute old, the right token works again (and clears the count).
  now += 35_000;
  const ok = await app.request("/session", form({ token: TOKEN, next: "/logs" }), peer("10.0.0.1"));
  assertEquals(ok.status, 303);
  assertEquals(ok.headers.get("location"), "/logs");
  const wrong = await app.request("/session", form({ token: "nope" }), peer("10.0.0.1"));
  assertEquals(wrong.status, 401);
});

Deno.test("[security] the session cookie is Secure over HTTPS, also behind a proxy (X-Forwarded-Proto)", async () => {
  await using f = await apiFixture({ env: { GARMINSYNC_API_TOKEN: TOKEN } });
  const plain = await f.app.request("/session", form({ token: TOKEN }));
  assertEquals(plain.status, 303);
  assert(!/;\s*Secure/i.test(plain.headers.get("set-cookie") ?? ""), "no Secure over plain HTTP");
  const proxied = await f.app.request("/session", form({ token: TOKEN }, { "X-Forwarded-Proto": "https" }));
  assertEquals(proxied.status, 303);
  assertMatch(proxied.headers.get("set-cookie") ?? "", /;\s*Secure/i);
  const direct = await f.app.request("https://localhost/session", form({ token: TOKEN }));
  assertMatch(direct.headers.get("set-cookie") ?? "", /;\s*Secure/i);
});
