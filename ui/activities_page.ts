/**
 * Activities `/activities`: one page (50 rows) of the stored activities with a GET filter form (state, type,
 * date range), sortable column headers, FIT download links and a per-activity retry for missing/failed ones.
 */
import { html } from "htm/preact";
import { Badge, type Flash, Layout, Pager } from "./layout.ts";
import { fmtBytes, fmtDistance, fmtDuration, fmtLocal, typeLabel } from "./format.ts";

/** An activities row as the page uses it. */
export interface ActivityView {
  activity_id: number;
  name: string | null;
  activity_type: string | null;
  start_time_local: string;
  duration_s: number | null;
  distance_m: number | null;
  state: string;
  file_size: number | null;
  attempts: number;
  last_error: string | null;
}

/** The page's query: filters, sort and page. */
export interface ActivityQuery {
  filter: "all" | "missing" | "downloaded" | "no_file" | "failed";
  type?: string;
  from?: string;
  to?: string;
  sort: "start_time" | "name" | "type" | "distance" | "duration";
  order: "asc" | "desc";
  page: number;
}

/** Everything the activities page shows. */
export interface ActivitiesProps {
  flash: Flash | null;
  rows: ActivityView[];
  total: number;
  perPage: number;
  query: ActivityQuery;
  types: string[];
}

/** Builds the page's URL for a query (defaults left out, so links stay short). */
export function activitiesHref(q: ActivityQuery, change: Partial<ActivityQuery> = {}): string {
  const n = { ...q, ...change };
  const sp = new URLSearchParams();
  if (n.filter !== "all") sp.set("filter", n.filter);
  if (n.type) sp.set("type", n.type);
  if (n.from) sp.set("from", n.from);
  if (n.to) sp.set("to", n.to);
  if (n.sort !== "start_time") sp.set("sort", n.sort);
  if (n.order !== "desc") sp.set("order", n.order);
  if (n.page > 1) sp.set("page", String(n.page));
  const s = sp.toString();
  return s ? `/activities?${s}` : "/activities";
}

const COLUMNS: { key: ActivityQuery["sort"]; label: string; num?: boolean }[] = [
  { key: "start_time", label: "Start (local time)" },
  { key: "name", label: "Name" },
  { key: "type", label: "Type" },
  { key: "distance", label: "Distance", num: true },
  { key: "duration", label: "Duration", num: true },
];

