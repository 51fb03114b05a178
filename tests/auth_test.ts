/**
 * Garmin authentication against the simulator: password login and session reuse across restarts, MFA (and its
 * expiry), rotating refresh tokens persisted and shared between processes (in-process and a child `deno run`),
 * invalid_grant → expired + fast failure, imports, the ticket path, blocks, encryption at rest, ensureSession,
 * the idle refresh and the CLI commands.
 */
import { readAuthRow } from "../db/auth.ts";
import type { AppDeps } from "../lib/deps.ts";
import {
  GarminLoginBlocked,
  InvalidCredentials,
  InvalidInput,
  InvalidMfaCode,
  NoPendingLogin,
  NotAuthenticated,
} from "../lib/errors.ts";
import type { CliContext } from "../cli/context.ts";
import { UsageError } from "../cli/context.ts";
import { authStatusCommand, loginCommand, logoutCommand, parseLoginArgs } from "../cli/login.ts";
import { ensureSession, refreshIfStale, startIdleRefresh } from "../sync/garmin/garmin.ts";
import { WRONG_KEY_MESSAGE } from "../sync/garmin/token_crypto.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./fixtures/auth/asserts.ts";
import { browserTicket, garthTokens, makeWorld, pythonGarminTokens, type World } from "./fixtures/auth/setup.ts";

async function withWorld(options: Parameters<typeof makeWorld>[0], fn: (w: World) => Promise<void>): Promise<void> {
  const w = await makeWorld(options);
  try {
    await fn(w);
    w.assertNoSecret(w.lines.join("\n"), "the log");
  } finally {
    w.sim.clearFaults();
    await w.close();
  }
}

Deno.test("[auth] password login stores the session; a restart (new client, same DB) reuses it without a login", async () => {
  await withWorld({}, async (w) => {
    const r = await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    assertEquals(r, { status: "authenticated", displayName: w.sim.account.displayName });
    const row = await readAuthRow(w.db);
    assert(row);
    assertEquals([row.method, row.token_kind, row.state, row.display_name], [
      "password",
      "di",
      "active",
      "demo_athlete",
    ]);
    assert(row.access_expires_at && row.refresh_expires_at);
    // The mobile iOS flow was used, and the ticket was exchanged with its service URL.
    assertEquals(w.sim.calls("/mobile/api/login").length, 1);
    assertStringIncludes(w.sim.calls("/mobile/api/login")[0].path, "clientId=GCM_IOS_DARK");
    assertEquals(w.sim.calls("/portal/").length, 0);

    const restarted = await w.another();
    assertEquals((await restarted.api.listActivities(0, 3)).length, 3);
    assert(await restarted.auth.hasSession());
    assertEquals(w.sim.counters().passwordLogins, 1);
    assertEquals(w.sim.counters().diExchanges, 1);
    const status = await restarted.auth.status();
    assertEquals(status.authenticated, true);
    assertEquals(status.method, "password");
    assertEquals(status.display_name, "demo_athlete");
    w.assertNoSecret(JSON.stringify(status), "auth status");
  });
});

Deno.test("[auth] wrong password → InvalidCredentials, nothing stored, no portal retry", async () => {
  await withWorld({}, async (w) => {
    await assertRejects(w.garmin.auth.login(w.sim.account.email, "nope-nope"), InvalidCredentials, "email or password");
    assertEquals(await readAuthRow(w.db), null);
    assertEquals(w.sim.counters().passwordLogins, 1);
  });
});

Deno.test("[auth] MFA: mfa_required, a wrong code keeps the login open, the right code finishes it", async () => {
  await withWorld({ sim: { account: { mfa: true } } }, async (w) => {
    assertEquals(await w.garmin.auth.login(w.sim.account.email, w.sim.account.password), { status: "mfa_required" });
    assertEquals(await w.garmin.auth.hasSession(), false);
    await assertRejects(w.garmin.auth.submitMfa("000000"), InvalidMfaCode, "MFA code");
    const r = await w.garmin.auth.submitMfa(w.sim.account.mfaCode);
    assertEquals(r.status, "authenticated");
    assertEquals(w.sim.counters().mfaVerifications, 1);
    assert(await w.garmin.auth.hasSession());
    // Used up: a second code has nothing to finish.
    await assertRejects(w.garmin.auth.submitMfa(w.sim.account.mfaCode), NoPendingLogin);
  });
});

