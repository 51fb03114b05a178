/**
 * The API token (Bearer or the /session cookie), the cross-site check and the security headers.
 */
import { assert, assertEquals, assertMatch, assertNotEquals, assertStringIncludes } from "./assert.ts";
import { apiFixture, expectJson, jsonInit } from "./fixtures/api/deps.ts";
import { CSP, safeEqual, safeNext, SESSION_COOKIE, sessionValue } from "../routes/security.ts";

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
