/**
 * The page frame every dashboard view renders inside: a skip link, a header with the nav (the current page
 * marked `aria-current="page"`) and, behind an API token, a "Sign out" button; the flash region
 * (`aria-live="polite"`), the main landmark and a footer.
 */
import { html } from "htm/preact";
import { type ComponentChildren, createContext, type VNode } from "preact";
import { useContext } from "preact/hooks";
import { render } from "preact-render-to-string";

/** Which nav entry is the current page. */
export type NavKey = "overview" | "activities" | "health" | "logs" | "settings" | "login";

/** A one-shot message shown after a form post (PRG). */
export interface Flash {
  kind: "ok" | "error" | "info" | "warn";
  text: string;
}

const NAV: { key: NavKey; href: string; label: string }[] = [
  { key: "overview", href: "/", label: "Overview" },
  { key: "activities", href: "/activities", label: "Activities" },
  { key: "health", href: "/health", label: "Health" },
  { key: "logs", href: "/logs", label: "Logs" },
  { key: "settings", href: "/settings", label: "Settings" },
  { key: "login", href: "/login", label: "Login" },
];

/** What the frame shows around every page, the same for all of them (set once per render). */
export interface PageChrome {
  /** The dashboard sits behind GARMINSYNC_API_TOKEN: offer "Sign out" (forgets the session cookie). */
  signOut: boolean;
}

// Passed down by renderDocument, so each page's props need not carry it.
const ChromeContext = createContext<PageChrome>({ signOut: false });

/** The page frame. */
export function Layout(
  props: { title: string; current?: NavKey; flash?: Flash | null; children?: ComponentChildren },
) {
  const flash = props.flash;
  const chrome = useContext(ChromeContext);
  return html`
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <title>${props.title} · GarminSync</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/static/app.css" />
        <script src="/static/app.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#content">Skip to content</a>
        <header class="top">
          <div class="bar">
            <a class="brand" href="/">GarminSync</a>
            <nav class="main" aria-label="Main">
              <ul>
                  ${NAV.map((n) =>
                    html`<li><a href=${n.href} aria-current=${
                      n.key === props.current ? "page" : undefined
                    }>${n.label}</a></li>`
                  )}
                </ul>
            </nav>
            ${chrome.signOut
              ? html`
                <form method="post" action="/session/end" class="signout">
                  <button type="submit" class="small">Sign out</button>
                </form>
              `
              : null}
          </div>
        </header>
        <main id="content" tabindex="-1">
            <h1>${props.title}</h1>
            <div class="flash-region" role="status" aria-live="polite">${flash
              ? html`<p class=${`flash flash-${flash.kind}`}>${flash.text}</p>`
              : null}</div>
            ${props.children}
          </main>
        <footer class="bottom">
          <span>GarminSync</span>
          <span>Times in UTC unless marked local</span>
          <a href="/openapi.json">API description</a>
        </footer>
      </body>
    </html>
  `;
}

/** Renders a view to a complete HTML document string, with `chrome` for the frame. */
export function renderDocument(node: VNode | VNode[] | unknown, chrome: PageChrome = { signOut: false }): string {
  return "<!doctype html>" + render(html`<${ChromeContext.Provider} value=${chrome}>${node}<//>` as VNode);
}

/** A state badge ("downloaded", "failed", ...), styled by value. */
export function Badge(props: { value: string; label?: string }) {
  return html`<span class=${`badge b-${props.value}`}>${props.label ?? props.value.replace(/_/g, " ")}</span>`;
}

/** A `<time>` element with a machine-readable value. */
export function Time(props: { iso: string | null | undefined; text: string }) {
  return props.iso ? html`<time datetime=${props.iso}>${props.text}</time>` : html`<span>${props.text}</span>`;
}

/** Previous/next paging for a list, keeping the other query parameters. */
export function Pager(
  props: { page: number; perPage: number; total: number; href: (page: number) => string; noun: string },
) {
  const pages = Math.max(1, Math.ceil(props.total / props.perPage));
  const page = Math.min(props.page, pages);
  const first = props.total === 0 ? 0 : (page - 1) * props.perPage + 1;
  const last = Math.min(props.total, page * props.perPage);
  const link = (p: number, label: string, rel?: string) =>
    p >= 1 && p <= pages && p !== page
      ? html`<a href=${props.href(p)} rel=${rel}>${label}</a>`
      : html`<span class="off" aria-disabled="true">${label}</span>`;
  return html`
    <nav class="pager" aria-label=${`${props.noun} pages`}>
      <span class="muted small">${first.toLocaleString("en-US")}–${last.toLocaleString("en-US")} of ${props.total
        .toLocaleString("en-US")} ${props.noun} · page ${page} of ${pages}</span>
      ${pages > 1
        ? html`<span class="links">
          ${link(1, "« First")} ${link(page - 1, "‹ Previous", "prev")} ${link(page + 1, "Next ›", "next")} ${
          link(
            pages,
            "Last »",
          )
        }
        </span>`
        : null}
    </nav>
  `;
}