Deno.test("[auth] a pending MFA login expires after 10 minutes (injected clock); none pending → NoPendingLogin", async () => {
  let offset = 0;
  await withWorld(
    { sim: { account: { mfa: true } }, garmin: { clock: () => new Date(Date.now() + offset) } },
    async (w) => {
      await assertRejects(w.garmin.auth.submitMfa("123456"), NoPendingLogin);
      assertEquals((await w.garmin.auth.login(w.sim.account.email, w.sim.account.password)).status, "mfa_required");
      offset = 10 * 60_000 + 1000;
      await assertRejects(w.garmin.auth.submitMfa(w.sim.account.mfaCode), NoPendingLogin, "expired");
      assertEquals(w.sim.calls("verifyCode").length, 0, "an expired login sends nothing");
      offset = 0;
      assertEquals((await w.garmin.auth.login(w.sim.account.email, w.sim.account.password)).status, "mfa_required");
      offset = 9 * 60_000;
      assertEquals((await w.garmin.auth.submitMfa(w.sim.account.mfaCode)).status, "authenticated");
    },
  );
});

Deno.test("[auth] when Garmin's side of the MFA login expired first, the login is dropped with NoPendingLogin", async () => {
  await withWorld({ sim: { account: { mfa: true }, mfaTtlSec: 0.05 } }, async (w) => {
    assertEquals((await w.garmin.auth.login(w.sim.account.email, w.sim.account.password)).status, "mfa_required");
    await new Promise((r) => setTimeout(r, 120));
    await assertRejects(w.garmin.auth.submitMfa(w.sim.account.mfaCode), NoPendingLogin, "expired");
    await assertRejects(w.garmin.auth.submitMfa(w.sim.account.mfaCode), NoPendingLogin);
    assertEquals(w.sim.calls("verifyCode").length, 1);
  });
});

Deno.test("[auth] the rotated refresh token is persisted: another process uses the new one, never the spent one", async () => {
  await withWorld({}, async (w) => {
    await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    const first = await readAuthRow(w.db);
    w.sim.expireAccessTokens();
    await w.garmin.api.listActivities(0, 1);
    const second = await readAuthRow(w.db);
    assert(first && second);
    assertEquals(second.version, first.version + 1);
    assert(second.token_data !== first.token_data);
    const other = await w.another();
    w.sim.expireAccessTokens();
    await other.api.listActivities(0, 1);
    assertEquals(w.sim.counters().diRefreshes, 2);
    // Every refresh was accepted: the spent token (which the simulator would refuse) was never sent.
    assert(w.sim.calls("/di-oauth2-service").every((c) => c.status === 200));
    assertEquals(w.sim.counters().passwordLogins, 1);
  });
});

Deno.test("[auth] two clients on one DB refreshing at once → one refresh; both get data", async () => {
  await withWorld({}, async (w) => {
    await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    const other = await w.another();
    await other.api.listActivities(0, 1); // loads the session into its cache
    w.sim.expireAccessTokens();
    w.sim.resetCalls();
    // Hold the refresh answer so the two really overlap.
    w.sim.fault({ match: "/di-oauth2-service", kind: "slow", delayMs: 300 });
    const results = await Promise.all([
      w.garmin.api.listActivities(0, 2),
      other.api.listActivities(0, 2),
      w.garmin.api.listActivities(2, 2),
      other.api.listActivities(2, 2),
    ]);
    assertEquals(results.map((r) => r.length), [2, 2, 2, 2]);
    assertEquals(w.sim.counters().diRefreshes, 1);
    assertEquals(w.sim.calls("/di-oauth2-service").length, 1);
    const row = await readAuthRow(w.db);
    assertEquals([row?.refresh_lock_owner, row?.refresh_lock_until], [null, null]);
  });
});

