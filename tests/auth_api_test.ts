/**
 * The /garmin/auth routes over `app.request`, backed by the real Garmin client and the simulator. The app here
 * mounts only these routes, with an onError doing what the app's one error handler does: `err.status` and
 * `{error: err.message, ...err.extra}`.
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppDeps } from "../lib/deps.ts";
import { GarminSyncError } from "../lib/errors.ts";
import { authRoutes } from "../routes/auth.ts";
import { assert, assertEquals, assertStringIncludes } from "./fixtures/auth/asserts.ts";
import { browserTicket, garthTokens, makeWorld, pythonGarminTokens, type World } from "./fixtures/auth/setup.ts";

function appFor(w: World, config = w.config): Hono {
  const app = new Hono();
  app.onError((err, c) => {
    if (err instanceof GarminSyncError) {
      return c.json({ ...err.extra, error: err.message }, err.status as ContentfulStatusCode);
    }
    if (err instanceof HTTPException) return c.json({ error: err.message }, err.status);
    return c.json({ error: "internal error" }, 500);
  });
  const deps = { config, db: w.db, log: w.log, garmin: w.garmin } as unknown as AppDeps;
  app.route("/garmin/auth", authRoutes(deps));
  return app;
}

async function call(
  app: Hono,
  w: World,
  method: string,
  path: string,
  body?: unknown,
  raw?: string,
): Promise<{ status: number; type: string | null; json: Record<string, unknown> | null }> {
  const res = await app.request(path, {
    method,
    headers: body !== undefined || raw !== undefined ? { "Content-Type": "application/json" } : undefined,
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  w.assertNoSecret(text, `the answer to ${method} ${path}`);
  return { status: res.status, type: res.headers.get("content-type"), json: text ? JSON.parse(text) : null };
}

async function withApp(
  options: Parameters<typeof makeWorld>[0],
  fn: (w: World, app: Hono) => Promise<void>,
): Promise<void> {
  const w = await makeWorld(options);
  try {
    await fn(w, appFor(w));
    w.assertNoSecret(w.lines.join("\n"), "the log");
  } finally {
    w.sim.clearFaults();
    await w.close();
  }
}

Deno.test("[api] POST /garmin/auth/login with MFA: mfa_required, wrong code 400 (still pending), right code 200", async () => {
  await withApp({ sim: { account: { mfa: true } } }, async (w, app) => {
    const login = await call(app, w, "POST", "/garmin/auth/login", {
      email: w.sim.account.email,
      password: w.sim.account.password,
    });
    assertEquals(login.status, 200);
    assertStringIncludes(login.type ?? "", "application/json");
    assertEquals(login.json, { status: "mfa_required" });
    const wrong = await call(app, w, "POST", "/garmin/auth/mfa", { code: "000000" });
    assertEquals(wrong.status, 400);
    assertStringIncludes(String(wrong.json?.error), "MFA code");
    const right = await call(app, w, "POST", "/garmin/auth/mfa", { code: w.sim.account.mfaCode });
    assertEquals([right.status, right.json], [200, { status: "authenticated" }]);
    const again = await call(app, w, "POST", "/garmin/auth/mfa", { code: w.sim.account.mfaCode });
    assertEquals(again.status, 409);
    const status = await call(app, w, "GET", "/garmin/auth/status");
    assertEquals(status.status, 200);
    assertEquals(status.json?.authenticated, true);
    assertEquals(status.json?.display_name, "demo_athlete");
    assertEquals(status.json?.method, "password");
    for (const k of ["access_expires_at", "refresh_expires_at", "last_refresh_at"]) assert(k in (status.json ?? {}));
  });
});

Deno.test("[api] POST /garmin/auth/login falls back to the configured credentials; none → 422; bad password → 401", async () => {
  await withApp({}, async (w, app) => {
    const none = await call(app, w, "POST", "/garmin/auth/login", {});
    assertEquals(none.status, 422);
    assertStringIncludes(String(none.json?.error), "GARMIN_EMAIL");
    const noBody = await call(app, w, "POST", "/garmin/auth/login");
    assertEquals(noBody.status, 422);
    const bad = await call(app, w, "POST", "/garmin/auth/login", { email: w.sim.account.email, password: "wrong!" });
    assertEquals(bad.status, 401);
    const configured = appFor(w, {
      ...w.config,
      garminEmail: w.sim.account.email,
      garminPassword: w.sim.account.password,
    });
    const ok = await call(configured, w, "POST", "/garmin/auth/login");
    assertEquals([ok.status, ok.json], [200, { status: "authenticated" }]);
  });
});

Deno.test("[api] bodies are validated: unknown fields → 422 naming them, bad JSON → 400, wrong types → 422", async () => {
  await withApp({}, async (w, app) => {
    const extra = await call(app, w, "POST", "/garmin/auth/login", { email: "a@b.c", password: "x", remember: true });
    assertEquals(extra.status, 422);
    assertStringIncludes(String(extra.json?.error), "remember");
    const broken = await call(app, w, "POST", "/garmin/auth/mfa", undefined, "{nope");
    assertEquals(broken.status, 400);
    const wrongType = await call(app, w, "POST", "/garmin/auth/mfa", { code: 123456 });
    assertEquals(wrongType.status, 422);
    assertStringIncludes(String(wrongType.json?.error), "code");
    const ticket = await call(app, w, "POST", "/garmin/auth/ticket", { ticket: "TGT-1" });
    assertEquals(ticket.status, 422);
    assertStringIncludes(String(ticket.json?.error), "ST-");
    const imp = await call(app, w, "POST", "/garmin/auth/import", { di_token: "a", di_refresh_token: "b", other: 1 });
    assertEquals(imp.status, 422);
    assertStringIncludes(String(imp.json?.error), "other");
    const garth = await call(app, w, "POST", "/garmin/auth/import", { oauth1: { oauth_token: "a" } });
    assertEquals(garth.status, 422);
    assertStringIncludes(String(garth.json?.error), "oauth_token_secret");
    const pending = await call(app, w, "POST", "/garmin/auth/mfa", { code: "123456" });
    assertEquals(pending.status, 409);
  });
});

Deno.test("[api] POST /garmin/auth/import takes garmin_tokens.json and garth tokens", async () => {
  await withApp({}, async (w, app) => {
    const di = await call(app, w, "POST", "/garmin/auth/import", await pythonGarminTokens(w.sim));
    assertEquals([di.status, di.json], [200, { status: "authenticated" }]);
    assertEquals((await call(app, w, "GET", "/garmin/auth/status")).json?.method, "import");
    const garth = await call(app, w, "POST", "/garmin/auth/import", await garthTokens(w.sim));
    assertEquals([garth.status, garth.json], [200, { status: "authenticated" }]);
    // Tokens Garmin refuses: 401 with a message, not a 500.
    w.sim.revokeRefreshTokens();
    const stale = await call(app, w, "POST", "/garmin/auth/import", {
      di_token: "not-a-jwt-token",
      di_refresh_token: "spent-refresh-token",
      di_client_id: "GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2",
    });
    assertEquals(stale.status, 401);
    assertStringIncludes(String(stale.json?.error), "imported tokens");
  });
});

Deno.test("[api] a refused import answers 401 and the working session stays logged in", async () => {
  await withApp({}, async (w, app) => {
    await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    const before = await call(app, w, "GET", "/garmin/auth/status");
    const refused = await call(app, w, "POST", "/garmin/auth/import", {
      di_token: "not-a-jwt-token",
      di_refresh_token: "spent-refresh-token",
      di_client_id: "GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2",
    });
    assertEquals(refused.status, 401);
    assertStringIncludes(String(refused.json?.error), "unchanged");
    const after = await call(app, w, "GET", "/garmin/auth/status");
    assertEquals(after.json, before.json);
    assertEquals(after.json?.authenticated, true);
  });
});

Deno.test("[api] GET /garmin/auth/status with a wrong GARMINSYNC_SECRET_KEY: authenticated false, state key_mismatch", async () => {
  await withApp({ env: { GARMINSYNC_SECRET_KEY: "correct horse battery staple" } }, async (w) => {
    await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    const wrong = await w.another({ env: { GARMINSYNC_SECRET_KEY: "a different secret key" } });
    const app = appFor({ ...w, garmin: wrong });
    const status = await call(app, w, "GET", "/garmin/auth/status");
    assertEquals(status.status, 200);
    assertEquals([status.json?.authenticated, status.json?.state, status.json?.method], [
      false,
      "key_mismatch",
      "password",
    ]);
  });
});

Deno.test("[api] POST /garmin/auth/ticket exchanges a ticket; a wrong service URL answers 422 saying so", async () => {
  await withApp({}, async (w, app) => {
    const ok = await call(app, w, "POST", "/garmin/auth/ticket", { ticket: await browserTicket(w.sim) });
    assertEquals([ok.status, ok.json], [200, { status: "authenticated" }]);
    const wrong = await call(app, w, "POST", "/garmin/auth/ticket", {
      ticket: await browserTicket(w.sim),
      service_url: "https://mobile.integration.garmin.com/gcm/ios",
    });
    assertEquals(wrong.status, 422);
    assertStringIncludes(String(wrong.json?.error), "service URL");
  });
});

Deno.test("[api] a blocked login answers 429 or 503 naming the block and the other ways in", async () => {
  await withApp({}, async (w, app) => {
    const creds = { email: w.sim.account.email, password: w.sim.account.password };
    w.sim.fault({ match: "/mobile/api/login", kind: "rate_limit" });
    const limited = await call(app, w, "POST", "/garmin/auth/login", creds);
    assertEquals(limited.status, 429);
    assertStringIncludes(String(limited.json?.error), "429");
    assertStringIncludes(String(limited.json?.error), "POST /garmin/auth/ticket");
    w.sim.fault({ match: "/mobile/api/login", kind: "captcha" });
    const captcha = await call(app, w, "POST", "/garmin/auth/login", creds);
    assertEquals(captcha.status, 503);
    assertStringIncludes(String(captcha.json?.error), "CAPTCHA");
    assertEquals(w.sim.calls("/api/login").length, 2, "one attempt per request");
  });
});

Deno.test("[api] DELETE /garmin/auth answers 204 and the session is gone", async () => {
  await withApp({}, async (w, app) => {
    await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    const res = await app.request("/garmin/auth", { method: "DELETE" });
    assertEquals(res.status, 204);
    assertEquals(await res.text(), "");
    const status = await call(app, w, "GET", "/garmin/auth/status");
    assertEquals(status.json, {
      authenticated: false,
      method: null,
      display_name: null,
      access_expires_at: null,
      refresh_expires_at: null,
      last_refresh_at: null,
      state: null,
    });
  });
});
