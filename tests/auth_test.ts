/**
 * Garmin authentication against the simulator: password login and session reuse across restarts, MFA (and its
 * expiry), rotating refresh tokens persisted and shared between processes (in-process and a child `deno run`),
 * invalid_grant → expired + fast failure, imports, the ticket path, blocks, encryption at rest, ensureSession,
 * the idle refresh and the CLI commands.
 */
import { readAuthRow, readLoginBlock, releaseRefreshLease, takeRefreshLease } from "../db/auth.ts";
import { loadConfig } from "../lib/config.ts";
import type { AppDeps } from "../lib/deps.ts";
import {
  GarminLoginBlocked,
  GarminUnavailable,
  InvalidCredentials,
  InvalidInput,
  InvalidMfaCode,
  NoPendingLogin,
  NotAuthenticated,
} from "../lib/errors.ts";
import type { CliContext } from "../cli/context.ts";
import { UsageError } from "../cli/context.ts";
import { authStatusCommand, loginCommand, logoutCommand, parseLoginArgs } from "../cli/login.ts";
import { ensureSession, refreshIfStale, secureStoredTokens, startIdleRefresh } from "../sync/garmin/garmin.ts";
import { WRONG_KEY_MESSAGE } from "../sync/garmin/token_crypto.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./fixtures/auth/asserts.ts";
import { browserTicket, garthTokens, makeWorld, pythonGarminTokens, type World } from "./fixtures/auth/setup.ts";
import { startSimulator } from "../sim/server.ts";
import { openTestStack } from "./fixtures/stack.ts";

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

Deno.test("[auth] an automatic login that needed MFA is not repeated (no request) until a manual login succeeds", async () => {
  await withWorld({ sim: { account: { mfa: true } } }, async (w) => {
    const config = { ...w.config, garminEmail: w.sim.account.email, garminPassword: w.sim.account.password };
    await assertRejects(ensureSession(w.garmin, config), NotAuthenticated, "MFA code");
    assertEquals(w.sim.counters().passwordLogins, 1);
    const block = await readLoginBlock(w.db);
    assertEquals([block?.outcome, block?.source], ["mfa_required", "automatic"]);
    // The next scheduled runs, in this process and in another one, fail fast without contacting Garmin.
    const sent = w.sim.calls().length;
    const e = await assertRejects(ensureSession(w.garmin, config), NotAuthenticated, "the last automatic login at");
    assertStringIncludes(e.message, "garminsync login");
    assertStringIncludes(e.message, block!.at);
    await assertRejects(ensureSession(await w.another(), config), NotAuthenticated, "needed an MFA code");
    assertEquals(w.sim.calls().length, sent, "no request to Garmin");
    // A manual login (with its code) succeeds and lifts the hold.
    assertEquals((await w.garmin.auth.login(w.sim.account.email, w.sim.account.password)).status, "mfa_required");
    assertEquals((await w.garmin.auth.submitMfa(w.sim.account.mfaCode)).status, "authenticated");
    assertEquals(await readLoginBlock(w.db), null);
    await ensureSession(w.garmin, config);
    assertEquals(w.sim.counters().passwordLogins, 2);
    // After a logout the automatic login may try again (once), and is held again.
    await w.garmin.auth.logout();
    await assertRejects(ensureSession(w.garmin, config), NotAuthenticated, "MFA code");
    await assertRejects(ensureSession(w.garmin, config), NotAuthenticated, "the last automatic login");
    assertEquals(w.sim.counters().passwordLogins, 3);
  });
});

Deno.test("[auth] a blocked automatic login is not retried for 12 hours; then once; a success clears the hold", async () => {
  let offset = 0;
  await withWorld({ garmin: { clock: () => new Date(Date.now() + offset) } }, async (w) => {
    const config = { ...w.config, garminEmail: w.sim.account.email, garminPassword: w.sim.account.password };
    w.sim.fault({ match: "/mobile/api/login", kind: "rate_limit", times: 10 });
    const first = await assertRejects(ensureSession(w.garmin, config), GarminLoginBlocked, "429");
    assertEquals(first.status, 429);
    assertEquals(w.sim.calls("/mobile/api/login").length, 1);
    offset = 11 * 3600_000;
    const held = await assertRejects(ensureSession(w.garmin, config), GarminLoginBlocked, "was blocked by Garmin");
    assertEquals(held.status, 429);
    assertStringIncludes(held.message, "garminsync login");
    assertStringIncludes(held.message, "429 Too Many Requests");
    assertEquals(w.sim.calls("/mobile/api/login").length, 1, "no second credential login within 12 hours");
    offset = 13 * 3600_000;
    w.sim.clearFaults();
    await ensureSession(w.garmin, config);
    assertEquals(w.sim.calls("/mobile/api/login").length, 2);
    assertEquals(await readLoginBlock(w.db), null);
    assert(await w.garmin.auth.hasSession());
  });
});

