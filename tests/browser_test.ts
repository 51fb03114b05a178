/**
 * The dashboard in a real Chromium (playwright-core) against a real `Deno.serve` of `createApp`, wired to the
 * simulator with request delay 0: log in with MFA through the Login page, press "Sync now" and watch the bar
 * reach 100 % (updated in place by /static/app.js), filter the activities, download a FIT file, change the
 * schedule and the request delay, view the health charts; log rows fit the screen. A full-page screenshot of
 * every page at desktop and phone (375 px) width is kept in tests/output/ (git-ignored) for a person to look at.
 *
 * These tests never skip: without /usr/bin/chromium they fail saying how to install it.
 */
import { CHROMIUM_ARGS } from "../sync/garmin/browser_login.ts";
import { type Browser, chromium, type Page } from "playwright-core";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./fixtures/ui/assert.ts";
import { type UiFixture, uiFixture } from "./fixtures/ui/app.ts";

const CHROMIUM = "/usr/bin/chromium";
const OUTPUT = new URL("./output/", import.meta.url).pathname;
const PAGES: [string, string][] = [
  ["overview", "/"],
  ["activities", "/activities"],
  ["health", "/health"],
  ["logs", "/logs"],
  ["settings", "/settings"],
  ["login", "/login"],
];

async function launch(): Promise<Browser> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `${CHROMIUM} is missing: the browser tests need Debian's Chromium. Install it with ` +
        "`apt-get install -y chromium` (as root), then run the tests again.",
    );
  }
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", ...CHROMIUM_ARGS],
  });
}

/** The app on a real port, the simulator behind it, and a browser. */
async function setup(): Promise<{
  f: UiFixture;
  base: string;
  browser: Browser;
  close: () => Promise<void>;
}> {
  const f = await uiFixture({
    sim: { activities: 24, healthDays: 30, workouts: 3, account: { mfa: true }, downloadDelayMs: 40 },
    scheduler: true,
  });
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, f.app.fetch);
  let browser: Browser;
  try {
    browser = await launch();
  } catch (e) {
    await server.shutdown();
    await f.close();
    throw e;
  }
  return {
    f,
    base: `http://127.0.0.1:${server.addr.port}`,
    browser,
    close: async () => {
      await browser.close();
      await server.shutdown();
      await f.close();
    },
  };
}

/** Collects console errors, page errors and CSP violations: the pages should have none. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

/**
 * Every log row's message is on screen (not scrolled off to the right) and no row is a tall box with empty space
 * below what can be seen of it (the content of the cells on screen ends near the row's bottom).
 */
async function assertLogRowsFit(page: Page, path: string, width: number): Promise<void> {
  const rows = await page.evaluate((screen) =>
    [...document.querySelectorAll("table.logs tbody tr")].map((tr) => {
      const msg = tr.querySelector("td.msg")!.getBoundingClientRect();
      let contentBottom = -Infinity;
      for (const td of tr.querySelectorAll("td")) {
        const range = document.createRange();
        range.selectNodeContents(td);
        const box = range.getBoundingClientRect();
        if (box.height > 0 && box.left < screen) contentBottom = Math.max(contentBottom, box.bottom);
      }
      return {
        emptyBelow: tr.getBoundingClientRect().bottom - contentBottom,
        left: msg.left,
        right: msg.right,
        text: tr.querySelector("td.msg")!.textContent ?? "",
      };
    }), width);
  assert(rows.length > 0, `${path} shows no log rows`);
  for (const row of rows) {
    assert(row.text.trim().length > 0, `${path}: a log row without a message`);
    assert(
      row.left >= 0 && row.right <= width,
      `${path}: a log message at ${row.left}-${row.right}px, screen ${width}px`,
    );
    assert(row.emptyBelow <= 30, `${path}: ${Math.round(row.emptyBelow)}px of empty row at ${width}px`);
  }
}

