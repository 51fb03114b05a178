import assert from "node:assert/strict";
import { UsageError } from "../cli/context.ts";
import { HelpRequested, parseListArgs } from "../cli/list.ts";
import { parseDownloadArgs } from "../cli/download.ts";
import { parseSyncArgs } from "../cli/sync.ts";

function usageError(fn: () => unknown, includes: string) {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof UsageError, `expected UsageError, got ${e}`);
    assert.ok(e.message.includes(includes), `"${e.message}" should mention "${includes}"`);
    return;
  }
  assert.fail("expected a UsageError");
}

Deno.test("[cli] list takes exactly one filter", () => {
  assert.deepEqual(parseListArgs(["--all"]), { filter: "all", offline: false, json: false });
  assert.deepEqual(parseListArgs(["--missing", "--offline", "--json"]), {
    filter: "missing",
    offline: true,
    json: true,
  });
  assert.deepEqual(parseListArgs(["--downloaded"]).filter, "downloaded");
  usageError(() => parseListArgs([]), "exactly one filter");
  usageError(() => parseListArgs(["--all", "--missing"]), "--all and --missing");
  usageError(() => parseListArgs(["--all", "--bogus"]), "bogus");
  usageError(() => parseListArgs(["--all", "extra"]), "extra");
  assert.throws(() => parseListArgs(["--help"]), HelpRequested);
});

Deno.test("[cli] download needs --missing", () => {
  assert.deepEqual(parseDownloadArgs(["--missing"]), { missing: true });
  usageError(() => parseDownloadArgs([]), "--missing");
  usageError(() => parseDownloadArgs(["--all"]), "all");
});

Deno.test("[cli] sync takes one kind and an optional valid --since", () => {
  assert.deepEqual(parseSyncArgs(["activities"]), { kind: "activities", since: undefined });
  assert.deepEqual(parseSyncArgs(["all", "--since", "2024-02-29"]), { kind: "full", since: "2024-02-29" });
  assert.equal(parseSyncArgs(["health"]).kind, "health");
  assert.equal(parseSyncArgs(["workouts"]).kind, "workouts");
  usageError(() => parseSyncArgs([]), "activities, health, workouts or all");
  usageError(() => parseSyncArgs(["everything"]), "everything");
  usageError(() => parseSyncArgs(["health", "workouts"]), "one kind");
  usageError(() => parseSyncArgs(["health", "--since", "2023-02-30"]), "not a real calendar date");
  usageError(() => parseSyncArgs(["health", "--since", "yesterday"]), "YYYY-MM-DD");
  usageError(() => parseSyncArgs(["health", "--since", "2999-01-01"]), "future");
  usageError(() => parseSyncArgs(["health", "--since", "1999-12-31"]), "2000-01-01 or later");
  usageError(() => parseSyncArgs(["activities", "--since", "2024-01-01"]), "for health data");
  usageError(() => parseSyncArgs(["workouts", "--since", "2024-01-01"]), "for health data");
  usageError(() => parseSyncArgs(["health", "--since"]), "since");
});