Deno.test("[auth] a blocked manual login also holds automatic logins back; manual logins are never held", async () => {
  await withWorld({}, async (w) => {
    const config = { ...w.config, garminEmail: w.sim.account.email, garminPassword: w.sim.account.password };
    w.sim.fault({ match: "/mobile/api/login", kind: "cloudflare", times: 2 });
    await assertRejects(w.garmin.auth.login(w.sim.account.email, w.sim.account.password), GarminLoginBlocked);
    await assertRejects(ensureSession(w.garmin, config), GarminLoginBlocked, "the last password login at");
    assertEquals(w.sim.calls("/mobile/api/login").length, 1);
    // A person may try again at once (and here gets through after the second block).
    await assertRejects(w.garmin.auth.login(w.sim.account.email, w.sim.account.password), GarminLoginBlocked);
    assertEquals((await w.garmin.auth.login(w.sim.account.email, w.sim.account.password)).status, "authenticated");
    assertEquals(await readLoginBlock(w.db), null);
  });
});

Deno.test("[auth] refused GARMIN_PASSWORD is not retried by syncs; another GARMIN_EMAIL is not held back", async () => {
  await withWorld({}, async (w) => {
    const config = { ...w.config, garminEmail: w.sim.account.email, garminPassword: "wrong-password" };
    await assertRejects(ensureSession(w.garmin, config), InvalidCredentials, "email or password");
    await assertRejects(ensureSession(w.garmin, config), NotAuthenticated, "rejected GARMIN_EMAIL/GARMIN_PASSWORD");
    assertEquals(w.sim.counters().passwordLogins, 1);
    const other = { ...config, garminEmail: "someone.else@example.com" };
    await assertRejects(ensureSession(w.garmin, other), InvalidCredentials);
    assertEquals(w.sim.counters().passwordLogins, 2);
  });
});

Deno.test("[auth] an automatic login never discards a login waiting for its MFA code", async () => {
  await withWorld({ sim: { account: { mfa: true } } }, async (w) => {
    const config = { ...w.config, garminEmail: w.sim.account.email, garminPassword: w.sim.account.password };
    assertEquals((await w.garmin.auth.login(w.sim.account.email, w.sim.account.password)).status, "mfa_required");
    await assertRejects(ensureSession(w.garmin, config), NotAuthenticated, "waiting for its MFA code");
    assertEquals(w.sim.counters().passwordLogins, 1, "the sync sent no second login");
    assertEquals(await readLoginBlock(w.db), null, "nothing to hold: the sync did not try");
    const r = await w.garmin.auth.submitMfa(w.sim.account.mfaCode);
    assertEquals(r.status, "authenticated");
    await ensureSession(w.garmin, config);
    assertEquals(w.sim.counters().passwordLogins, 1);
  });
});

Deno.test("[auth] refused imported tokens leave the working session exactly as it was, and say why", async () => {
  await withWorld({}, async (w) => {
    await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    const before = await readAuthRow(w.db);
    const e = await assertRejects(
      w.garmin.auth.importTokens({
        di_token: "not-a-jwt-token",
        di_refresh_token: "spent-refresh-token",
        di_client_id: "GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2",
      }),
      NotAuthenticated,
      "Garmin refused the imported tokens",
    );
    assertStringIncludes(e.message, "unchanged");
    assertEquals(await readAuthRow(w.db), before);
    assertEquals((await w.garmin.api.listActivities(0, 1)).length, 1);
    assertEquals((await w.garmin.auth.status()).method, "password");
  });
});