async function shoot(browser: Browser, base: string, suffix: string, width: number): Promise<string[]> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  for (const [name, path] of PAGES) {
    await page.goto(base + path);
    await page.screenshot({ path: `${OUTPUT}${name}-${suffix}.png`, fullPage: true });
    // Nothing may stick out sideways at this width: wide tables scroll inside their own box.
    const overflow = await page.evaluate(() =>
      document.documentElement.scrollWidth - document.documentElement.clientWidth
    );
    assert(overflow <= 0, `${path} is ${overflow}px wider than a ${width}px screen`);
    if (path === "/" || path === "/logs") await assertLogRowsFit(page, path, width);
  }
  await context.close();
  return errors;
}

Deno.test({
  name: "[browser] MFA login, Sync now to 100 %, filter, FIT download, schedule change, health charts, screenshots",
  // playwright keeps its CDP pipe and child process in ways Deno's op sanitizer cannot follow; the browser and
  // server are closed in `finally`.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await Deno.mkdir(OUTPUT, { recursive: true });
    const { f, base, browser, close } = await setup();
    const sim = f.sim!;
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      const errors = watchErrors(page);

      await t.step("the overview loads, not logged in yet", async () => {
        const res = await page.goto(base + "/");
        assertEquals(res?.status(), 200);
        assertEquals(await page.title(), "Overview · GarminSync");
        assertStringIncludes(await page.locator(".flash-warn").innerText(), "Not logged in to Garmin Connect");
        assertEquals(await page.locator("#sync-progress").getAttribute("value"), "0");
      });

      await t.step("log in with MFA through the Login page", async () => {
        await page.goto(base + "/login");
        await page.getByLabel("Email", { exact: true }).fill(sim.account.email);
        await page.getByLabel("Password", { exact: true }).fill(sim.account.password);
        await page.getByRole("button", { name: "Log in", exact: true }).click();
        await page.waitForURL(/\/login\?step=mfa$/);
        assertStringIncludes(await page.locator(".flash").innerText(), "one-time code");
        await page.getByLabel("Code", { exact: true }).fill(sim.account.mfaCode);
        await page.getByRole("button", { name: "Verify" }).click();
        await page.waitForURL(base + "/");
        assertStringIncludes(await page.locator(".flash").innerText(), "Logged in to Garmin Connect");
        assertEquals(await page.locator(".flash-warn").count(), 0);
      });

      await t.step("Sync now: the bar moves in place and reaches 100 %, then the totals refresh", async () => {
        await page.getByRole("button", { name: "Sync now" }).click();
        await page.waitForURL(base + "/");
        assertStringIncludes(await page.locator(".flash").innerText(), "Started a full sync.");
        // A marker on window survives only if the page is updated in place (no reload).
        await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
        const seen = new Set<string>();
        const deadline = Date.now() + 30_000;
        let shotMidway = false;
        while (Date.now() < deadline) {
          const value = await page.locator("#sync-progress").getAttribute("value") ?? "";
          seen.add(value);
          if (!shotMidway && Number(value) > 0 && Number(value) < 100) {
            await page.screenshot({ path: `${OUTPUT}overview-syncing-desktop.png` });
            shotMidway = true;
          }
          if (value === "100") break;
          await page.waitForTimeout(100);
        }
        assertEquals(await page.locator("#sync-progress").getAttribute("value"), "100", "the bar did not reach 100 %");
        assert(seen.size >= 2, `the bar never moved: ${[...seen]}`);
        assertEquals(await page.evaluate(() => (window as unknown as { marker: number }).marker), 42);
        assertMatch(await page.locator("#sync-line").innerText(), /^Completed: Full sync 100%$/);
        // The totals are swapped in once the job ends (no reload): 24 activities listed, most downloaded.
        await page.waitForFunction(() => document.querySelector("#stats dd a")?.textContent === "24", null, {
          timeout: 10_000,
        });
        const downloaded = Number(await page.locator("#stats dl:nth-child(2) dd").innerText());
        assert(downloaded > 0 && downloaded <= 24, `downloaded ${downloaded}`);
        assertEquals(f.deps.jobs.status().status, "completed");
        await page.waitForFunction(() =>
          /success|partial/.test(document.querySelector("#recent-logs")?.textContent ?? "")
        );
      });

      await t.step("filter the activities table with the GET form", async () => {
        await page.goto(base + "/activities");
        const all = await page.locator("#activities tbody tr").count();
        assertEquals(all, 24);
        await page.getByLabel("Show", { exact: true }).selectOption("no_file");
        await page.getByRole("button", { name: "Apply" }).click();
        await page.waitForURL(/filter=no_file/);
        const badges = await page.locator("#activities tbody .badge").allInnerTexts();
        assert(badges.length >= 1, "the simulator makes one in 20 activities a manual entry");
        for (const b of badges) assertEquals(b, "no file");
        await page.getByLabel("Show", { exact: true }).selectOption("downloaded");
        await page.getByRole("button", { name: "Apply" }).click();
        await page.waitForURL(/filter=downloaded/);
        const rows = await page.locator("#activities tbody tr").count();
        assertEquals(rows + badges.length, 24);
        // Sorting by a header keeps the filter.
        await page.getByRole("link", { name: "Distance" }).click();
        await page.waitForURL(/filter=downloaded.*sort=distance/);
        assertEquals(await page.locator('th[aria-sort="descending"]').innerText(), "Distance ▼");
      });

      await t.step("download a FIT file from its link", async () => {
        const [download] = await Promise.all([
          page.waitForEvent("download"),
          page.locator('#activities a[href$="/fit"]').first().click(),
        ]);
        const path = await download.path();
        const bytes = await Deno.readFile(path);
        assert(bytes.length > 14, `FIT file of ${bytes.length} bytes`);
        assert(bytes[0] === 12 || bytes[0] === 14, `FIT header size ${bytes[0]}`);
        assertEquals(new TextDecoder().decode(bytes.subarray(8, 12)), ".FIT");
        assertMatch(download.suggestedFilename(), /\.fit$/);
      });

      await t.step("change the schedule on Settings and see it saved and applied", async () => {
        await page.goto(base + "/settings");
        await page.getByLabel("Cron expression").fill("15 4 * * 1-5");
        await page.getByRole("button", { name: "Preview" }).click();
        await page.waitForURL(/cron_schedule=/);
        assertStringIncludes(
          await page.locator("#s-cron-words").innerText(),
          "Would run every weekday (Mon–Fri) at 04:15",
        );
        await page.getByRole("button", { name: "Save schedule" }).click();
        await page.waitForURL(base + "/settings");
        assertStringIncludes(await page.locator(".flash").innerText(), "Schedule saved: 15 4 * * 1-5");
        assertEquals(await page.getByLabel("Cron expression").inputValue(), "15 4 * * 1-5");
        assertEquals(await page.locator("ol.runs li").count(), 5);
        const info = await f.deps.scheduler!.info();
        assertEquals(info.cron_schedule, "15 4 * * 1-5");
        assertMatch(info.next_run ?? "", /T04:15:00/);
        await page.getByLabel("Request delay (ms)").fill("250");
        await page.getByRole("button", { name: "Save delay" }).click();
        await page.waitForURL(base + "/settings");
        assertStringIncludes(await page.locator(".flash").innerText(), "Request delay saved: 250 ms");
        assertEquals(await page.getByLabel("Request delay (ms)").inputValue(), "250");
        assertEquals(f.deps.settings.requestDelayMs(), 250);
        // Back to 0 so the rest of the test does not wait between requests.
        await page.getByLabel("Request delay (ms)").fill("0");
        await page.getByRole("button", { name: "Save delay" }).click();
        await page.waitForURL(base + "/settings");
        assertEquals(f.deps.settings.requestDelayMs(), 0);
      });

      await t.step("view the health charts and the calendar", async () => {
        await page.goto(base + "/health");
        assertEquals(await page.locator('svg[role="img"]').count(), 4);
        for (const id of ["chart-steps", "chart-sleep", "chart-rhr", "chart-weight"]) {
          const box = await page.locator(`#${id}`).boundingBox();
          assert(box && box.width > 300 && box.height > 100, `${id} is drawn (${JSON.stringify(box)})`);
        }
        assert(await page.locator("#chart-steps path.s-steps").count() === 1, "steps bars drawn");
        assertMatch(await page.locator(".coverage").innerText(), /Summary: \d+ of 30 days/);
        await page.getByText("The charts' numbers as a table").click();
        assertEquals(await page.locator("table.data tbody tr").count(), 30);
        assert(await page.locator("table.data").isVisible());
        await page.getByRole("link", { name: "Last 7 days" }).click();
        await page.waitForURL(/days=7/);
      });

      await t.step("logs and no script or CSP errors anywhere", async () => {
        await page.goto(base + "/logs");
        assert(await page.locator("table tbody tr").count() >= 1);
        assertEquals(errors, []);
      });
      await context.close();

      await t.step("screenshots of every page at desktop and phone width, nothing wider than the screen", async () => {
        assertEquals(await shoot(browser, base, "desktop", 1280), []);
        assertEquals(await shoot(browser, base, "phone", 375), []);
        for (const [name] of PAGES) {
          for (const suffix of ["desktop", "phone"]) {
            const st = await Deno.stat(`${OUTPUT}${name}-${suffix}.png`);
            assert(st.size > 5000, `${name}-${suffix}.png is ${st.size} bytes`);
          }
        }
      });
    } finally {
      await close();
    }
  },
});

