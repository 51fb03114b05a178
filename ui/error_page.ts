/**
 * The dashboard's error page, used by the app's onError for HTML requests.
 */
import { html } from "htm/preact";
import { Layout, renderDocument } from "./layout.ts";

const TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Not signed in",
  403: "Forbidden",
  404: "Not found",
  409: "Conflict",
  413: "Too large",
  422: "Invalid input",
  429: "Too many requests",
  500: "Something went wrong",
  502: "Bad answer from Garmin",
  503: "Unavailable",
};

/** Renders a whole HTML error page for the dashboard (the message is escaped). */
export function renderErrorPage(status: number, message: string): string {
  const title = `${TITLES[status] ?? "Error"} (${status})`;
  return renderDocument(html`
    <${Layout} title=${title}>
      <section class="card">
        <p>${message}</p>
        <p class="actions">
            <a class="btn" href="/">Back to the overview</a>
            ${status === 401 || status === 403
              ? html`<a class="btn btn-secondary" href="/login">Garmin login</a>`
              : null}
          </p>
      </section>
      <//>
  `);
}