Deno.test("[auth] a child process and this one refreshing at once → one refresh (cross-process lease)", async () => {
  await withWorld({}, async (w) => {
    await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    await w.garmin.api.listActivities(0, 1);
    w.sim.expireAccessTokens();
    w.sim.resetCalls();
    w.sim.fault({ match: "/di-oauth2-service", kind: "slow", delayMs: 400 });
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./fixtures/auth/refresh_child.ts", import.meta.url).pathname, w.dbUrl, w.sim.url],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    const dec = new TextDecoder();
    let out = "";
    while (!out.includes("ready\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += dec.decode(value);
    }
    assertStringIncludes(out, "ready");
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("go\n"));
    await writer.close();
    const mine = await w.garmin.api.listActivities(0, 2);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out += dec.decode(value);
    }
    const status = await child.status;
    await child.stderr.cancel();
    assert(status.success, "the child exits cleanly");
    const result = JSON.parse(out.slice(out.indexOf("\n") + 1).trim());
    assertEquals(result.ok, true, result.error);
    assertEquals(result.count, 2);
    assertEquals(mine.length, 2);
    assertEquals(w.sim.counters().diRefreshes, 1);
    assertEquals(w.sim.calls("/di-oauth2-service").length, 1);
    w.assertNoSecret(JSON.stringify(result.log), "the child's log");
  });
});

Deno.test("[auth] invalid_grant → state expired; every call then fails fast with 'log in again', no loop, no login", async () => {
  await withWorld({}, async (w) => {
    await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    w.sim.revokeRefreshTokens();
    w.sim.expireAccessTokens();
    await assertRejects(w.garmin.api.listActivities(0, 1), NotAuthenticated, "log in again");
    const status = await w.garmin.auth.status();
    assertEquals([status.authenticated, status.state], [false, "expired"]);
    assertEquals(await w.garmin.auth.hasSession(), false);
    const sent = w.sim.calls().length;
    for (let i = 0; i < 5; i++) {
      await assertRejects(w.garmin.api.listActivities(0, 1), NotAuthenticated, "log in again");
    }
    const other = await w.another();
    await assertRejects(other.api.socialProfile(), NotAuthenticated, "log in again");
    assertEquals(w.sim.calls().length, sent, "no request after the session expired");
    assertEquals(w.sim.counters().passwordLogins, 1);
    // The refused refresh token is not in the log even though the simulator echoes it back.
    w.assertNoSecret(w.lines.join("\n"), "the log");
  });
});

Deno.test("[auth] import of a python-garminconnect garmin_tokens.json works and refreshes via diauth", async () => {
  await withWorld({}, async (w) => {
    const file = await pythonGarminTokens(w.sim);
    const r = await w.garmin.auth.importTokens(file);
    assertEquals(r, { status: "authenticated", displayName: "demo_athlete" });
    assertEquals((await readAuthRow(w.db))?.method, "import");
    w.sim.expireAccessTokens();
    assertEquals((await w.garmin.api.listActivities(0, 2)).length, 2);
    assertEquals(w.sim.counters().diRefreshes, 1);
    assertEquals(w.sim.counters().passwordLogins, 1); // only the one that made the file
  });
});

Deno.test("[auth] import of garth {oauth1, oauth2} tokens; legacy refresh through the OAuth1-signed exchange", async () => {
  await withWorld({}, async (w) => {
    const garth = await garthTokens(w.sim);
    const exchangesBefore = w.sim.counters().oauth2Exchanges;
    const consumerCalls = w.sim.calls("/oauth_consumer.json").length;
    const r = await w.garmin.auth.importTokens(garth);
    assertEquals(r.status, "authenticated");
    assertEquals((await readAuthRow(w.db))?.token_kind, "legacy");
    w.sim.expireAccessTokens();
    assertEquals((await w.garmin.api.listActivities(0, 2)).length, 2);
    assertEquals(w.sim.counters().oauth2Exchanges, exchangesBefore + 1);
    assertEquals(w.sim.calls("/oauth_consumer.json").length, consumerCalls + 1);
    // A garth session with no usable OAuth2 token exchanges OAuth1 right away.
    await w.garmin.auth.importTokens({ oauth1: garth.oauth1 });
    assertEquals(w.sim.counters().oauth2Exchanges, exchangesBefore + 2);
    // A revoked OAuth1 token ends the session like invalid_grant does.
    w.sim.revokeRefreshTokens();
    w.sim.expireAccessTokens();
    await assertRejects(w.garmin.api.listActivities(0, 1), NotAuthenticated, "log in again");
  });
});

