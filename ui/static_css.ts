/**
 * The dashboard stylesheet, served as /static/app.css. System fonts, compact, text contrast of at least
 * 4.5:1 on every background used, a visible focus ring, and a layout that holds down to a 375 px phone
 * (the nav wraps, wide tables scroll inside their own box).
 */
export const APP_CSS = `:root {
  --fg: #1b1f24; --muted: #4f5963; --bg: #f5f7f9; --card: #ffffff; --line: #d4dae0;
  --accent: #0b57d0; --accent-dark: #0842a0; --focus: #f59e0b;
  --ok-fg: #0b6b2e; --ok-bg: #e3f4e8; --warn-fg: #7a4100; --warn-bg: #fff1d6;
  --err-fg: #a3120f; --err-bg: #fde8e7; --info-fg: #0842a0; --info-bg: #e6eefc; --none-fg: #3d4650; --none-bg: #e9edf1;
  --steps: #2f6fd6; --deep: #1d3f8f; --light: #5b8fe8; --rem: #9b59d0; --awake: #c77c0e; --hr: #c62828; --weight: #0f7b6c;
  color-scheme: light;
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--fg); line-height: 1.45;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
a { color: var(--accent); }
a:hover { color: var(--accent-dark); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 2px; }
.skip { position: absolute; left: -9999px; top: 0; background: var(--card); padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; top: .5rem; }
.vh { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }

header.top { background: #16202c; color: #fff; }
header.top .bar { max-width: 1180px; margin: 0 auto; padding: .5rem 1rem; display: flex; flex-wrap: wrap; align-items: center;
  gap: .25rem 1.25rem; }
.brand { color: #fff; font-weight: 700; font-size: 1.05rem; text-decoration: none; letter-spacing: .01em; }
.brand:hover { color: #fff; }
nav.main ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: .15rem; }
nav.main a { display: block; color: #dfe7f0; text-decoration: none; padding: .35rem .6rem; border-radius: 6px; }
nav.main a:hover { background: #263445; color: #fff; }
nav.main a[aria-current="page"] { background: #fff; color: #16202c; font-weight: 600; }
.signout { margin-left: auto; }
header.top .signout button { background: transparent; border-color: #8fa3b8; color: #fff; }
header.top .signout button:hover { background: #263445; border-color: #dfe7f0; }

main { max-width: 1180px; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.45rem; margin: .25rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 0 0 .6rem; }
h3 { font-size: 1rem; margin: .8rem 0 .4rem; }
p { margin: .4rem 0; }
.muted { color: var(--muted); }
.small { font-size: .875rem; }
code, kbd { white-space: nowrap; font: .9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--none-bg); padding: .05em .3em;
  border-radius: 4px; }

code.break { white-space: normal; overflow-wrap: anywhere; }

.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1rem; margin: 0 0 1rem; }
.grid { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(min(100%, 340px), 1fr)); }
.grid > .card { margin: 0; }
.grid { margin: 0 0 1rem; }
.stack > * + * { margin-top: 1rem; }

.stats { display: grid; gap: .75rem; grid-template-columns: repeat(auto-fit, minmax(125px, 1fr)); margin: 0 0 1rem; padding: 0; }
.stat { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: .7rem .9rem; margin: 0; }
.stat dt { color: var(--muted); font-size: .85rem; }
.stat dd { margin: 0; font-size: 1.5rem; font-weight: 650; font-variant-numeric: tabular-nums; }
.stat dd.when { font-size: .95rem; font-weight: 600; line-height: 1.35; margin-bottom: .2rem; }
.stat dd.when .muted { font-weight: 400; }
.stat.wide { grid-column: span 2; }
.stat dd a { text-decoration: none; }
.stat dd a:hover { text-decoration: underline; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
dl.facts dd code { white-space: normal; overflow-wrap: anywhere; }

.flash-region:empty { display: none; }
.flash { border-radius: 8px; padding: .6rem .9rem; margin: 0 0 1rem; border: 1px solid; }
.flash-ok { color: var(--ok-fg); background: var(--ok-bg); border-color: #9fd3b0; }
.flash-error { color: var(--err-fg); background: var(--err-bg); border-color: #f2b1ad; }
.flash-info { color: var(--info-fg); background: var(--info-bg); border-color: #a9c2f2; }
.flash-warn { color: var(--warn-fg); background: var(--warn-bg); border-color: #efc77d; }

.badge { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .8rem; font-weight: 600; white-space: nowrap; }
.b-downloaded, .b-success, .b-completed { color: var(--ok-fg); background: var(--ok-bg); }
.b-missing, .b-partial, .b-skipped, .b-interrupted { color: var(--warn-fg); background: var(--warn-bg); }
.b-failed, .b-error { color: var(--err-fg); background: var(--err-bg); }
.b-no_file, .b-idle { color: var(--none-fg); background: var(--none-bg); }
.b-running, .b-in_progress { color: var(--info-fg); background: var(--info-bg); }

.progress-wrap { display: flex; align-items: center; gap: .75rem; margin: .5rem 0; }
progress { flex: 1; height: 1.1rem; min-width: 0; accent-color: var(--accent); }
progress::-webkit-progress-bar { background: var(--none-bg); border-radius: 6px; }
progress::-webkit-progress-value { background: var(--accent); border-radius: 6px; }
progress::-moz-progress-bar { background: var(--accent); border-radius: 6px; }
.pct { font-variant-numeric: tabular-nums; font-weight: 650; min-width: 3.2em; text-align: right; }
.sync-line { font-weight: 600; min-height: 1.45em; }

form { margin: 0; }
.inline { display: inline; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: .75rem 0 0; }
.filters { display: flex; flex-wrap: wrap; gap: .6rem 1rem; align-items: flex-end; }
.field { display: flex; flex-direction: column; gap: .2rem; min-width: 0; }
.field > label, .field > .label { font-size: .85rem; color: var(--muted); font-weight: 600; }
.field-wide { flex: 1 1 16rem; }
form > .field + .field, form > .field + p, form > p + .field { margin-top: .7rem; }
.filters .actions { margin: 0; }
.check { display: flex; gap: .5rem; align-items: flex-start; }
.check input { margin-top: .25rem; }
input, select, textarea, button { font: inherit; color: inherit; }
input[type="text"], input[type="email"], input[type="password"], input[type="date"], input[type="number"],
  input[type="url"], select, textarea {
  border: 1px solid #8a96a3; border-radius: 6px; padding: .4rem .55rem; background: #fff; min-height: 2.3rem; max-width: 100%; }
input[type="number"] { width: 12rem; }
textarea { width: 100%; min-height: 8rem; font: .85rem ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.btn, button { display: inline-flex; align-items: center; justify-content: center; gap: .35rem; border: 1px solid var(--accent);
  background: var(--accent); color: #fff; border-radius: 6px; padding: .4rem .85rem; min-height: 2.3rem; cursor: pointer;
  text-decoration: none; font-weight: 600; }
.btn:hover, button:hover { background: var(--accent-dark); border-color: var(--accent-dark); color: #fff; }
.btn-secondary, button.secondary { background: #fff; color: var(--accent); }
.btn-secondary:hover, button.secondary:hover { background: var(--info-bg); color: var(--accent-dark); }
button.danger { background: var(--err-fg); border-color: var(--err-fg); }
button.danger:hover { background: #7f0d0b; border-color: #7f0d0b; }
button.small, .btn.small { padding: .15rem .55rem; min-height: 1.9rem; font-size: .85rem; }
button:disabled { opacity: .6; cursor: not-allowed; }

.table-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; border: 1px solid var(--line); border-radius: 10px;
  background: var(--card); }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
caption { text-align: left; padding: .5rem .75rem; font-weight: 600; }
th, td { padding: .45rem .75rem; text-align: left; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { background: #eef2f6; font-size: .85rem; white-space: nowrap; }
tbody tr:last-child td { border-bottom: 0; }
tbody tr:hover { background: #f8fafc; }
td.num, th.num { text-align: right; }
td.nowrap { white-space: nowrap; }
table.acts td { vertical-align: middle; }
td.name { min-width: 12rem; overflow-wrap: anywhere; }
td.msg { min-width: 16rem; overflow-wrap: anywhere; }
th a { color: inherit; text-decoration: none; }
th a:hover { text-decoration: underline; }
th[aria-sort] a { color: var(--accent-dark); }
.empty { padding: 1.25rem; text-align: center; color: var(--muted); }

.pager { display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; justify-content: space-between; margin: .75rem 0; }
.pager .links { display: flex; flex-wrap: wrap; gap: .4rem; }
.pager a, .pager span.off { padding: .3rem .7rem; border: 1px solid var(--line); border-radius: 6px; background: var(--card);
  text-decoration: none; }
.pager span.off { color: var(--muted); }

.charts > .card { margin: 0; }
.charts { margin: 0 0 1rem; display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(min(100%, 520px), 1fr)); }
figure.chart { margin: 0; }
figure.chart svg { width: 100%; height: auto; display: block; }
figure.chart figcaption { font-weight: 600; margin: 0 0 .3rem; }
.chart-summary { margin: .2rem 0 .4rem; color: var(--muted); font-size: .875rem; }
svg .axis { stroke: #8a96a3; stroke-width: 1; }
svg .grid-line { stroke: #e3e8ee; stroke-width: 1; }
svg text { fill: #4f5963; font-size: 13px; font-family: system-ui, sans-serif; }
svg .s-steps { fill: var(--steps); }
svg .s-deep { fill: var(--deep); }
svg .s-light { fill: var(--light); }
svg .s-rem { fill: var(--rem); }
svg .s-awake { fill: var(--awake); }
svg .goal { stroke: #0b6b2e; stroke-width: 1.5; stroke-dasharray: 5 4; fill: none; }
svg .line-hr { stroke: var(--hr); stroke-width: 2; fill: none; }
svg .dot-hr { fill: var(--hr); }
svg .line-weight { stroke: var(--weight); stroke-width: 2; fill: none; }
svg .dot-weight { fill: var(--weight); }
svg .no-data { fill: #4f5963; font-size: 14px; }
.legend { display: flex; flex-wrap: wrap; gap: .3rem 1rem; margin: .3rem 0 0; padding: 0; list-style: none; font-size: .85rem; }
.legend li { display: flex; align-items: center; gap: .35rem; }
.swatch { width: .9rem; height: .9rem; border-radius: 3px; display: inline-block; border: 1px solid transparent; }
.sw-steps { background: var(--steps); } .sw-deep { background: var(--deep); } .sw-light { background: var(--light); }
.sw-rem { background: var(--rem); } .sw-awake { background: var(--awake); } .sw-hr { background: var(--hr); }
.sw-weight { background: var(--weight); } .sw-goal { background: #0b6b2e; height: 3px; }
details { margin: .4rem 0 0; }
table.data td { text-align: right; }
details > summary { cursor: pointer; color: var(--accent); font-size: .9rem; }
details .table-wrap { margin-top: .4rem; max-height: 22rem; overflow: auto; }

.months { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(min(100%, 270px), 1fr)); }
table.cal { table-layout: fixed; border: 1px solid var(--line); background: var(--card); border-radius: 8px; border-collapse: separate;
  border-spacing: 2px; }
table.cal caption { padding: .25rem .3rem; }
table.cal th { background: none; padding: .15rem 0; text-align: center; font-size: .75rem; color: var(--muted); border: 0; }
table.cal td { padding: .1rem 0 .2rem; text-align: center; border: 0; font-size: .75rem; line-height: 1.1; }
table.cal td.out { background: none; }
table.cal td > span { display: flex; flex-wrap: wrap; justify-content: center; gap: 2px; }
table.cal td b { display: block; flex-basis: 100%; font-weight: 400; }
table.cal td.out b { color: var(--muted); }
table.cal i, .cal-legend i { display: block; width: .55rem; height: .55rem; border-radius: 2px; border: 1.5px solid; }
.cal-legend i { width: .75rem; height: .75rem; }
i.s { border-color: var(--steps); } i.s.y { background: var(--steps); }
i.z { border-color: var(--deep); } i.z.y { background: var(--deep); }
i.w { border-color: var(--weight); } i.w.y { background: var(--weight); }
.coverage { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; margin: .25rem 0 .75rem; padding: 0; list-style: none; }

.range-links { display: flex; flex-wrap: wrap; gap: .4rem; margin: 0 0 .6rem; }
.range-links a { padding: .25rem .7rem; border: 1px solid var(--line); border-radius: 999px; background: var(--card);
  text-decoration: none; }
.range-links a[aria-current="true"] { background: var(--accent); border-color: var(--accent); color: #fff; }
ol.runs { margin: .3rem 0 .8rem; padding-left: 1.4rem; font-variant-numeric: tabular-nums; }
.warn-text { color: var(--warn-fg); }
.err-text { color: var(--err-fg); }
pre.cmd { background: #16202c; color: #e8eef5; padding: .6rem .8rem; border-radius: 8px; overflow-x: auto; font-size: .85rem; }

footer.bottom { max-width: 1180px; margin: 1rem auto 2rem; padding: .75rem 1rem; color: var(--muted); font-size: .85rem;
  border-top: 1px solid var(--line); display: flex; flex-wrap: wrap; gap: .3rem 1.25rem; }

@media (max-width: 600px) {
  body { font-size: 15px; }
  main { padding: .75rem; }
  /* Brand and "Sign out" share the first row; the nav wraps below them. */
  header.top .signout { order: 1; }
  nav.main { order: 2; flex-basis: 100%; }
  h1 { font-size: 1.25rem; }
  .card { padding: .8rem; }
  .stat dd { font-size: 1.3rem; }
  .filters .field { flex: 1 1 45%; }
  .filters .field input, .filters .field select { width: 100%; }
  dl.facts { grid-template-columns: 1fr; gap: 0; }
  dl.facts dd { margin-bottom: .4rem; }
  th, td { padding: .4rem .5rem; }
  svg text { font-size: 22px; }
  td.msg { min-width: 12rem; }
  /* Activities become one compact card per row; the header stays as a row of sort links. */
  table.acts, table.acts tbody { display: block; }
  table.acts thead { display: block; background: #eef2f6; border-bottom: 1px solid var(--line); }
  table.acts thead tr { display: flex; flex-wrap: wrap; gap: .3rem; padding: .5rem; }
  table.acts thead th { padding: .15rem .55rem; border: 1px solid var(--line); border-radius: 999px; background: var(--card);
    text-align: left; }
  table.acts thead th:nth-last-child(-n+2) { display: none; }
  table.acts tbody tr { display: flex; flex-wrap: wrap; align-items: center; gap: .15rem .8rem; padding: .6rem .75rem;
    border-bottom: 1px solid var(--line); }
  table.acts tbody tr:last-child { border-bottom: 0; }
  table.acts td { padding: 0; border: 0; text-align: left; }
  table.acts td.name { order: -2; flex: 1 1 55%; font-weight: 600; min-width: 0; }
  table.acts td.c-state { order: -1; }
  table.acts td.c-date, table.acts td.c-type, table.acts td.c-dist, table.acts td.c-dur { font-size: .85rem;
    color: var(--muted); }
  table.acts td.c-file { flex-basis: 100%; }
  table.acts td.c-file:empty { display: none; }
  table.acts td.empty { flex-basis: 100%; }
  /* Log rows become cards too: time, status and operation on one line, the message below, the counts labelled. */
  table.logs, table.logs tbody { display: block; }
  table.logs thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.logs tbody tr { display: flex; flex-wrap: wrap; align-items: center; gap: .15rem .7rem; padding: .6rem .75rem;
    border-bottom: 1px solid var(--line); }
  table.logs tbody tr:last-child { border-bottom: 0; }
  table.logs td { padding: 0; border: 0; text-align: left; }
  table.logs td.c-time { font-weight: 600; }
  table.logs td.msg { flex-basis: 100%; min-width: 0; }
  table.logs td.c-n { font-size: .85rem; color: var(--muted); }
  table.logs td.c-n::before { content: attr(data-label) " "; }
  table.logs td:empty { display: none; }
  .stat.wide { grid-column: span 2; }
}
`;
