/**
 * /openapi.json: generated from the route schemas, describes every route the app serves, and every described
 * path answers (no "no route" 404).
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { apiFixture, expectJson, jsonInit, seedActivities } from "./fixtures/api/deps.ts";
import { unknownRouteMessage } from "../routes/errors.ts";

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, Record<string, unknown>> };
};

/** Hono's `:id` → OpenAPI's `{id}`. */
function toOpenApiPath(p: string): string {
  return p.replace(/:(\w+)/g, "{$1}");
}

Deno.test("[openapi] /openapi.json is OpenAPI 3.1 with the contract's paths and the SyncJob schema", async () => {
  await using f = await apiFixture();
  const doc = await expectJson(await f.app.request("/openapi.json"), 200) as unknown as Doc;
  assertEquals(doc.openapi, "3.1.0");
  const contract: [string, string][] = [
    ["get", "/garmin/sync/status"],
    ["post", "/garmin/activities"],
    ["post", "/garmin/health"],
    ["post", "/garmin/workouts"],
    ["post", "/api/sync/trigger"],
    ["post", "/garmin/auth/login"],
    ["post", "/garmin/auth/mfa"],
    ["post", "/garmin/auth/import"],
    ["get", "/garmin/auth/status"],
    ["delete", "/garmin/auth"],
    ["get", "/api/status"],
    ["post", "/api/schedule"],
    ["get", "/api/logs"],
    ["delete", "/api/logs"],
    ["get", "/api/activities"],
    ["get", "/api/activities/stats"],
    ["get", "/api/activities/{id}/fit"],
    ["get", "/api/health"],
    ["get", "/api/workouts"],
    ["get", "/openapi.json"],
    ["get", "/healthz"],
  ];
  for (const [method, path] of contract) assert(doc.paths[path]?.[method], `${method.toUpperCase()} ${path} described`);
  const job = doc.components.schemas.SyncJob as { properties: Record<string, unknown>; required: string[] };
  assertEquals(
    Object.keys(job.properties).sort(),
    [
      "details",
      "end_time",
      "error_message",
      "items_done",
      "items_total",
      "job_type",
      "progress",
      "start_time",
      "status",
    ],
  );
  // The 202 of a start points at the shared SyncJob component, generated once.
  const started = doc.paths["/garmin/activities"].post.responses as Record<string, { content: unknown }>;
  assertMatch(JSON.stringify(started["202"].content), /#\/components\/schemas\/SyncJob/);
});

Deno.test("[openapi] request parameters come from the validating schemas (strict bodies, enums, caps)", async () => {
  await using f = await apiFixture();
  const doc = await expectJson(await f.app.request("/openapi.json"), 200) as unknown as Doc;
  const params = doc.paths["/api/activities"].get.parameters as { name: string; in: string; schema: unknown }[];
  const filter = params.find((p) => p.name === "filter")!;
  assertEquals(filter.in, "query");
  assertEquals((filter.schema as { enum: string[] }).enum, ["all", "missing", "downloaded", "no_file", "failed"]);
  assert(params.some((p) => p.name === "per_page"));
  const body = (doc.paths["/api/schedule"].post.requestBody as {
    content: Record<string, { schema: Record<string, unknown> }>;
  }).content["application/json"].schema;
  assertEquals(body.additionalProperties, false);
  assertEquals(Object.keys(body.properties as object).sort(), ["cron_schedule", "enabled", "request_delay_ms"]);
  const fit = doc.paths["/api/activities/{id}/fit"].get.parameters as { name: string; in: string; required: boolean }[];
  assertEquals(fit.map((p) => [p.name, p.in, p.required]), [["id", "path", true]]);
});

Deno.test("[openapi] every route the app serves is described, and every described path answers", async () => {
  await using f = await apiFixture();
  await seedActivities(f.deps, 1);
  const doc = await expectJson(await f.app.request("/openapi.json"), 200) as unknown as Doc;
  const described = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const m of Object.keys(ops)) described.add(`${m.toUpperCase()} ${path}`);
  }
  // Served: every non-middleware route outside the dashboard pages.
  const served = new Set(
    f.app.routes
      .filter((r) => r.method !== "ALL")
      .filter((r) => /^\/(api|garmin|healthz|openapi\.json|session)/.test(r.path))
      .map((r) => `${r.method} ${toOpenApiPath(r.path)}`),
  );
  const undocumented = [...served].filter((s) => !described.has(s));
  assertEquals(undocumented, [], "routes served but not in /openapi.json");
  for (const key of described) {
    const [method, path] = key.split(" ");
    const url = path.replace("{id}", "1000");
    const res = await f.app.request(url, {
      method,
      headers: method === "GET" || method === "DELETE" ? {} : { "Content-Type": "application/json" },
      body: method === "GET" || method === "DELETE" ? undefined : "{}",
    });
    const text = await res.text();
    if (res.status === 404) {
      assert(!text.includes(unknownRouteMessage(method, url)), `${key} is described but the app has no such route`);
    }
    assert(res.status !== 405, `${key} answers 405`);
    assert(res.status < 500 || res.status === 503, `${key} answered ${res.status}: ${text.slice(0, 200)}`);
  }
});

