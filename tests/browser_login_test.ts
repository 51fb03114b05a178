/**
 * `login --browser` end to end: headless Chromium (playwright-core) on the simulator's mobile sign-in page, a
 * scripted "person" typing email, password and the MFA code, the ticket captured from the sign-in's JSON answer
 * (the redirect to the app's service URL is aborted), exchanged, and the session stored.
 */
import { readAuthRow } from "../db/auth.ts";
import { InvalidInput, NotAuthenticated } from "../lib/errors.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./fixtures/auth/asserts.ts";
import { makeWorld } from "./fixtures/auth/setup.ts";

const CHROMIUM = Deno.env.get("GARMINSYNC_BROWSER") ?? "/usr/bin/chromium";

interface Page {
  fill(selector: string, value: string): Promise<void>;
  click(selector: string): Promise<void>;
  waitForSelector(selector: string, o?: { state?: string; timeout?: number }): Promise<unknown>;
  textContent(selector: string): Promise<string | null>;
}

// Playwright's driver keeps handles across the test boundary while the browser shuts down.
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "[browser] headless Chromium signs in on the simulator's page with MFA; the ticket is captured and exchanged",
  ...opts,
  fn: async () => {
    const w = await makeWorld({ sim: { account: { mfa: true } } });
    try {
      const seen: string[] = [];
      const r = await w.garmin.auth.loginWithBrowser({
        executablePath: CHROMIUM,
        headless: true,
        timeoutMs: 30_000,
        notify: (m) => seen.push(m),
        onPage: async (p) => {
          const page = p as Page;
          await page.fill("#email", w.sim.account.email);
          await page.fill("#password", w.sim.account.password);
          await page.click("#login-btn-signin");
          await page.waitForSelector("#mfa-form", { state: "visible", timeout: 10_000 });
          // A typo first: the page says so and stays on the code form.
          await page.fill("#mfa-code", "000000");
          await page.click("#mfa-btn-submit");
          await page.waitForSelector("#error:has-text('Invalid code')", { timeout: 10_000 });
          await page.fill("#mfa-code", w.sim.account.mfaCode);
          await page.click("#mfa-btn-submit");
        },
      });
      assertEquals(r, { status: "authenticated", displayName: "demo_athlete" });
      assert(seen.length > 0);
      const row = await readAuthRow(w.db);
      assertEquals([row?.method, row?.state], ["browser", "active"]);
      assertEquals(w.sim.counters().mfaVerifications, 1);
      assertEquals(w.sim.counters().diExchanges, 1);
      // The sign-in page of the Android app was used, and its service URL for the exchange.
      const signIn = w.sim.calls("/mobile/sso/en_US/sign-in")[0].path;
      assert(signIn.includes("clientId=GCM_ANDROID_DARK"));
      assertEquals((await w.garmin.api.listActivities(0, 2)).length, 2);
      w.assertNoSecret(w.lines.join("\n"), "the log");
    } finally {
      await w.close();
    }
  },
});

Deno.test({
  name: "[browser] a sign-in that never finishes times out with a clear message; a missing browser is named",
  ...opts,
  fn: async () => {
    const w = await makeWorld();
    try {
      await assertRejects(
        w.garmin.auth.loginWithBrowser({ executablePath: CHROMIUM, headless: true, timeoutMs: 1500 }),
        NotAuthenticated,
        "did not finish",
      );
      assertEquals(await readAuthRow(w.db), null);
      await assertRejects(
        w.garmin.auth.loginWithBrowser({ executablePath: `${w.dir}/no-such-browser`, headless: true }),
        InvalidInput,
        "no browser at",
      );
      // GARMINSYNC_BROWSER (the configuration) picks the browser when --browser-path does not.
      const configured = `${w.dir}/configured-browser`;
      const fromConfig = await w.another({ env: { GARMINSYNC_BROWSER: configured } });
      const e = await assertRejects(
        fromConfig.auth.loginWithBrowser({ headless: true, timeoutMs: 1500 }),
        InvalidInput,
        "no browser at",
      );
      assertStringIncludes(e.message, configured);
    } finally {
      await w.close();
    }
  },
});