Deno.test({
  name:
    "[browser] behind an API token: the token form once, then Sign out in the header (phone width) ends the session",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await Deno.mkdir(OUTPUT, { recursive: true });
    const token = "browser-token-5678";
    const f = await uiFixture({ env: { GARMINSYNC_API_TOKEN: token } });
    const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, f.app.fetch);
    const base = `http://127.0.0.1:${server.addr.port}`;
    let browser: Browser | undefined;
    try {
      browser = await launch();
      const context = await browser.newContext({ viewport: { width: 375, height: 800 } });
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      const errors = watchErrors(page);
      await page.goto(base + "/logs");
      await page.waitForURL(/\/session\?next=%2Flogs$/);
      await page.getByLabel("Access token").fill(token);
      await page.getByRole("button", { name: "Continue" }).click();
      await page.waitForURL(base + "/logs");
      const signOut = page.getByRole("button", { name: "Sign out" });
      assert(await signOut.isVisible(), "Sign out is visible");
      const box = (await signOut.boundingBox())!;
      const header = (await page.locator("header.top").boundingBox())!;
      assert(box.x >= 0 && box.x + box.width <= 375, `Sign out at ${box.x}+${box.width}px on a 375px screen`);
      assert(box.y >= header.y && box.y + box.height <= header.y + header.height, "Sign out sits in the header");
      // On a phone it shares the brand's row instead of taking a row of its own below the nav.
      const brand = (await page.locator(".brand").boundingBox())!;
      assert(box.y < brand.y + brand.height && brand.y < box.y + box.height, "Sign out is beside the brand");
      await page.goto(base + "/");
      await page.screenshot({ path: `${OUTPUT}overview-token-phone.png`, fullPage: true });
      await signOut.click();
      await page.waitForURL(/\/session$/);
      assertEquals((await context.cookies()).filter((c) => c.name === "gs_session").length, 0);
      // The session is gone: the pages ask for the token again.
      await page.goto(base + "/");
      await page.waitForURL(/\/session\?next=%2F$/);
      assertEquals(errors, []);
      await context.close();
    } finally {
      await browser?.close();
      await server.shutdown();
      await f.close();
    }
  },
});