Deno.test("[auth] a ticket whose tokens the API refuses leaves the working session as it was", async () => {
  await withWorld({}, async (w) => {
    await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    const before = await readAuthRow(w.db);
    // The classic widget's service URL: Garmin issues tokens, but connectapi refuses them (June 2026).
    const embed = "https://sso.garmin.com/sso/embed";
    await assertRejects(
      w.garmin.auth.loginWithTicket(await browserTicket(w.sim, embed), embed),
      NotAuthenticated,
      "its API refuses them",
    );
    assertEquals(await readAuthRow(w.db), before);
    assertEquals((await w.garmin.api.socialProfile()).displayName, "demo_athlete");
  });
});

Deno.test("[auth] new tokens are checked before they are stored: an import that needs a refresh stores the rotated pair", async () => {
  await withWorld({}, async (w) => {
    const file = await pythonGarminTokens(w.sim);
    w.sim.expireAccessTokens();
    const r = await w.garmin.auth.importTokens(file);
    assertEquals(r, { status: "authenticated", displayName: "demo_athlete" });
    assertEquals(w.sim.counters().diRefreshes, 1);
    const stored = JSON.parse((await readAuthRow(w.db))!.token_data);
    assert(stored.di_refresh_token !== file.di_refresh_token, "the rotated refresh token is stored, not the spent one");
    assertEquals((await readAuthRow(w.db))?.display_name, "demo_athlete");
    assertEquals((await (await w.another()).api.listActivities(0, 1)).length, 1);
    assertEquals(w.sim.counters().diRefreshes, 1);
  });
});

Deno.test("[auth] when Garmin cannot check new tokens, a working session is kept; with none, they are stored", async () => {
  await withWorld({}, async (w) => {
    await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    const before = await readAuthRow(w.db);
    w.sim.fault({ match: "/socialProfile", kind: "status", status: 503, times: 10 });
    const e = await assertRejects(w.garmin.auth.importTokens(await pythonGarminTokens(w.sim)), GarminUnavailable);
    assertStringIncludes(e.message, "kept unchanged");
    assertEquals(await readAuthRow(w.db), before);
    await w.garmin.auth.logout();
    const r = await w.garmin.auth.importTokens(await pythonGarminTokens(w.sim));
    assertEquals(r, { status: "authenticated" });
    assertEquals((await readAuthRow(w.db))?.method, "import");
  });
});

Deno.test("[auth] a wrong or missing GARMINSYNC_SECRET_KEY is reported as key_mismatch, not as logged in", async () => {
  await withWorld({ env: { GARMINSYNC_SECRET_KEY: "correct horse battery staple" } }, async (w) => {
    await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    assertEquals((await w.garmin.auth.status()).state, "active");
    for (const env of [{ GARMINSYNC_SECRET_KEY: "a different secret key" }, { GARMINSYNC_SECRET_KEY: "" }]) {
      const other = await w.another({ env });
      const s = await other.auth.status();
      assertEquals([s.authenticated, s.state, s.method], [false, "key_mismatch", "password"]);
      w.assertNoSecret(JSON.stringify(s), "auth status");
      const config = loadConfig({ GARMINSYNC_DB_URL: w.dbUrl, GARMINSYNC_DATA_DIR: w.dir, ...env });
      const t = cliContext(w, [], other, config);
      assertEquals(await authStatusCommand([], t.ctx), 1);
      assertStringIncludes(t.out.join(""), "GARMINSYNC_SECRET_KEY");
      assertStringIncludes(t.out.join(""), "Set the right key, or log in again");
      assert(!t.out.join("").includes("Logged in"));
    }
    assertEquals((await w.garmin.auth.status()).authenticated, true, "the right key still opens it");
  });
});

Deno.test("[auth] secureStoredTokens encrypts a plaintext session at startup, without a request to Garmin", async () => {
  await withWorld({}, async (w) => {
    await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    const plain = (await readAuthRow(w.db))!;
    assertEquals(plain.encrypted, false);
    const env = { GARMINSYNC_SECRET_KEY: "correct horse battery staple" };
    const keyed = await w.another({ env });
    const sent = w.sim.calls().length;
    assertEquals(await secureStoredTokens(keyed), true);
    const row = (await readAuthRow(w.db))!;
    assertEquals([row.encrypted, row.version, row.method], [true, plain.version + 1, "password"]);
    for (const s of w.sim.issuedSecrets()) assert(!row.token_data.includes(s), "no token in clear in the row");
    assertEquals(row.last_refresh_at, plain.last_refresh_at, "not a refresh");
    assertEquals(w.sim.calls().length, sent);
    assertEquals(await secureStoredTokens(keyed), false, "already encrypted");
    assertEquals(await secureStoredTokens(w.garmin), false, "no key: nothing to do");
    assertEquals((await (await w.another({ env })).api.socialProfile()).displayName, "demo_athlete");
  });
});