Deno.test("[openapi] every route with a body lists 400 (not JSON) and 413 (over 64 KiB), and answers them", async () => {
  await using f = await apiFixture();
  const doc = await expectJson(await f.app.request("/openapi.json"), 200) as unknown as Doc;
  let checked = 0;
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!op.requestBody) continue;
      const responses = op.responses as Record<string, unknown>;
      assert(responses["413"], `${method} ${path} lists 413`);
      const form = JSON.stringify(op.requestBody).includes("x-www-form-urlencoded");
      if (form) continue;
      assert(responses["400"], `${method} ${path} lists 400`);
      checked++;
      const url = path.replace("{id}", "1");
      const bad = await f.app.request(url, jsonInit(method.toUpperCase(), '{"x": '));
      await expectJson(bad, 400);
      const big = await f.app.request(url, jsonInit(method.toUpperCase(), JSON.stringify({ x: "y".repeat(70_000) })));
      await expectJson(big, 413);
    }
  }
  assert(checked >= 8, `body routes checked: ${checked}`);
  assertEquals(f.deps.jobs.status().status, "idle");
});

/** The method+path pairs of README.md's API table (under "## Daemon, API and dashboard"), /session* left out. */
function readmeApiRoutes(readme: string): Set<string> {
  const start = readme.indexOf("## Daemon, API and dashboard");
  assert(start >= 0, 'README.md has a "## Daemon, API and dashboard" section');
  const rest = readme.slice(start + 3);
  const end = rest.search(/^## /m);
  const section = end >= 0 ? rest.slice(0, end) : rest;
  const out = new Set<string>();
  for (const line of section.split("\n")) {
    if (!/^\| `(GET|POST|DELETE)/.test(line)) continue;
    const firstCell = line.slice(1).split(/(?<!\\)\|/)[0];
    let method = "";
    for (const [, code] of firstCell.matchAll(/`([^`]+)`/g)) {
      const m = code.trim().match(/^(GET|POST|PUT|PATCH|DELETE)\s+(\S+)$/);
      let path: string;
      if (m) {
        method = m[1];
        path = m[2];
      } else if (code.startsWith("/") && method) {
        path = code.trim();
      } else {
        continue; // a body hint such as `{enabled, cron_schedule}`
      }
      path = path.split("?")[0];
      if (!path.startsWith("/session")) out.add(`${method} ${path}`);
    }
  }
  return out;
}

Deno.test("[openapi] readmeApiRoutes reads methods, comma-separated paths, queries and body hints", () => {
  const md = [
    "## Daemon, API and dashboard",
    "| method, path | answer |",
    "| --- | --- |",
    "| `POST /a/x`, `/a/y` | 202 |",
    "| `GET /api/logs?status&page`, `DELETE /api/logs` | paged |",
    "| `GET /api/activities?filter=all\\|missing`, `GET /api/activities/{id}/fit` | x |",
    "| `POST /api/schedule` `{enabled, cron_schedule}` | 200 |",
    "| `GET /session` | form |",
    "## Docker",
    "| `GET /not/here` | x |",
  ].join("\n");
  assertEquals(
    [...readmeApiRoutes(md)].sort(),
    [
      "DELETE /api/logs",
      "GET /api/activities",
      "GET /api/activities/{id}/fit",
      "GET /api/logs",
      "POST /a/x",
      "POST /a/y",
      "POST /api/schedule",
    ],
  );
});

Deno.test("[openapi] README.md's API table and /openapi.json list the same routes (/session* aside)", async () => {
  await using f = await apiFixture();
  const doc = await expectJson(await f.app.request("/openapi.json"), 200) as unknown as Doc;
  const described = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (path.startsWith("/session")) continue;
    for (const m of Object.keys(ops)) described.add(`${m.toUpperCase()} ${path}`);
  }
  const readme = readmeApiRoutes(await Deno.readTextFile(new URL("../README.md", import.meta.url)));
  const notInReadme = [...described].filter((r) => !readme.has(r)).sort();
  const notServed = [...readme].filter((r) => !described.has(r)).sort();
  assertEquals({ notInReadme, notServed }, { notInReadme: [], notServed: [] });
});