Deno.test("[auth] import: bad shapes are refused with a clear message and the stored session is kept", async () => {
  await withWorld({}, async (w) => {
    await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    await assertRejects(w.garmin.auth.importTokens({ hello: 1 }), InvalidInput, "garmin_tokens.json");
    await assertRejects(w.garmin.auth.importTokens({ di_token: "x" }), InvalidInput, "di_refresh_token");
    await assertRejects(
      w.garmin.auth.importTokens({ oauth1: { oauth_token: "a" } }),
      InvalidInput,
      "oauth_token_secret",
    );
    await assertRejects(w.garmin.auth.importTokens("not json at all!"), InvalidInput);
    assertEquals((await readAuthRow(w.db))?.method, "password");
  });
});

Deno.test("[auth] a service ticket from a browser sign-in logs in; a wrong service URL gives a clear error", async () => {
  await withWorld({}, async (w) => {
    const r = await w.garmin.auth.loginWithTicket(await browserTicket(w.sim));
    assertEquals(r.status, "authenticated");
    assertEquals((await readAuthRow(w.db))?.method, "ticket");
    const ticket = await browserTicket(w.sim);
    const e = await assertRejects(
      w.garmin.auth.loginWithTicket(ticket, "https://connect.garmin.com/app"),
      InvalidInput,
      "service URL",
    );
    assertStringIncludes(e.message, "https://connect.garmin.com/app");
    assert(!e.message.includes(ticket), "the ticket is not echoed");
    await assertRejects(w.garmin.auth.loginWithTicket("hello"), InvalidInput, "ST-");
    // The earlier session survives the failed attempt.
    assertEquals((await readAuthRow(w.db))?.state, "active");
  });
});

Deno.test("[auth] the client-id fallback list: refused ids are skipped, the JWT's client_id is stored", async () => {
  await withWorld({ sim: { rejectDiClientIds: ["GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2"] } }, async (w) => {
    await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    assertEquals(w.sim.calls("/di-oauth2-service").map((c) => c.status), [401, 200]);
    const tokens = JSON.parse((await readAuthRow(w.db))!.token_data);
    assertEquals(tokens.di_client_id, "GARMIN_CONNECT_MOBILE_ANDROID_DI_2024Q4");
    w.sim.expireAccessTokens();
    assertEquals((await w.garmin.api.listActivities(0, 1)).length, 1);
  });
});

const BLOCKS = [
  { kind: "rate_limit", status: 429, says: "429" },
  { kind: "cloudflare", status: 503, says: "Cloudflare" },
  { kind: "captcha", status: 503, says: "CAPTCHA" },
  { kind: "json_429", status: 429, says: "rate limit" },
  { kind: "html", status: 503, says: "HTML" },
] as const;

for (const b of BLOCKS) {
  Deno.test(`[auth] a ${b.kind} block stops the login after one attempt, status ${b.status}, naming the ways in`, async () => {
    await withWorld({}, async (w) => {
      w.sim.fault({ match: "/mobile/api/login", kind: b.kind, times: 5 });
      const e = await assertRejects(
        w.garmin.auth.login(w.sim.account.email, w.sim.account.password),
        GarminLoginBlocked,
        b.says,
      );
      assertEquals(e.status, b.status);
      for (const way of ["--browser", "--ticket", "--import"]) assertStringIncludes(e.message, way);
      assertEquals(w.sim.calls().length, 1, "exactly one request: no retry, no portal fallback");
      assertEquals(await readAuthRow(w.db), null);
    });
  });
}

