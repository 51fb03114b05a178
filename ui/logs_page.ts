/**
 * Logs `/logs`: the sync log, filtered by status and operation, paged, and a "Clear logs" form that needs a
 * ticked confirmation box (works without JavaScript; the server checks it too).
 */
import { html } from "htm/preact";
import { type Flash, Layout, Pager } from "./layout.ts";
import { LogTable, type LogView } from "./overview_page.ts";
import { fmtInt } from "./format.ts";

/** Log statuses offered in the filter. */
export const LOG_STATUSES = ["running", "success", "error", "partial", "interrupted", "skipped"] as const;
/** Operations offered in the filter (others still work through the query string). */
export const LOG_OPERATIONS = ["full", "activities", "health", "workouts", "download", "schedule"];

/** The page's query. */
export interface LogQuery {
  status?: string;
  operation?: string;
  page: number;
}

/** Everything the logs page shows. */
export interface LogsProps {
  flash: Flash | null;
  rows: LogView[];
  total: number;
  /** All rows, unfiltered (what "Clear logs" deletes). */
  allTotal: number;
  perPage: number;
  query: LogQuery;
}

/** Builds the page's URL for a query. */
export function logsHref(q: LogQuery, change: Partial<LogQuery> = {}): string {
  const n = { ...q, ...change };
  const sp = new URLSearchParams();
  if (n.status) sp.set("status", n.status);
  if (n.operation) sp.set("operation", n.operation);
  if (n.page > 1) sp.set("page", String(n.page));
  const s = sp.toString();
  return s ? `/logs?${s}` : "/logs";
}

/** The logs page. */
export function LogsPage(p: LogsProps) {
  const q = p.query;
  const operations = q.operation && !LOG_OPERATIONS.includes(q.operation)
    ? [...LOG_OPERATIONS, q.operation]
    : LOG_OPERATIONS;
  return html`<${Layout} title="Sync log" current="logs" flash=${p.flash}>
    <section class="card" aria-labelledby="lf-h">
      <h2 id="lf-h" class="vh">Filter</h2>
      <form method="get" action="/logs" class="filters">
        <div class="field">
          <label for="l-status">Status</label>
          <select id="l-status" name="status">
            <option value="">Any status</option>
            ${LOG_STATUSES.map((s) => html`<option value=${s} selected=${q.status === s}>${s}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="l-op">Operation</label>
          <select id="l-op" name="operation">
            <option value="">Any operation</option>
            ${operations.map((o) => html`<option value=${o} selected=${q.operation === o}>${o}</option>`)}
          </select>
        </div>
        <div class="field">
          <span class="label" aria-hidden="true"> </span>
          <div class="actions">
            <button type="submit">Apply</button>
            ${q.status || q.operation ? html`<a class="btn btn-secondary" href="/logs">Reset</a>` : null}
          </div>
        </div>
      </form>
    </section>
    <${Pager} page=${q.page} perPage=${p.perPage} total=${p.total} noun="log rows" href=${(n: number) =>
    logsHref(q, { page: n })} />
    ${
    p.rows.length
      ? html`
        <div class="table-wrap">
          <${LogTable} logs=${p.rows} />
        </div>
      `
      : html`<p class="card empty">${
        q.status || q.operation ? "No log rows match these filters." : "The sync log is empty."
      }</p>`
  }
    <${Pager} page=${q.page} perPage=${p.perPage} total=${p.total} noun="log rows" href=${(n: number) =>
    logsHref(q, { page: n })} />
    <section class="card" aria-labelledby="clear-h">
      <h2 id="clear-h">Clear the log</h2>
      ${
    p.allTotal
      ? html`
        <form method="post" action="/logs/clear">
          <p class="check">
            <input type="checkbox" id="confirm-clear" name="confirm" value="yes" required />
            <label for="confirm-clear">Yes, delete ${p.allTotal === 1
              ? "the 1 log row"
              : `all ${fmtInt(p.allTotal)} log rows`} (activities and health data are kept)</label>
          </p>
          <p class="actions"><button type="submit" class="danger">Clear logs</button></p>
        </form>
      `
      : html`<p class="muted">Nothing to clear.</p>`
  }
    </section>
  <//>`;
}
