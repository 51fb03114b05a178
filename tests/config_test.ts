import assert from "node:assert/strict";
import { assertRejects, assertThrows } from "./assert.ts";
import { ConfigError, cronError, loadConfig, parseDotEnv, readEnvironment } from "../lib/config.ts";

Deno.test("[config] defaults follow the contract", () => {
  const c = loadConfig({});
  assert.deepEqual(c.dataDir, "./data");
  assert.deepEqual(c.dbUrl, "file:./data/garmin.db");
  assert.deepEqual(c.requestDelayMs, 2000);
  assert.deepEqual(c.host, "127.0.0.1");
  assert.deepEqual(c.port, 8080);
  assert.deepEqual(c.schedule, "0 */6 * * *");
  assert.deepEqual(c.garminUrl, undefined);
  assert.deepEqual(c.apiToken, undefined);
});

Deno.test("[config] values are read and normalised", () => {
  const c = loadConfig({
    GARMINSYNC_DATA_DIR: "/tmp/gs/",
    GARMINSYNC_GARMIN_URL: "http://127.0.0.1:9999/",
    GARMINSYNC_REQUEST_DELAY_MS: "0",
    GARMINSYNC_PORT: "9000",
    GARMINSYNC_SCHEDULE: "*/5 * * * *",
    GARMIN_EMAIL: "a@b.c",
    GARMIN_PASSWORD: "pw",
  });
  assert.deepEqual(c.dataDir, "/tmp/gs");
  assert.deepEqual(c.dbUrl, "file:/tmp/gs/garmin.db");
  assert.deepEqual(c.garminUrl, "http://127.0.0.1:9999");
  assert.deepEqual(c.requestDelayMs, 0);
  assert.deepEqual(c.port, 9000);
  assert.deepEqual(c.schedule, "*/5 * * * *");
  assert.deepEqual(c.garminEmail, "a@b.c");
});

Deno.test("[config] empty values count as unset", () => {
  const c = loadConfig({ GARMINSYNC_PORT: "", GARMINSYNC_DB_URL: "  ", GARMIN_EMAIL: "" });
  assert.deepEqual(c.port, 8080);
  assert.deepEqual(c.dbUrl, "file:./data/garmin.db");
  assert.deepEqual(c.garminEmail, undefined);
});

Deno.test("[config] every bad variable is named in one error", () => {
  const e = assertThrows(
    () =>
      loadConfig({
        GARMINSYNC_PORT: "eighty",
        GARMINSYNC_REQUEST_DELAY_MS: "-5",
        GARMINSYNC_SCHEDULE: "every day",
        GARMINSYNC_DB_URL: "postgres://x",
        GARMINSYNC_GARMIN_URL: "not a url",
      }),
    ConfigError,
  ) as ConfigError;
  for (
    const name of [
      "GARMINSYNC_PORT",
      "GARMINSYNC_REQUEST_DELAY_MS",
      "GARMINSYNC_SCHEDULE",
      "GARMINSYNC_DB_URL",
      "GARMINSYNC_GARMIN_URL",
    ]
  ) {
    assert.ok(e.message.includes(name), `${name} missing from: ${e.message}`);
  }
  assert.deepEqual(e.problems.length, 5);
});

Deno.test("[config] remote libSQL URLs are accepted", () => {
  assert.deepEqual(loadConfig({ GARMINSYNC_DB_URL: "libsql://db.example.com" }).dbUrl, "libsql://db.example.com");
  assert.deepEqual(loadConfig({ GARMINSYNC_DB_URL: "http://127.0.0.1:8081" }).dbUrl, "http://127.0.0.1:8081");
  assertThrows(() => loadConfig({ GARMINSYNC_DB_URL: "http://" }), ConfigError);
});

Deno.test("[config] cronError explains a bad expression and accepts good ones", () => {
  assert.deepEqual(cronError("0 */6 * * *"), undefined);
  assert.deepEqual(cronError("*/10 * * * * *"), undefined);
  assert.ok(cronError("61 * * * *"));
  assert.ok(cronError("nonsense"));
});

Deno.test("[config] .env parsing: quotes, comments, export", () => {
  const vars = parseDotEnv(
    `# comment\nexport GARMIN_EMAIL=me@example.com\nGARMIN_PASSWORD="p a#ss"\nGARMINSYNC_PORT=9000 # trailing\nX='y'\n`,
  );
  assert.deepEqual(vars, {
    GARMIN_EMAIL: "me@example.com",
    GARMIN_PASSWORD: "p a#ss",
    GARMINSYNC_PORT: "9000",
    X: "y",
  });
});

Deno.test("[config] the real environment wins over .env, except where it is empty", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/.env`, "GARMINSYNC_PORT=9000\nGARMINSYNC_HOST=0.0.0.0\nGARMIN_EMAIL=file@x.y\n");
    const env = await readEnvironment({ GARMINSYNC_PORT: "7000", GARMIN_EMAIL: "" }, `${dir}/.env`);
    const c = loadConfig(env);
    assert.deepEqual(c.port, 7000);
    assert.deepEqual(c.host, "0.0.0.0");
    assert.deepEqual(c.garminEmail, "file@x.y");
    const none = await readEnvironment({ A: "1" }, `${dir}/missing.env`);
    assert.deepEqual(none, { A: "1" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[config] a malformed .env line or an unreadable .env is a ConfigError naming it", async () => {
  const e = assertThrows(() => parseDotEnv("A=1\nGARMINSYNC_PORT 8080\n"), ConfigError);
  assert.match(e.message, /\.env line 2 \(GARMINSYNC_PORT\) is not KEY=value/);
  const secret = assertThrows(() => parseDotEnv("GARMIN_PASSWORD: MyS3cretPassw0rd!\n"), ConfigError);
  assert.ok(!secret.message.includes("MyS3cret"), "the line's value is never printed");
  assert.deepEqual(parseDotEnv(`GARMIN_PASSWORD="correct horse"  # from the password manager\n`), {
    GARMIN_PASSWORD: "correct horse",
  });
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/.env`);
    const err = await assertRejects(() => readEnvironment({}, `${dir}/.env`), ConfigError);
    assert.match(err.message, /cannot be read/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[config] a host that is no host name, and a remote DB URL without a host, are refused", () => {
  assert.match(
    assertThrows(() => loadConfig({ GARMINSYNC_HOST: "no such host!" }), ConfigError).message,
    /GARMINSYNC_HOST/,
  );
  assert.match(
    assertThrows(() => loadConfig({ GARMINSYNC_DB_URL: "libsql://" }), ConfigError).message,
    /GARMINSYNC_DB_URL/,
  );
  assert.equal(loadConfig({ GARMINSYNC_HOST: "::1" }).host, "::1");
  assert.equal(loadConfig({ GARMINSYNC_HOST: "0.0.0.0" }).host, "0.0.0.0");
  assert.equal(loadConfig({}).browserPath, "/usr/bin/chromium");
  assert.equal(loadConfig({ GARMINSYNC_BROWSER: "/opt/chrome" }).browserPath, "/opt/chrome");
});