Deno.test("[auth] a non-block failure of the mobile flow (5xx) falls back to the portal flow", async () => {
  await withWorld({ garmin: { portalPauseMs: 0 } }, async (w) => {
    w.sim.fault({ match: "/mobile/api/login", kind: "status", status: 500 });
    const r = await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    assertEquals(r.status, "authenticated");
    assertEquals(w.sim.calls("/portal/sso/en-US/sign-in").length, 1);
    assertStringIncludes(w.sim.calls("/portal/api/login")[0].path, "clientId=GarminConnect");
  });
});

Deno.test("[auth] encryption at rest: ciphertext in the row, a wrong key is refused clearly, plaintext rows upgrade", async () => {
  await withWorld({}, async (w) => {
    // A session saved before any key was set...
    await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    assertEquals((await readAuthRow(w.db))?.encrypted, false);
    // ...still loads with a key, and the next write is encrypted.
    const keyed = await w.another({ env: { GARMINSYNC_SECRET_KEY: "correct horse battery staple" } });
    w.sim.expireAccessTokens();
    assertEquals((await keyed.api.listActivities(0, 1)).length, 1);
    const row = (await readAuthRow(w.db))!;
    assertEquals(row.encrypted, true);
    for (const s of w.sim.issuedSecrets()) assert(!row.token_data.includes(s), "no token in clear in the row");
    // Another process with the same key reads it.
    const same = await w.another({ env: { GARMINSYNC_SECRET_KEY: "correct horse battery staple" } });
    assertEquals((await same.api.socialProfile()).displayName, "demo_athlete");
    // A wrong key or no key: a clear error, no garbage, no request.
    const before = w.sim.calls().length;
    const wrong = await w.another({ env: { GARMINSYNC_SECRET_KEY: "a different secret key" } });
    await assertRejects(wrong.api.listActivities(0, 1), NotAuthenticated, WRONG_KEY_MESSAGE);
    const none = await w.another();
    await assertRejects(none.api.listActivities(0, 1), NotAuthenticated, "GARMINSYNC_SECRET_KEY");
    assertEquals(w.sim.calls().length, before);
    // A fresh login under the key stores ciphertext straight away.
    await same.auth.logout();
    await same.auth.login(w.sim.account.email, w.sim.account.password);
    assertEquals((await readAuthRow(w.db))?.encrypted, true);
  });
});

Deno.test("[auth] ensureSession: logs in with configured credentials once; MFA, blocks and no credentials fail at once", async () => {
  await withWorld({}, async (w) => {
    const noCreds = await w.another();
    await assertRejects(ensureSession(noCreds, w.config), NotAuthenticated, "garminsync login");
    const env = { GARMIN_EMAIL: w.sim.account.email, GARMIN_PASSWORD: w.sim.account.password };
    const withCreds = await w.another({ env });
    const config = { ...w.config, garminEmail: env.GARMIN_EMAIL, garminPassword: env.GARMIN_PASSWORD };
    await ensureSession(withCreds, config);
    await ensureSession(withCreds, config);
    assertEquals(w.sim.counters().passwordLogins, 1, "the stored session is reused");
    // After Garmin refuses the refresh token, a sync with credentials logs in again (once).
    w.sim.revokeRefreshTokens();
    w.sim.expireAccessTokens();
    await assertRejects(withCreds.api.listActivities(0, 1), NotAuthenticated);
    await assertRejects(ensureSession(noCreds, w.config), NotAuthenticated, "expired");
    await ensureSession(withCreds, config);
    assertEquals(w.sim.counters().passwordLogins, 2);
    assertEquals((await withCreds.api.listActivities(0, 1)).length, 1);
    // A block during that login is reported as such.
    await withCreds.auth.logout();
    w.sim.fault({ match: "/mobile/api/login", kind: "cloudflare" });
    await assertRejects(ensureSession(withCreds, config), GarminLoginBlocked, "Cloudflare");
  });
  await withWorld({ sim: { account: { mfa: true } } }, async (w) => {
    const config = { ...w.config, garminEmail: w.sim.account.email, garminPassword: w.sim.account.password };
    await assertRejects(ensureSession(w.garmin, config), NotAuthenticated, "garminsync login");
    assertEquals(w.sim.counters().passwordLogins, 1);
  });
});