/** The activities page. */
export function ActivitiesPage(p: ActivitiesProps) {
  const q = p.query;
  const back = activitiesHref(q);
  const filtered = q.filter !== "all" || q.type || q.from || q.to;
  return html`
    <${Layout} title="Activities" current="activities" flash=${p.flash}>
      <section class="card" aria-labelledby="filter-h">
        <h2 id="filter-h" class="vh">Filter</h2>
        <form method="get" action="/activities" class="filters">
            <div class="field">
              <label for="f-filter">Show</label>
              <select id="f-filter" name="filter">
                ${[
                  ["all", "All"],
                  ["missing", "Missing"],
                  ["downloaded", "Downloaded"],
                  ["no_file", "No file"],
                  ["failed", "Failed"],
                ].map(([v, label]) => html`<option value=${v} selected=${q.filter === v}>${label}</option>`)}
              </select>
            </div>
            <div class="field">
              <label for="f-type">Type</label>
              <select id="f-type" name="type">
                <option value="">All types</option>
                ${p.types.map((t) => html`<option value=${t} selected=${q.type === t}>${typeLabel(t)}</option>`)}
              </select>
            </div>
            <div class="field">
              <label for="f-from">From (local date)</label>
              <input id="f-from" type="date" name="from" value=${q.from ?? ""} />
            </div>
            <div class="field">
              <label for="f-to">To (local date)</label>
              <input id="f-to" type="date" name="to" value=${q.to ?? ""} />
            </div>
            ${q.sort !== "start_time" ? html`<input type="hidden" name="sort" value=${q.sort} />` : null}
            ${q.order !== "desc" ? html`<input type="hidden" name="order" value=${q.order} />` : null}
            <div class="field">
              <span class="label" aria-hidden="true"> </span>
              <div class="actions">
                <button type="submit">Apply</button>
                ${filtered ? html`<a class="btn btn-secondary" href="/activities">Reset</a>` : null}
              </div>
            </div>
          </form>
      </section>
      <${Pager} page=${q.page} perPage=${p.perPage} total=${p.total} noun="activities" href=${(n: number) =>
        activitiesHref(q, { page: n })} />
      <div class="table-wrap">
        <table id="activities" class="acts">
          <caption class="vh">Activities, sorted by ${COLUMNS.find((c) => c.key === q.sort)?.label} ${q.order === "asc"
            ? "ascending"
            : "descending"}</caption>
          <thead>
            <tr>
              ${COLUMNS.map((c) => {
                const active = q.sort === c.key;
                const nextOrder = active
                  ? (q.order === "asc" ? "desc" : "asc")
                  : c.key === "name" || c.key === "type"
                  ? "asc"
                  : "desc";
                return html`
                  <th scope="col" class=${c.num ? "num" : undefined} aria-sort=${active
                    ? (q.order === "asc" ? "ascending" : "descending")
                    : undefined}>
                    <a href=${activitiesHref(q, { sort: c.key, order: nextOrder, page: 1 })}>${c.label}${active
                      ? (q.order === "asc" ? " ▲" : " ▼")
                      : ""}</a>
                  </th>
                `;
              })}
              <th scope="col">State</th>
              <th scope="col">File</th>
            </tr>
          </thead>
          <tbody>
              ${p.rows.length ? p.rows.map((a) => html`<${Row} a=${a} back=${back} />`) : html`
                <tr>
                  <td colspan="7" class="empty">No activities match these filters.${filtered
                    ? html`
                      <a href="/activities">Show all</a>.
                    `
                    : html`
                      Run a sync from the <a href="/">overview</a> to fetch your activity list.
                    `}</td>
                </tr>
              `}
            </tbody>
        </table>
      </div>
      <${Pager} page=${q.page} perPage=${p.perPage} total=${p.total} noun="activities" href=${(n: number) =>
        activitiesHref(q, { page: n })} />
      <//>
  `;
}

function Row(props: { a: ActivityView; back: string }) {
  const a = props.a;
  const name = a.name || `Activity ${a.activity_id}`;
  const retry = a.state === "failed" || a.state === "missing";
  return html`
    <tr>
      <td class="nowrap c-date">${fmtLocal(a.start_time_local)}</td>
      <td class="name">${name}</td>
      <td class="nowrap c-type">${typeLabel(a.activity_type)}</td>
      <td class="num nowrap c-dist">${fmtDistance(a.distance_m)}</td>
      <td class="num nowrap c-dur">${fmtDuration(a.duration_s)}</td>
      <td class="c-state">
          <${Badge} value=${a.state} />
          ${a.state === "failed" && a.last_error
            ? html`<div class="small err-text">${a.last_error} (${a.attempts} ${
              a.attempts === 1 ? "try" : "tries"
            })</div>`
            : null}
        </td>
      <td class="nowrap c-file">
          ${a.state === "downloaded"
            ? html`<a href=${`/api/activities/${a.activity_id}/fit`} download="" aria-label=${`Download FIT file of ${name}`}>FIT</a> <span class="muted small">${
              fmtBytes(a.file_size)
            }</span>`
            : null}
          ${retry
            ? html`
              <form method="post" action=${`/activities/${a.activity_id}/retry`} class="inline">
                <input type="hidden" name="back" value=${props.back} />
                <button type="submit" class="secondary small" aria-label=${`Retry downloading ${name}`}>Retry</button>
              </form>
            `
            : null}
        </td>
    </tr>
  `;
}