Deno.test("[auth] a key set later: the first use encrypts the row; never while another process holds the refresh lease", async () => {
  await withWorld({}, async (w) => {
    await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    const row = (await readAuthRow(w.db))!;
    assert(await takeRefreshLease(w.db, { version: row.version, owner: "other", now: new Date(), leaseMs: 60_000 }));
    const env = { GARMINSYNC_SECRET_KEY: "correct horse battery staple" };
    assertEquals(await secureStoredTokens(await w.another({ env })), false, "a refresh is in flight elsewhere");
    assertEquals((await readAuthRow(w.db))?.encrypted, false);
    await releaseRefreshLease(w.db, "other");
    // `auth status` is a first use: it decodes the tokens, and encrypts them on the way.
    const keyed = await w.another({ env });
    assertEquals((await keyed.auth.status()).state, "active");
    assertEquals((await readAuthRow(w.db))?.encrypted, true);
  });
});

Deno.test("[auth] MFA: a 5xx or 404 from the login's verifyCode endpoint → the other endpoint; a wrong code stays wrong", async () => {
  for (const status of [500, 404]) {
    await withWorld({ sim: { account: { mfa: true } } }, async (w) => {
      assertEquals((await w.garmin.auth.login(w.sim.account.email, w.sim.account.password)).status, "mfa_required");
      w.sim.fault({ match: "/mobile/api/mfa/verifyCode", kind: "status", status, times: 10 });
      // A wrong code on the other endpoint is still a wrong code, and the login stays open.
      await assertRejects(w.garmin.auth.submitMfa("000000"), InvalidMfaCode, "did not accept");
      const r = await w.garmin.auth.submitMfa(w.sim.account.mfaCode);
      assertEquals(r, { status: "authenticated", displayName: "demo_athlete" });
      assertEquals(w.sim.calls("/mobile/api/mfa/verifyCode").length, 2);
      const portal = w.sim.calls("/portal/api/mfa/verifyCode");
      assertEquals(portal.map((c) => c.status), [400, 200]);
      assertStringIncludes(portal[1].path, "clientId=GarminConnect");
      assertEquals(w.sim.counters().passwordLogins, 1);
    });
  }
  // Both endpoints down: the login stays open for the same code later.
  await withWorld({ sim: { account: { mfa: true } } }, async (w) => {
    assertEquals((await w.garmin.auth.login(w.sim.account.email, w.sim.account.password)).status, "mfa_required");
    w.sim.fault({ match: "/api/mfa/verifyCode", kind: "status", status: 502, times: 2 });
    await assertRejects(w.garmin.auth.submitMfa(w.sim.account.mfaCode), GarminUnavailable, "login stays open");
    assertEquals((await w.garmin.auth.submitMfa(w.sim.account.mfaCode)).status, "authenticated");
  });
  // A wrong code on the login's own endpoint is not sent anywhere else.
  await withWorld({ sim: { account: { mfa: true } } }, async (w) => {
    await w.garmin.auth.login(w.sim.account.email, w.sim.account.password);
    await assertRejects(w.garmin.auth.submitMfa("000000"), InvalidMfaCode);
    assertEquals(w.sim.calls("/portal/").length, 0);
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

Deno.test("[auth] a token service answering 5xx to the ticket exchange is 'Garmin unavailable', not a refused ticket", async () => {
  const sim = await startSimulator({ activities: 1 });
  const dir = await Deno.makeTempDir({ prefix: "gs_auth_5xx_" });
  try {
    const { deps } = await openTestStack({ dir, garminUrl: sim.url });
    try {
      sim.fault({ match: "/di-oauth2-service/oauth/token", kind: "status", status: 500, times: Infinity });
      const e = await assertRejects(
        () => deps.garmin.auth.login(sim.account.email, sim.account.password),
        GarminUnavailable,
      );
      assert(!/ticket/i.test(e.message) || /token service/.test(e.message), e.message);
      assertEquals((await deps.garmin.auth.status()).authenticated, false);
    } finally {
      deps.db.close();
    }
  } finally {
    await sim.close();
    await Deno.remove(dir, { recursive: true });
  }
});