Deno.test("[auth] refreshIfStale refreshes an idle session once a day, not before", async () => {
  let offset = 0;
  await withWorld({ garmin: { clock: () => new Date(Date.now() + offset) } }, async (w) => {
    assertEquals(await refreshIfStale(w.garmin), false, "nothing stored: nothing to do");
    await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    offset = 23 * 3600_000;
    assertEquals(await refreshIfStale(w.garmin), false);
    offset = 25 * 3600_000;
    assertEquals(await refreshIfStale(w.garmin), true);
    assertEquals(w.sim.counters().diRefreshes, 1);
    assertEquals(await refreshIfStale(w.garmin), false, "just refreshed");
  });
});

Deno.test("[auth] startIdleRefresh (daemon timer) refreshes a day-old idle session and only logs failures", async () => {
  let offset = 0;
  await withWorld({ garmin: { clock: () => new Date(Date.now() + offset) } }, async (w) => {
    await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    offset = 25 * 3600_000;
    const timer = startIdleRefresh(w.garmin, w.log, { everyMs: 10 });
    try {
      for (let i = 0; i < 200 && w.sim.counters().diRefreshes === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assertEquals(w.sim.counters().diRefreshes, 1);
      w.sim.revokeRefreshTokens();
      offset = 50 * 3600_000;
      for (let i = 0; i < 200 && !w.lines.some((l) => /could not refresh the idle/.test(l)); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert(w.lines.some((l) => /WARN .*could not refresh the idle Garmin session/.test(l)));
      assertEquals((await w.garmin.auth.status()).state, "expired");
    } finally {
      timer.stop();
    }
  });
});

Deno.test("[auth] logout deletes the stored session", async () => {
  await withWorld({}, async (w) => {
    await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    await w.garmin.auth.logout();
    assertEquals(await readAuthRow(w.db), null);
    assertEquals((await w.garmin.auth.status()).authenticated, false);
    await assertRejects(w.garmin.api.listActivities(0, 1), NotAuthenticated, "garminsync login");
  });
});

// ----------------------------------------------------------------------------------------------------------------
// CLI

function cliContext(w: World, lines: string[], garmin = w.garmin, config = w.config) {
  const out: string[] = [];
  const err: string[] = [];
  const prompts: { prompt: string; secret: boolean }[] = [];
  const ctx: CliContext = {
    io: {
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      readLine: (prompt, o) => {
        prompts.push({ prompt, secret: o?.secret ?? false });
        return Promise.resolve(lines.length ? lines.shift()! : null);
      },
      isTty: false,
    },
    config,
    open: () => Promise.resolve({ config, db: w.db, log: w.log, garmin } as unknown as AppDeps),
  };
  return { ctx, out, err, prompts };
}

Deno.test("[cli] login flags: one mode at a time, unknown flags and stray arguments are usage errors", () => {
  assertEquals(parseLoginArgs([]), { mode: "password", email: undefined });
  assertEquals(parseLoginArgs(["--import", "x.json"]), { mode: "import", path: "x.json" });
  assertEquals(parseLoginArgs(["--ticket", "ST-1-abc-sso"]), {
    mode: "ticket",
    ticket: "ST-1-abc-sso",
    serviceUrl: undefined,
  });
  assertEquals(parseLoginArgs(["--browser", "--headless"]), {
    mode: "browser",
    browserPath: undefined,
    headless: true,
  });
  for (
    const bad of [
      ["--import", "a", "--ticket", "ST-1"],
      ["--browser", "--ticket", "ST-1"],
      ["--frobnicate"],
      ["extra"],
      ["--ticket", "nope"],
      ["--service-url", "https://x"],
      ["--email", "a@b.c", "--browser"],
      ["--headless"],
    ]
  ) {
    let thrown: unknown;
    try {
      parseLoginArgs(bad);
    } catch (e) {
      thrown = e;
    }
    assert(thrown instanceof UsageError, `${bad.join(" ")} is a usage error`);
  }
});

Deno.test("[cli] login prompts for email, password (hidden) and the MFA code; a wrong code is asked again", async () => {
  await withWorld({ sim: { account: { mfa: true } } }, async (w) => {
    const { ctx, out, err, prompts } = cliContext(w, [w.sim.account.email, w.sim.account.password, "999999", "123456"]);
    assertEquals(await loginCommand([], ctx), 0);
    assertEquals(prompts.map((p) => p.secret), [false, true, false, false]);
    assertStringIncludes(prompts[2].prompt, "MFA");
    assertStringIncludes(err.join(""), "did not accept");
    assertStringIncludes(out.join(""), "Logged in to Garmin Connect as demo_athlete");
    const s = cliContext(w, []);
    assertEquals(await authStatusCommand(["--json"], s.ctx), 0);
    const status = JSON.parse(s.out.join(""));
    assertEquals([status.authenticated, status.method, status.display_name], [true, "password", "demo_athlete"]);
    w.assertNoSecret(s.out.join("") + out.join("") + err.join(""), "CLI output");
    const t = cliContext(w, []);
    assertEquals(await authStatusCommand([], t.ctx), 0);
    assertStringIncludes(t.out.join(""), "method:");
    const l = cliContext(w, []);
    assertEquals(await logoutCommand([], l.ctx), 0);
    const after = cliContext(w, []);
    assertEquals(await authStatusCommand([], after.ctx), 1);
    assertStringIncludes(after.out.join(""), "Not logged in");
  });
});

Deno.test("[cli] login with credentials from the config asks only for the MFA code; no code → NotAuthenticated", async () => {
  await withWorld({ sim: { account: { mfa: true } } }, async (w) => {
    const config = { ...w.config, garminEmail: w.sim.account.email, garminPassword: w.sim.account.password };
    const { ctx, prompts } = cliContext(w, [], w.garmin, config);
    await assertRejects(loginCommand([], ctx), NotAuthenticated, "no MFA code");
    assertEquals(prompts.length, 1);
    assertStringIncludes(prompts[0].prompt, "MFA");
  });
});

Deno.test("[cli] login --import reads a garmin_tokens.json, a python token folder and a garth folder", async () => {
  await withWorld({}, async (w) => {
    const file = `${w.dir}/garmin_tokens.json`;
    await Deno.writeTextFile(file, JSON.stringify(await pythonGarminTokens(w.sim)));
    assertEquals(await loginCommand(["--import", file], cliContext(w, []).ctx), 0);
    assertEquals(await loginCommand(["--import", w.dir], cliContext(w, []).ctx), 0); // the folder holding it
    const garthDir = `${w.dir}/garth`;
    await Deno.mkdir(garthDir);
    const g = await garthTokens(w.sim);
    await Deno.writeTextFile(`${garthDir}/oauth1_token.json`, JSON.stringify(g.oauth1));
    await Deno.writeTextFile(`${garthDir}/oauth2_token.json`, JSON.stringify(g.oauth2));
    const { ctx, out } = cliContext(w, []);
    assertEquals(await loginCommand(["--import", garthDir], ctx), 0);
    assertStringIncludes(out.join(""), "demo_athlete");
    assertEquals((await readAuthRow(w.db))?.token_kind, "legacy");
    await assertRejects(
      loginCommand(["--import", `${w.dir}/nope`], cliContext(w, []).ctx),
      InvalidInput,
      "does not exist",
    );
    const empty = `${w.dir}/empty`;
    await Deno.mkdir(empty);
    await assertRejects(loginCommand(["--import", empty], cliContext(w, []).ctx), InvalidInput, "oauth1_token.json");
  });
});

Deno.test("[cli] login --ticket exchanges a browser ticket", async () => {
  await withWorld({}, async (w) => {
    const { ctx, out } = cliContext(w, []);
    assertEquals(await loginCommand(["--ticket", await browserTicket(w.sim)], ctx), 0);
    assertStringIncludes(out.join(""), "Logged in");
    const ios = "https://mobile.integration.garmin.com/gcm/ios";
    const t = await browserTicket(w.sim, ios);
    assertEquals(await loginCommand(["--ticket", t, "--service-url", ios], cliContext(w, []).ctx), 0);
  });
});
