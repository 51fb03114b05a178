/**
 * The Garmin Connect simulator, exercised over real HTTP with fetch, the way GarminSync's client talks to it.
 */
import { CHROMIUM_ARGS } from "../sync/garmin/browser_login.ts";
import { assert, assertEquals, assertMatch, assertNotEquals, assertRejects } from "./assert.ts";
import { createHmac, randomBytes } from "node:crypto";
import { Decoder, Stream } from "@garmin/fitsdk";
import { unzipSync } from "fflate";
import { type Simulator, startSimulator } from "../sim/server.ts";

const MOBILE_SERVICE = "https://mobile.integration.garmin.com/gcm/android";
const PORTAL_SERVICE = "https://connect.garmin.com/app";
const DI_GRANT = "https://connectapi.garmin.com/di-oauth2-service/oauth/grant/service_ticket";
const CLIENT_ID = "GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2";

/** A minimal cookie jar: name=value pairs from Set-Cookie, sent back as one Cookie header. */
class Jar {
  cookies = new Map<string, string>();
  take(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      this.cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

function loginQuery(flow: "mobile" | "portal"): string {
  const q = new URLSearchParams({
    clientId: flow === "mobile" ? "GCM_ANDROID_DARK" : "GarminConnect",
    locale: "en-US",
    service: flow === "mobile" ? MOBILE_SERVICE : PORTAL_SERVICE,
  });
  return q.toString();
}

async function postJson(
  url: string,
  body: unknown,
  jar?: Jar,
): Promise<{ res: Response; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(jar ? { cookie: jar.header() } : {}) },
    body: JSON.stringify(body),
  });
  jar?.take(res);
  return { res, json: await res.json() };
}

/** GET the sign-in page for cookies, then POST the credentials; answers the login JSON and the jar. */
async function mobileLogin(sim: Simulator, password = sim.account.password, flow: "mobile" | "portal" = "mobile") {
  const jar = new Jar();
  const page = await fetch(`${sim.url}/${flow}/sso/${flow === "mobile" ? "en" : "en-US"}/sign-in?clientId=x`);
  jar.take(page);
  await page.body?.cancel();
  const { res, json } = await postJson(
    `${sim.url}/${flow}/api/login?${loginQuery(flow)}`,
    { username: sim.account.email, password, rememberMe: false, captchaToken: "" },
    jar,
  );
  return { res, json, jar };
}

async function diExchange(sim: Simulator, ticket: string, serviceUrl: string, clientId = CLIENT_ID) {
  const res = await fetch(`${sim.url}/di-oauth2-service/oauth/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${btoa(`${clientId}:`)}`,
    },
    body: new URLSearchParams({
      client_id: clientId,
      service_ticket: ticket,
      grant_type: DI_GRANT,
      service_url: serviceUrl,
    }),
  });
  return { res, json: await res.json() as Record<string, unknown> };
}

async function diRefresh(sim: Simulator, refreshToken: string, clientId = CLIENT_ID) {
  const res = await fetch(`${sim.url}/di-oauth2-service/oauth/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${btoa(`${clientId}:`)}`,
    },
    body: new URLSearchParams({ grant_type: "refresh_token", client_id: clientId, refresh_token: refreshToken }),
  });
  return { res, json: await res.json() as Record<string, unknown> };
}

/** A full password login to DI tokens; answers the access token. */
async function accessToken(sim: Simulator): Promise<string> {
  const { json } = await mobileLogin(sim);
  const { json: tokens } = await diExchange(sim, String(json.serviceTicketId), MOBILE_SERVICE);
  return String(tokens.access_token);
}

