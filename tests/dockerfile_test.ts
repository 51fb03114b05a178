/**
 * No Docker engine runs on the development machines, so the image cannot be built here: this checks what can be
 * checked of the Dockerfile against the rest of the project (the contract of issue 6 item 3, and that its
 * permissions match the `start` and `compile` tasks).
 */
import { assert, assertEquals } from "./assert.ts";

const root = new URL("../", import.meta.url);
const dockerfile = Deno.readTextFileSync(new URL("Dockerfile", root));
const denoJson = JSON.parse(Deno.readTextFileSync(new URL("deno.json", root)));
const ciRun = Deno.readTextFileSync(new URL(".ci/run", root));

/** Instructions as [KEYWORD, rest], continuation lines joined, comments dropped. */
function instructions(text: string): [string, string][] {
  return text.replace(/\\\n/g, " ").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const m = l.match(/^(\S+)\s+(.*)$/);
      return [m![1].toUpperCase(), m![2]];
    });
}

const all = instructions(dockerfile);
const lastFrom = all.map(([k]) => k).lastIndexOf("FROM");
const final = all.slice(lastFrom);
const get = (k: string) => final.filter(([key]) => key === k).map(([, v]) => v);
const flagsOf = (cmd: string) => new Set(cmd.match(/--allow-[a-z]+/g) ?? []);

Deno.test("[docker] multi-stage on the official Deno image, the version CI uses", () => {
  const froms = all.filter(([k]) => k === "FROM").map(([, v]) => v);
  assert(froms.length >= 2, "multi-stage");
  const ciVersion = ciRun.match(/DENO_VERSION=(\S+)/)![1];
  for (const f of froms) {
    assert(f.startsWith(`denoland/deno:${ciVersion}`), `${f} should be denoland/deno:${ciVersion}`);
  }
  assert(/deno cache --frozen main\.ts/.test(dockerfile), "dependencies cached exactly as locked");
});

Deno.test("[docker] the runtime stage: non-root, port, volume, health check, host", () => {
  assertEquals(get("USER"), ["deno"]);
  assertEquals(get("EXPOSE"), ["8080"]);
  assertEquals(get("VOLUME"), ["/app/data"]);
  const health = get("HEALTHCHECK").join(" ");
  assert(health.includes("/healthz"), "HEALTHCHECK on /healthz");
  const env = get("ENV").join(" ");
  assert(/GARMINSYNC_HOST=0\.0\.0\.0/.test(env), "listens on 0.0.0.0 inside the container");
  assert(/GARMINSYNC_DATA_DIR=\/app\/data/.test(env), "data in the volume");
  assertEquals(get("CMD"), ['["daemon", "--start"]']);
});

Deno.test("[docker] the entrypoint runs main.ts with exactly the permissions of the start and compile tasks", () => {
  const entry = JSON.parse(get("ENTRYPOINT")[0]) as string[];
  assertEquals(entry.slice(0, 2), ["/tini", "--"]);
  assert(entry.includes("main.ts") && entry.includes("--cached-only"));
  const fromEntry = flagsOf(entry.join(" "));
  assertEquals([...fromEntry].sort(), [...flagsOf(denoJson.tasks.start)].sort());
  assertEquals([...fromEntry].sort(), [...flagsOf(denoJson.tasks.compile)].sort());
  assert(/main\.ts daemon --start$/.test(denoJson.tasks.start));
});

Deno.test("[docker] the build context leaves out history, data and secrets", () => {
  const ignored = Deno.readTextFileSync(new URL(".dockerignore", root)).split("\n").map((l) => l.trim());
  for (const p of [".git", "data", ".env"]) assert(ignored.includes(p), `.dockerignore should list ${p}`);
});
