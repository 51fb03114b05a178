/**
 * `login --browser`: opens Garmin's mobile sign-in page in a local Chromium/Chrome (playwright-core), lets a
 * person sign in there (MFA included: the real browser is what Cloudflare lets through), and captures the
 * service ticket from the sign-in's JSON answer or from the final redirect to `service?ticket=` (aborted, so
 * nothing leaves for the app's service URL). The caller exchanges the ticket.
 */
import { GarminUnavailable, InvalidInput, NotAuthenticated } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import { ANDROID_SERVICE_URL, ANDROID_WEBVIEW_UA } from "./constants.ts";

/** Flags that keep Chromium quiet (no background traffic) and runnable as root in containers. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** What the browser sign-in captured. */
export interface CapturedTicket {
  ticket: string;
  serviceUrl: string;
}

/** Options of one capture. */
export interface CaptureOptions {
  signInUrl: string;
  executablePath: string;
  headless: boolean;
  timeoutMs: number;
  log: Logger;
  onPage?: (page: unknown) => Promise<void>;
  notify?: (message: string) => void;
}

/** Minimal shapes of the playwright-core objects used (its types are not needed at run time). */
interface PwResponse {
  url(): string;
  json(): Promise<unknown>;
}
interface PwRoute {
  request(): { url(): string };
  abort(): Promise<void>;
}
interface PwPage {
  on(event: "response", fn: (r: PwResponse) => void): void;
  on(event: "close", fn: () => void): void;
  goto(url: string): Promise<unknown>;
}
interface PwContext {
  route(match: (url: URL) => boolean, handler: (route: PwRoute) => void): Promise<void>;
  newPage(): Promise<PwPage>;
}
interface PwBrowser {
  newContext(o: Record<string, unknown>): Promise<PwContext>;
  on(event: "disconnected", fn: () => void): void;
  close(): Promise<void>;
}

function ticketFromJson(body: unknown): CapturedTicket | null {
  if (!body || typeof body !== "object") return null;
  const b = body as Record<string, unknown>;
  const status = b.responseStatus as Record<string, unknown> | undefined;
  if (status?.type !== "SUCCESSFUL" || typeof b.serviceTicketId !== "string" || !b.serviceTicketId.startsWith("ST-")) {
    return null;
  }
  return {
    ticket: b.serviceTicketId,
    serviceUrl: typeof b.serviceURL === "string" && b.serviceURL ? b.serviceURL : ANDROID_SERVICE_URL,
  };
}

/** Runs the browser until a ticket is captured, the window is closed, or the time runs out. */
export async function captureTicketInBrowser(o: CaptureOptions): Promise<CapturedTicket> {
  try {
    const st = await Deno.stat(o.executablePath);
    if (!st.isFile) throw new Error("not a file");
  } catch {
    throw new InvalidInput(
      `no browser at ${o.executablePath}: install Chromium or Chrome and point GARMINSYNC_BROWSER (or --browser-path) at it`,
    );
  }
  const { chromium } = await import("playwright-core");
  let browser: PwBrowser;
  try {
    browser = await chromium.launch({
      executablePath: o.executablePath,
      headless: o.headless,
      args: CHROMIUM_ARGS,
    }) as unknown as PwBrowser;
  } catch (e) {
    throw new GarminUnavailable(
      `could not start the browser at ${o.executablePath}: ${(e as Error).message.split("\n")[0]}`,
    );
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const context = await browser.newContext({
      userAgent: ANDROID_WEBVIEW_UA,
      viewport: { width: 412, height: 915 },
      isMobile: true,
      hasTouch: true,
      locale: "en-US",
    });
    const captured = new Promise<CapturedTicket>((resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new NotAuthenticated(
              `the browser sign-in did not finish within ${Math.round(o.timeoutMs / 1000)} s: try again`,
            ),
          ),
        o.timeoutMs,
      );
      browser.on(
        "disconnected",
        () => reject(new NotAuthenticated("the browser was closed before the sign-in finished")),
      );
      // The final redirect goes to the app's service URL with the ticket: take it and never send it there.
      context.route(
        (url) => /^ST-/.test(url.searchParams.get("ticket") ?? ""),
        (route) => {
          const url = new URL(route.request().url());
          const ticket = url.searchParams.get("ticket")!;
          o.log.addSecret(ticket);
          resolve({ ticket, serviceUrl: `${url.origin}${url.pathname}` });
          route.abort().catch(() => {});
        },
      ).then(async () => {
        const page = await context.newPage();
        page.on("response", (r) => {
          if (!/\/(mobile|portal)\/api\/(login|mfa\/verifyCode)/.test(r.url())) return;
          r.json().then((body) => {
            const t = ticketFromJson(body);
            if (t) {
              o.log.addSecret(t.ticket);
              resolve(t);
            }
          }).catch(() => {});
        });
        page.on(
          "close",
          () => reject(new NotAuthenticated("the sign-in window was closed before the sign-in finished")),
        );
        await page.goto(o.signInUrl);
        o.notify?.(
          o.headless
            ? "signing in in a headless browser"
            : "a browser window is open on Garmin's sign-in page: sign in there (MFA included)",
        );
        if (o.onPage) await o.onPage(page);
      }).catch(reject);
    });
    const result = await captured;
    o.log.info("captured the service ticket from the browser sign-in");
    return result;
  } finally {
    clearTimeout(timer);
    await browser.close().catch(() => {});
  }
}