function api(sim: Simulator, token: string, path: string): Promise<Response> {
  return fetch(`${sim.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
}

async function withSim(
  options: Parameters<typeof startSimulator>[0],
  fn: (sim: Simulator) => Promise<void>,
): Promise<void> {
  const sim = await startSimulator(options);
  try {
    await fn(sim);
  } finally {
    await sim.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Independent OAuth 1.0a signer (RFC 5849), so the simulator's checker is tested against another implementation.

function enc(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

function oauthHeader(
  method: string,
  url: string,
  consumer: { key: string; secret: string },
  token?: { key: string; secret: string },
  form: Record<string, string> = {},
): string {
  const u = new URL(url);
  const oauth: Record<string, string> = {
    oauth_consumer_key: consumer.key,
    oauth_nonce: randomBytes(12).toString("hex"),
    oauth_signature_method: "HMAC-SHA1",
    oauth_timestamp: String(Math.floor(Date.now() / 1000)),
    oauth_version: "1.0",
  };
  if (token) oauth.oauth_token = token.key;
  const params = [...u.searchParams.entries(), ...Object.entries(oauth), ...Object.entries(form)]
    .map(([k, v]) => [enc(k), enc(v)])
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const base = `${method}&${enc(`${u.protocol}//${u.host}${u.pathname}`)}&${enc(params)}`;
  const key = `${enc(consumer.secret)}&${enc(token?.secret ?? "")}`;
  oauth.oauth_signature = createHmac("sha1", key).update(base).digest("base64");
  return "OAuth " + Object.entries(oauth).map(([k, v]) => `${k}="${enc(v)}"`).join(", ");
}

// ---------------------------------------------------------------------------------------------------------------
// Login

Deno.test("[sim] mobile login answers SUCCESSFUL with a -sso ticket for the requested service", async () => {
  await withSim({}, async (sim) => {
    const { res, json, jar } = await mobileLogin(sim);
    assertEquals(res.status, 200);
    assertMatch(res.headers.get("content-type") ?? "", /application\/json/);
    assertEquals((json.responseStatus as { type: string }).type, "SUCCESSFUL");
    assertMatch(String(json.serviceTicketId), /^ST-\d{7}-[A-Za-z0-9]{20}-sso$/);
    assertEquals(json.serviceURL, MOBILE_SERVICE);
    assert(jar.cookies.has("SESSION"), "the sign-in page sets a SESSION cookie");
    assertEquals(sim.counters().passwordLogins, 1);
  });
});

Deno.test("[sim] a wrong password answers 401 INVALID_USERNAME_PASSWORD", async () => {
  await withSim({}, async (sim) => {
    const { res, json } = await mobileLogin(sim, "wrong-password");
    assertEquals(res.status, 401);
    assertEquals((json.responseStatus as { type: string }).type, "INVALID_USERNAME_PASSWORD");
    assertEquals(json.serviceTicketId, null);
  });
});

Deno.test("[sim] MFA: wrong code answers 400 and keeps the login pending; right code in the same session succeeds", async () => {
  await withSim({ account: { mfa: true } }, async (sim) => {
    const { res, json, jar } = await mobileLogin(sim, sim.account.password, "portal");
    assertEquals(res.status, 200);
    assertEquals((json.responseStatus as { type: string }).type, "MFA_REQUIRED");
    assertEquals((json.customerMfaInfo as { mfaLastMethodUsed: string }).mfaLastMethodUsed, "email");
    const verifyUrl = `${sim.url}/portal/api/mfa/verifyCode?${loginQuery("portal")}`;
    const code = (c: string) => ({
      mfaMethod: "email",
      mfaVerificationCode: c,
      rememberMyBrowser: false,
      reconsentList: [],
      mfaSetup: false,
    });

    const noCookie = await postJson(verifyUrl, code(sim.account.mfaCode));
    assertEquals(noCookie.res.status, 401, "another (no) cookie session cannot finish the login");
    assertNotEquals((noCookie.json.responseStatus as { type: string }).type, "SUCCESSFUL");

    const wrong = await postJson(verifyUrl, code("000000"), jar);
    assertEquals(wrong.res.status, 400);
    assertEquals((wrong.json.responseStatus as { type: string }).type, "INVALID_MFA_CODE");

    const right = await postJson(verifyUrl, code(sim.account.mfaCode), jar);
    assertEquals(right.res.status, 200);
    assertEquals((right.json.responseStatus as { type: string }).type, "SUCCESSFUL");
    assertEquals(right.json.serviceURL, PORTAL_SERVICE);
    const { res: di } = await diExchange(sim, String(right.json.serviceTicketId), PORTAL_SERVICE);
    assertEquals(di.status, 200);
    assertEquals(sim.counters().mfaVerifications, 1);

    const again = await postJson(verifyUrl, code(sim.account.mfaCode), jar);
    assertEquals(again.res.status, 401, "a finished MFA login cannot be finished twice");
  });
});

Deno.test("[sim] the browser sign-in page has the labelled inputs and posts to the login API", async () => {
  await withSim({}, async (sim) => {
    for (const path of ["/mobile/sso/en_US/sign-in", "/portal/sso/en-US/sign-in"]) {
      const res = await fetch(
        `${sim.url}${path}?clientId=GCM_ANDROID_DARK&service=${encodeURIComponent(MOBILE_SERVICE)}`,
      );
      assertEquals(res.status, 200);
      assertMatch(res.headers.get("content-type") ?? "", /text\/html/);
      const page = await res.text();
      for (const id of ["email", "password", "login-btn-signin", "mfa-code", "mfa-btn-submit"]) {
        assertMatch(page, new RegExp(`id="${id}"`));
      }
      assertMatch(page, /<label for="email">/);
      assertMatch(page, new RegExp(`/${path.split("/")[1]}/api`));
      assertMatch(page, /ticket=/);
    }
  });
});

const CHROMIUM = "/usr/bin/chromium";

function existsFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

Deno.test({
  name: "[sim] headless Chromium signs in on the browser page (wrong MFA code, then right) and lands on ?ticket=",
  fn: async () => {
    // Run, never skip: a missing browser fails with what to install.
    assert(existsFile(CHROMIUM), `${CHROMIUM} is missing: install it with \`apt-get install -y chromium\``);
    const { chromium } = await import("playwright-core");
    await withSim({ account: { mfa: true } }, async (sim) => {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
      });
      try {
        const page = await browser.newPage();
        let landed = "";
        await page.route("https://mobile.integration.garmin.com/**", (route) => {
          landed = route.request().url();
          return route.fulfill({ status: 200, contentType: "text/plain", body: "signed in" });
        });
        const service = encodeURIComponent(MOBILE_SERVICE);
        await page.goto(`${sim.url}/mobile/sso/en_US/sign-in?clientId=GCM_ANDROID_DARK&service=${service}`);
        await page.getByLabel("Email").fill(sim.account.email);
        await page.getByLabel("Password").fill(sim.account.password);
        await page.click("#login-btn-signin");
        await page.waitForSelector("#mfa-code", { state: "visible" });
        await page.fill("#mfa-code", "000000");
        await page.click("#mfa-btn-submit");
        await page.waitForSelector("#error:not(:empty)");
        await page.fill("#mfa-code", sim.account.mfaCode);
        await page.click("#mfa-btn-submit");
        await page.waitForURL(/ticket=ST-/);
        const ticket = new URL(landed).searchParams.get("ticket") ?? "";
        assertMatch(landed, /^https:\/\/mobile\.integration\.garmin\.com\/gcm\/android\?ticket=ST-/);
        const { res } = await diExchange(sim, ticket, MOBILE_SERVICE);
        assertEquals(res.status, 200, "the captured ticket exchanges for DI tokens");
      } finally {
        await browser.close();
      }
    });
  },
});

// ---------------------------------------------------------------------------------------------------------------
// Tickets and DI tokens

Deno.test("[sim] a service ticket is single use and bound to its service URL", async () => {
  await withSim({}, async (sim) => {
    const first = await mobileLogin(sim);
    const wrongService = await diExchange(sim, String(first.json.serviceTicketId), PORTAL_SERVICE);
    assertEquals(wrongService.res.status, 400);
    assertEquals(wrongService.json.error_description, "invalid service ticket provided");

    const second = await mobileLogin(sim);
    const ticket = String(second.json.serviceTicketId);
    const ok = await diExchange(sim, ticket, MOBILE_SERVICE);
    assertEquals(ok.res.status, 200);
    const reused = await diExchange(sim, ticket, MOBILE_SERVICE);
    assertEquals(reused.res.status, 400);
    assertEquals(reused.json.error, "invalid_grant");
  });
});

Deno.test("[sim] an expired ticket is refused", async () => {
  let clock = Date.parse("2026-10-01T10:00:00Z");
  await withSim({ now: () => new Date(clock) }, async (sim) => {
    const { json } = await mobileLogin(sim);
    clock += 301_000;
    const late = await diExchange(sim, String(json.serviceTicketId), MOBILE_SERVICE);
    assertEquals(late.res.status, 400);
  });
});

Deno.test("[sim] DI exchange answers a JWT and all token fields; unknown or rejected client ids get 401", async () => {
  await withSim({ rejectDiClientIds: [CLIENT_ID] }, async (sim) => {
    const { json } = await mobileLogin(sim);
    const ticket = String(json.serviceTicketId);
    const rejected = await diExchange(sim, ticket, MOBILE_SERVICE);
    assertEquals(rejected.res.status, 401);
    assertEquals(rejected.json.error, "invalid_client");
    const unknown = await diExchange(sim, ticket, MOBILE_SERVICE, "SOMETHING_ELSE");
    assertEquals(unknown.res.status, 401);

    const fallback = "GARMIN_CONNECT_MOBILE_ANDROID_DI_2024Q4";
    const { res, json: tokens } = await diExchange(sim, ticket, MOBILE_SERVICE, fallback);
    assertEquals(res.status, 200, "a refused client id does not spend the ticket");
    for (const k of ["access_token", "refresh_token", "expires_in", "refresh_token_expires_in", "scope", "jti"]) {
      assert(k in tokens, `token response has ${k}`);
    }
    assertEquals(tokens.token_type, "bearer");
    assertEquals(tokens.expires_in, 3600);
    const [header, payload] = String(tokens.access_token).split(".").slice(0, 2).map((p) =>
      JSON.parse(atob(p.replace(/-/g, "+").replace(/_/g, "/")))
    );
    assertEquals(header.alg, "HS256");
    assertEquals(payload.client_id, fallback);
    assertEquals(payload.exp - payload.iat, 3600);
    assert(payload.sub && payload.jti);
  });
});

Deno.test("[sim] DI refresh rotates: the new refresh token works, the spent one answers invalid_grant", async () => {
  await withSim({}, async (sim) => {
    const { json } = await mobileLogin(sim);
    const first = (await diExchange(sim, String(json.serviceTicketId), MOBILE_SERVICE)).json;
    const second = await diRefresh(sim, String(first.refresh_token));
    assertEquals(second.res.status, 200);
    assertNotEquals(second.json.refresh_token, first.refresh_token);
    assertNotEquals(second.json.access_token, first.access_token);

    const reuse = await diRefresh(sim, String(first.refresh_token));
    assertEquals(reuse.res.status, 400);
    assertEquals(reuse.json.error, "invalid_grant");
    assertMatch(String(reuse.json.error_description), /^Invalid refresh token: /);

    const third = await diRefresh(sim, String(second.json.refresh_token));
    assertEquals(third.res.status, 200);
    sim.revokeRefreshTokens();
    const revoked = await diRefresh(sim, String(third.json.refresh_token));
    assertEquals(revoked.res.status, 400);
    assertEquals(sim.counters().diRefreshes, 2);
    assertEquals(sim.counters().diExchanges, 1);
  });
});

Deno.test("[sim] connectapi checks the Bearer token; expireAccessTokens makes every issued token answer 401", async () => {
  await withSim({}, async (sim) => {
    const none = await fetch(`${sim.url}/userprofile-service/socialProfile`);
    assertEquals(none.status, 401);
    assertMatch(none.headers.get("www-authenticate") ?? "", /invalid_token.*Token is not active/);
    assertMatch(await none.text(), /HTTP Status 401/);

    const token = await accessToken(sim);
    const ok = await api(sim, token, "/userprofile-service/socialProfile");
    assertEquals(ok.status, 200);
    const profile = await ok.json();
    assertEquals(profile.displayName, "demo_athlete");

    sim.expireAccessTokens();
    const expired = await api(sim, token, "/userprofile-service/socialProfile");
    assertEquals(expired.status, 401);
    await expired.body?.cancel();
    const fresh = await accessToken(sim);
    const again = await api(sim, fresh, "/userprofile-service/userprofile/user-settings");
    assertEquals(again.status, 200);
    assertEquals((await again.json()).userData.measurementSystem, "metric");
  });
});

Deno.test("[sim] access tokens expire by the clock after accessTokenTtlSec", async () => {
  let clock = Date.parse("2026-10-01T10:00:00Z");
  await withSim({ now: () => new Date(clock), accessTokenTtlSec: 60 }, async (sim) => {
    const token = await accessToken(sim);
    assertEquals(
      (await api(sim, token, "/activitylist-service/activities/count").then((r) => r.json())).totalCount,
      25,
    );
    clock += 61_000;
    const res = await api(sim, token, "/activitylist-service/activities/count");
    assertEquals(res.status, 401);
    await res.body?.cancel();
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Classic widget + OAuth1

Deno.test("[sim] widget SSO + OAuth1: a right signature is accepted, a wrong one answers 401", async () => {
  await withSim({}, async (sim) => {
    const jar = new Jar();
    const embed = await fetch(`${sim.url}/sso/embed?id=gauth-widget&embedWidget=true`);
    jar.take(embed);
    await embed.body?.cancel();
    const signinUrl = `${sim.url}/sso/signin?id=gauth-widget&embedWidget=true&service=${
      encodeURIComponent("https://sso.garmin.com/sso/embed")
    }`;
    const page = await fetch(signinUrl, { headers: { cookie: jar.header() } });
    jar.take(page);
    const pageHtml = await page.text();
    assertMatch(pageHtml, /<title>GARMIN Authentication Application<\/title>/);
    const csrf = /name="_csrf"\s+value="(.+?)"/.exec(pageHtml)?.[1] ?? "";
    assertMatch(csrf, /^[0-9A-F]{100}$/, "the sign-in page carries a CSRF token");

    // Multipart body, as the npm client really sends it.
    const form = new FormData();
    form.set("username", sim.account.email);
    form.set("password", sim.account.password);
    form.set("embed", "true");
    form.set("_csrf", csrf);
    const post = await fetch(signinUrl, { method: "POST", body: form, headers: { cookie: jar.header() } });
    assertEquals(post.status, 200);
    const success = await post.text();
    assertEquals(/<title>(.+?)<\/title>/.exec(success)?.[1], "Success");
    const ticket = /embed\?ticket=([^"]+)"/.exec(success)?.[1];
    assertMatch(ticket ?? "", /^ST-\d+-[A-Za-z0-9]+-cas$/);

    const consumer = await (await fetch(`${sim.url}/oauth_consumer.json`)).json();
    const c = { key: consumer.consumer_key, secret: consumer.consumer_secret };
    const preUrl = `${sim.url}/oauth-service/oauth/preauthorized?ticket=${ticket}&login-url=${
      encodeURIComponent("https://sso.garmin.com/sso/embed")
    }&accepts-mfa-tokens=true`;
    const bad = await fetch(preUrl, {
      headers: { authorization: oauthHeader("GET", preUrl, { ...c, secret: "nope" }) },
    });
    assertEquals(bad.status, 401);
    await bad.body?.cancel();
    const pre = await fetch(preUrl, { headers: { authorization: oauthHeader("GET", preUrl, c) } });
    assertEquals(pre.status, 200);
    assertMatch(pre.headers.get("content-type") ?? "", /text\/plain/);
    const oauth1 = new URLSearchParams(await pre.text());
    const token = { key: oauth1.get("oauth_token")!, secret: oauth1.get("oauth_token_secret")! };
    assert(token.key && token.secret);

    const exUrl = `${sim.url}/oauth-service/oauth/exchange/user/2.0`;
    const body = { audience: "GARMIN_CONNECT_MOBILE_ANDROID_DI" };
    const tampered = await fetch(exUrl, {
      method: "POST",
      headers: {
        authorization: oauthHeader("POST", exUrl, c, token, body),
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ audience: "SOMETHING_ELSE" }),
    });
    assertEquals(tampered.status, 401, "form params are part of the signature");
    await tampered.body?.cancel();
    const ex = await fetch(exUrl, {
      method: "POST",
      headers: {
        authorization: oauthHeader("POST", exUrl, c, token, body),
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams(body),
    });
    assertEquals(ex.status, 200);
    const oauth2 = await ex.json();
    for (
      const k of [
        "scope",
        "jti",
        "access_token",
        "token_type",
        "refresh_token",
        "expires_in",
        "refresh_token_expires_in",
      ]
    ) {
      assert(k in oauth2, `OAuth2 answer has ${k}`);
    }
    const profile = await api(sim, oauth2.access_token, "/userprofile-service/socialProfile");
    assertEquals(profile.status, 200, "OAuth2 access tokens are accepted by connectapi");
    await profile.body?.cancel();

    // Query-string OAuth params (the npm client's way) work too.
    const qs = new URLSearchParams(
      oauthHeader("POST", exUrl, c, token).slice(6).split(", ").map((p) => {
        const [k, v] = p.split("=");
        return [k, decodeURIComponent(v.slice(1, -1))];
      }),
    );
    const exQuery = await fetch(`${exUrl}?${qs}`, { method: "POST" });
    assertEquals(exQuery.status, 200);
    await exQuery.body?.cancel();
    assertEquals(sim.counters().oauth1Preauthorized, 1);
    assertEquals(sim.counters().oauth2Exchanges, 2);
  });
});

Deno.test("[sim] DI tokens from a widget (/sso/embed) ticket are refused by connectapi, as since June 2026", async () => {
  await withSim({}, async (sim) => {
    const signinUrl = `${sim.url}/sso/signin?service=${encodeURIComponent("https://sso.garmin.com/sso/embed")}`;
    const page = await fetch(signinUrl);
    const csrf = /name="_csrf"\s+value="(.+?)"/.exec(await page.text())![1];
    const post = await fetch(signinUrl, {
      method: "POST",
      body: new URLSearchParams({
        username: sim.account.email,
        password: sim.account.password,
        embed: "true",
        _csrf: csrf,
      }),
    });
    const ticket = /embed\?ticket=([^"]+)"/.exec(await post.text())![1];
    const { res, json } = await diExchange(sim, ticket, "https://sso.garmin.com/sso/embed");
    assertEquals(res.status, 200);
    const refused = await api(sim, String(json.access_token), "/userprofile-service/socialProfile");
    assertEquals(refused.status, 401);
    assertMatch(refused.headers.get("www-authenticate") ?? "", /Token is not active/);
    await refused.body?.cancel();
  });
});

Deno.test("[sim] wrong widget password answers 401 with the FAIL status page", async () => {
  await withSim({}, async (sim) => {
    const page = await fetch(`${sim.url}/sso/signin`);
    const csrf = /name="_csrf"\s+value="(.+?)"/.exec(await page.text())![1];
    const post = await fetch(`${sim.url}/sso/signin`, {
      method: "POST",
      body: new URLSearchParams({ username: sim.account.email, password: "nope", embed: "true", _csrf: csrf }),
    });
    assertEquals(post.status, 401);
    const body = await post.text();
    assertMatch(body, /<title>GARMIN Authentication Application<\/title>/);
    assertMatch(body, /var status \t+= "FAIL";/);
    assert(!/var status="/.test(body), "no whitespace-free status var (the npm client would read it as locked)");
  });
});

Deno.test("[sim] widget MFA: 302 to the MFA page, wrong code keeps it, right code leads to the Success page", async () => {
  await withSim({ account: { mfa: true } }, async (sim) => {
    const jar = new Jar();
    const signinUrl = `${sim.url}/sso/signin?id=gauth-widget&service=${
      encodeURIComponent("https://sso.garmin.com/sso/embed")
    }`;
    const page = await fetch(signinUrl);
    jar.take(page);
    const csrf = /name="_csrf"\s+value="(.+?)"/.exec(await page.text())![1];
    const post = await fetch(signinUrl, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: jar.header(), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        username: sim.account.email,
        password: sim.account.password,
        embed: "true",
        _csrf: csrf,
      }),
    });
    assertEquals(post.status, 302);
    const mfaUrl = post.headers.get("location")!;
    assertMatch(mfaUrl, /\/sso\/verifyMFA\/loginEnterMfaCode\?/);
    const mfaPage = await (await fetch(mfaUrl, { headers: { cookie: jar.header() } })).text();
    assertMatch(mfaPage, /<title>Enter MFA code for login<\/title>/);
    const mfaCsrf = /name="_csrf"\s+value="(.+?)"/.exec(mfaPage)![1];
    const submit = (code: string) =>
      fetch(mfaUrl, {
        method: "POST",
        redirect: "manual",
        headers: { cookie: jar.header(), "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ "mfa-code": code, embed: "true", _csrf: mfaCsrf, fromPage: "setupEnterMfaCode" }),
      });
    const wrong = await submit("999999");
    assertEquals(wrong.status, 200);
    assertMatch(await wrong.text(), /<title>Enter MFA code for login<\/title>/);
    const right = await submit(sim.account.mfaCode);
    assertEquals(right.status, 302);
    await right.body?.cancel();
    const success = await (await fetch(right.headers.get("location")!)).text();
    assertMatch(success, /<title>Success<\/title>/);
    assertMatch(success, /embed\?ticket=ST-[^"]+-cas"/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Activities and downloads

Deno.test("[sim] the activity list pages newest first with start/limit and realistic fields", async () => {
  await withSim({ activities: 30 }, async (sim) => {
    const token = await accessToken(sim);
    const page1 = await (await api(sim, token, "/activitylist-service/activities/search/activities?start=0&limit=20"))
      .json();
    const page2 = await (await api(sim, token, "/activitylist-service/activities/search/activities?start=20&limit=20"))
      .json();
    assertEquals(page1.length, 20);
    assertEquals(page2.length, 10);
    const all = [...page1, ...page2];
    assertEquals(new Set(all.map((a: { activityId: number }) => a.activityId)).size, 30);
    for (let i = 1; i < all.length; i++) {
      assert(all[i - 1].startTimeGMT > all[i].startTimeGMT, "newest first");
      assert(all[i - 1].activityId > all[i].activityId, "ids grow with time");
    }
    const a = all[0];
    assertMatch(a.startTimeLocal, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    assertMatch(a.startTimeGMT, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    assertEquals(typeof a.activityType.typeKey, "string");
    assertEquals(typeof a.activityType.typeId, "number");
    for (const k of ["activityName", "distance", "duration", "calories", "manualActivity"]) assert(k in a, k);
    assert(all.some((x: { manualActivity: boolean }) => x.manualActivity), "some manual entries exist");
    const empty = await (await api(sim, token, "/activitylist-service/activities/search/activities?start=30&limit=5"))
      .json();
    assertEquals(empty, []);
    const bad = await api(sim, token, "/activitylist-service/activities/search/activities?start=-1");
    assertEquals(bad.status, 400);
    await bad.body?.cancel();

    const added = sim.addActivities(2);
    const top = await (await api(sim, token, "/activitylist-service/activities/search/activities?start=0&limit=3"))
      .json();
    assertEquals(top.slice(0, 2).map((x: { activityId: number }) => x.activityId), added.map((x) => x.activityId));
    assert(top[1].startTimeGMT > top[2].startTimeGMT);
    const count = await (await api(sim, token, "/activitylist-service/activities/count")).json();
    assertEquals(count.totalCount, 32);
  });
});

Deno.test("[sim] activities are deterministic per seed", async () => {
  const now = () => new Date("2026-10-01T12:00:00Z");
  const a = await startSimulator({ seed: 7, now });
  const b = await startSimulator({ seed: 7, now });
  const c = await startSimulator({ seed: 8, now });
  try {
    assertEquals(a.activities.map((x) => x.summary), b.activities.map((x) => x.summary));
    assertNotEquals(a.activities[0].activityId, c.activities[0].activityId);
  } finally {
    await Promise.all([a.close(), b.close(), c.close()]);
  }
});

Deno.test("[sim] download is a ZIP holding {id}_ACTIVITY.fit that decodes with no integrity errors", async () => {
  await withSim({}, async (sim) => {
    const token = await accessToken(sim);
    const activity = sim.activities.find((a) => !a.manual)!;
    const res = await api(sim, token, `/download-service/files/activity/${activity.activityId}`);
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("content-type"), "application/x-zip-compressed");
    assertEquals(res.headers.get("content-disposition"), `attachment; filename="${activity.activityId}.zip"`);
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    assertEquals(Object.keys(files), [`${activity.activityId}_ACTIVITY.fit`]);
    const fit = files[`${activity.activityId}_ACTIVITY.fit`];
    const decoder = new Decoder(Stream.fromByteArray(fit));
    assert(decoder.isFIT());
    assert(decoder.checkIntegrity(), "header and CRC are valid");
    const { messages: m, errors } = decoder.read();
    const messages = m as Required<typeof m>;
    assertEquals(errors, []);
    assertEquals(messages.fileIdMesgs[0].type, "activity");
    assertEquals(messages.recordMesgs.length, 60);
    assertEquals(messages.sessionMesgs.length, 1);
    assertEquals(messages.activityMesgs.length, 1);
    const start = new Date(Number(activity.summary.beginTimestamp));
    assertEquals((messages.sessionMesgs[0].startTime as Date).getTime(), start.getTime());
    assertEquals((messages.recordMesgs[0].timestamp as Date).getTime(), start.getTime());
    assert(messages.recordMesgs.every((r) => typeof r.heartRate === "number" && r.heartRate > 60));
    const dist = Number(activity.summary.distance);
    assert(Math.abs(Number(messages.sessionMesgs[0].totalDistance) - dist) < 1, "session distance matches the list");

    const other = sim.activities.filter((a) => !a.manual)[1];
    const res2 = await api(sim, token, `/download-service/files/activity/${other.activityId}`);
    const fit2 = unzipSync(new Uint8Array(await res2.arrayBuffer()))[`${other.activityId}_ACTIVITY.fit`];
    assertNotEquals(fit2, fit, "each activity has its own file");
  });
});

Deno.test("[sim] manual activities and unknown ids answer 404 on download", async () => {
  await withSim({}, async (sim) => {
    const token = await accessToken(sim);
    const manual = sim.activities.find((a) => a.manual);
    assert(manual, "the default 25 activities include a manual entry");
    const res = await api(sim, token, `/download-service/files/activity/${manual.activityId}`);
    assertEquals(res.status, 404);
    await res.body?.cancel();
    const unknown = await api(sim, token, "/download-service/files/activity/123");
    assertEquals(unknown.status, 404);
    await unknown.body?.cancel();
    const detail = await api(sim, token, `/activity-service/activity/${manual.activityId}`);
    assertEquals(detail.status, 200);
    assertEquals((await detail.json()).metadataDTO.manualActivity, true);
  });
});

Deno.test("[sim] FIT generation is cheap: 500 downloads take well under two seconds", async () => {
  await withSim({ activities: 500 }, async (sim) => {
    const token = await accessToken(sim);
    const started = performance.now();
    const ids = sim.activities.filter((a) => !a.manual).map((a) => a.activityId);
    for (let i = 0; i < ids.length; i += 25) {
      await Promise.all(
        ids.slice(i, i + 25).map(async (id) => {
          const res = await api(sim, token, `/download-service/files/activity/${id}`);
          assertEquals(res.status, 200);
          await res.arrayBuffer();
        }),
      );
    }
    const elapsed = performance.now() - started;
    assert(elapsed < 2000, `500 downloads took ${elapsed.toFixed(0)} ms`);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Health and workouts

Deno.test("[sim] health endpoints answer plausible data, no-data days as the notes say", async () => {
  const now = () => new Date("2026-10-01T15:00:00Z");
  await withSim({ now, healthDays: 30 }, async (sim) => {
    const token = await accessToken(sim);
    const get = async (path: string) => {
      const res = await api(sim, token, path);
      assertEquals(res.status, 200, path);
      return await res.json();
    };
    const day = "2026-09-20";
    const summary = await get(`/usersummary-service/usersummary/daily/demo_athlete?calendarDate=${day}`);
    assert(summary.totalSteps >= 2000 && summary.totalSteps <= 20000);
    assert(summary.restingHeartRate >= 45 && summary.restingHeartRate <= 65);
    assertEquals(await get(`/usersummary-service/usersummary/daily/?calendarDate=${day}`), summary);
    const other = await api(sim, token, `/usersummary-service/usersummary/daily/someone_else?calendarDate=${day}`);
    assertEquals(other.status, 403);
    await other.body?.cancel();

    let nights = 0;
    for (let d = 2; d <= 30; d++) {
      const date = `2026-09-${String(d).padStart(2, "0")}`;
      const sleep = await get(`/wellness-service/wellness/dailySleepData/demo_athlete?date=${date}`);
      if (sleep.dailySleepDTO.id === null) continue;
      nights++;
      const s = sleep.dailySleepDTO;
      assert(s.sleepTimeSeconds >= 5 * 3600 && s.sleepTimeSeconds <= 9 * 3600);
      assertEquals(s.deepSleepSeconds + s.lightSleepSeconds + s.remSleepSeconds, s.sleepTimeSeconds);
    }
    assert(nights > 20);
    const noSleep = await get("/sleep-service/sleep/dailySleepData?date=2025-01-01");
    assertEquals(noSleep.dailySleepDTO.id, null);

    const hr = await get(`/wellness-service/wellness/dailyHeartRate/?date=${day}`);
    assertEquals(hr.heartRateValues.length, 720);
    const weight = await get("/weight-service/weight/dateRange?startDate=2026-09-02&endDate=2026-10-01");
    assert(weight.dateWeightList.length > 5 && weight.dateWeightList.length < 30, "some days without weight");
    for (const w of weight.dateWeightList) assert(w.weight > 65000 && w.weight < 75000, "grams around 70 kg");
    const noWeight = await get("/weight-service/weight/dateRange?startDate=2024-01-01&endDate=2024-01-02");
    assertEquals(noWeight.dateWeightList, []);
    const oldHrv = await api(sim, token, "/hrv-service/hrv/2024-01-01");
    assertEquals(oldHrv.status, 204);
    await oldHrv.body?.cancel();
    const stress = await get(`/wellness-service/wellness/dailyStress/${day}`);
    assert(stress.avgStressLevel > 0);
    const bb = await get(`/wellness-service/wellness/bodyBattery/reports/daily?startDate=${day}&endDate=${day}`);
    assertEquals(bb.length, 1);

    const today1 = await get("/usersummary-service/usersummary/daily/demo_athlete?calendarDate=2026-10-01");
    const today2 = await get("/usersummary-service/usersummary/daily/demo_athlete?calendarDate=2026-10-01");
    assertNotEquals(today1.totalSteps, today2.totalSteps, "today's numbers keep changing");
  });
});

Deno.test("[sim] workouts: list, detail with steps, touchWorkout bumps updatedDate and changes the detail", async () => {
  await withSim({ workouts: 5 }, async (sim) => {
    const token = await accessToken(sim);
    const list = await (await api(sim, token, "/workout-service/workouts?start=0&limit=100")).json();
    assertEquals(list.length, 5);
    const id = sim.workoutIds()[3];
    const before = await (await api(sim, token, `/workout-service/workout/${id}`)).json();
    assert(before.workoutSegments[0].workoutSteps.length >= 3);
    sim.touchWorkout(id);
    const after = await (await api(sim, token, `/workout-service/workout/${id}`)).json();
    assert(after.updatedDate > before.updatedDate);
    assertNotEquals(JSON.stringify(after.workoutSegments), JSON.stringify(before.workoutSegments));
    const list2 = await (await api(sim, token, "/workout-service/workouts?start=0&limit=100")).json();
    assertEquals(list2[0].workoutId, id, "the touched workout is now the most recently updated");
  });
});

Deno.test("[sim] unknown paths answer 404 and every request is recorded", async () => {
  await withSim({}, async (sim) => {
    const res = await fetch(`${sim.url}/no/such/path?x=1`);
    assertEquals(res.status, 404);
    await res.body?.cancel();
    const calls = sim.calls("/no/such");
    assertEquals(calls.length, 1);
    assertEquals(calls[0].path, "/no/such/path?x=1");
    assertEquals(calls[0].status, 404);
    assertEquals(calls[0].method, "GET");
    sim.resetCalls();
    assertEquals(sim.calls().length, 0);
  });
});

Deno.test("[sim] issuedSecrets lists every token, ticket and the password", async () => {
  await withSim({}, async (sim) => {
    const { json } = await mobileLogin(sim);
    const tokens = (await diExchange(sim, String(json.serviceTicketId), MOBILE_SERVICE)).json;
    const secrets = sim.issuedSecrets();
    for (const s of [json.serviceTicketId, tokens.access_token, tokens.refresh_token, sim.account.password]) {
      assert(secrets.includes(String(s)));
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Faults, observed at the wire

Deno.test("[sim] fault status, rate_limit (with and without Retry-After), cloudflare, times", async () => {
  await withSim({}, async (sim) => {
    sim.fault({ match: "/activitylist-service", kind: "status", status: 503, body: "busy", times: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${sim.url}/activitylist-service/activities/count`);
      assertEquals(res.status, 503);
      assertEquals(await res.text(), "busy");
    }
    const after = await fetch(`${sim.url}/activitylist-service/activities/count`);
    assertEquals(after.status, 401, "the fault is used up after `times`");
    await after.body?.cancel();

    sim.fault({ match: /\/api\/login/, kind: "rate_limit", retryAfter: 7 });
    sim.fault({ match: /\/api\/login/, kind: "rate_limit" });
    sim.fault({ match: /\/api\/login/, kind: "cloudflare" });
    const login = () => fetch(`${sim.url}/mobile/api/login?${loginQuery("mobile")}`, { method: "POST", body: "{}" });
    const limited = await login();
    assertEquals(limited.status, 429);
    assertEquals(limited.headers.get("retry-after"), "7");
    assertMatch(
      await limited.text(),
      /<title>Access denied \| sso\.garmin\.com used Cloudflare to restrict access<\/title>/,
    );
    const limited2 = await login();
    assertEquals(limited2.status, 429);
    assertEquals(limited2.headers.get("retry-after"), null);
    await limited2.body?.cancel();
    const blocked = await login();
    assertEquals(blocked.status, 403);
    assertMatch(blocked.headers.get("content-type") ?? "", /text\/html/);
    await blocked.body?.cancel();
    assertEquals(sim.counters().passwordLogins, 0, "blocked attempts never reach the account check");
  });
});

Deno.test("[sim] fault captcha, json_429 and html answer 200 bodies a client must classify", async () => {
  await withSim({}, async (sim) => {
    sim.fault({ match: "/mobile/api/login", kind: "captcha" });
    sim.fault({ match: "/mobile/api/login", kind: "json_429" });
    sim.fault({ match: "/mobile/api/login", kind: "html" });
    const captcha = await mobileLogin(sim);
    assertEquals(captcha.res.status, 200);
    assertEquals((captcha.json.responseStatus as { type: string }).type, "CAPTCHA_REQUIRED");
    const j429 = await mobileLogin(sim);
    assertEquals(j429.res.status, 200);
    assertEquals((j429.json.error as Record<string, string>)["status-code"], "429");
    await assertRejects(() => mobileLogin(sim), SyntaxError); // an HTML page where JSON was expected
    const ok = await mobileLogin(sim);
    assertEquals((ok.json.responseStatus as { type: string }).type, "SUCCESSFUL");
  });
});

Deno.test("[sim] fault drop closes the connection without a response", async () => {
  await withSim({}, async (sim) => {
    sim.fault({ match: "/activitylist-service", kind: "drop" });
    await assertRejects(() => fetch(`${sim.url}/activitylist-service/activities/count`), Error);
    assertEquals(sim.calls("/activitylist-service")[0].status, 0);
    const res = await fetch(`${sim.url}/activitylist-service/activities/count`);
    assertEquals(res.status, 401);
    await res.body?.cancel();
  });
});

Deno.test("[sim] fault truncate sends the full Content-Length but only part of the body", async () => {
  await withSim({}, async (sim) => {
    const token = await accessToken(sim);
    const id = sim.activities.find((a) => !a.manual)!.activityId;
    sim.fault({ match: `/download-service/files/activity/${id}`, kind: "truncate" });
    const res = await api(sim, token, `/download-service/files/activity/${id}`);
    assertEquals(res.status, 200);
    const promised = Number(res.headers.get("content-length"));
    assert(promised > 100);
    let got: number | null = null;
    try {
      got = (await res.arrayBuffer()).byteLength;
    } catch {
      got = null; // the body read failed: the cut was noticed
    }
    assert(got === null || got < promised, `body came back whole (${got} of ${promised})`);
    const whole = await api(sim, token, `/download-service/files/activity/${id}`);
    assertEquals((await whole.arrayBuffer()).byteLength, promised);
  });
});

Deno.test("[sim] fault slow and downloadDelayMs delay the answer", async () => {
  await withSim({ downloadDelayMs: 150 }, async (sim) => {
    const token = await accessToken(sim);
    sim.fault({ match: "/userprofile-service", kind: "slow", delayMs: 200 });
    let t = performance.now();
    const slow = await api(sim, token, "/userprofile-service/socialProfile");
    assertEquals(slow.status, 200);
    await slow.body?.cancel();
    assert(performance.now() - t >= 190);
    const id = sim.activities.find((a) => !a.manual)!.activityId;
    t = performance.now();
    const dl = await api(sim, token, `/download-service/files/activity/${id}`);
    await dl.arrayBuffer();
    assert(performance.now() - t >= 140);
  });
});

Deno.test("[sim] download faults: corrupt_zip, not_fit, bad_fit_crc", async () => {
  await withSim({}, async (sim) => {
    const token = await accessToken(sim);
    const id = sim.activities.find((a) => !a.manual)!.activityId;
    const path = `/download-service/files/activity/${id}`;
    const fetchZip = async () => new Uint8Array(await (await api(sim, token, path)).arrayBuffer());

    sim.fault({ match: path, kind: "corrupt_zip" });
    const corrupt = await fetchZip();
    let unzipped = true;
    try {
      unzipSync(corrupt);
    } catch {
      unzipped = false;
    }
    assertEquals(unzipped, false, "a corrupt ZIP does not unzip");

    sim.fault({ match: path, kind: "not_fit" });
    const notFit = unzipSync(await fetchZip())[`${id}_ACTIVITY.fit`];
    assertEquals(new Decoder(Stream.fromByteArray(notFit)).isFIT(), false);

    sim.fault({ match: path, kind: "bad_fit_crc" });
    const badCrc = unzipSync(await fetchZip())[`${id}_ACTIVITY.fit`];
    const decoder = new Decoder(Stream.fromByteArray(badCrc));
    assertEquals(decoder.isFIT(), true);
    assertEquals(decoder.checkIntegrity(), false);

    const good = unzipSync(await fetchZip())[`${id}_ACTIVITY.fit`];
    assertEquals(new Decoder(Stream.fromByteArray(good)).checkIntegrity(), true);
  });
});
