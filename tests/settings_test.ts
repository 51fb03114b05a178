import { assert, assertEquals, assertRejects } from "./assert.ts";
import { openTestStack } from "./fixtures/stack.ts";
import { startSimulator } from "../sim/server.ts";
import { InvalidInput } from "../lib/errors.ts";

Deno.test("[settings] a request delay saved at run time paces the next Garmin requests and survives a restart", async () => {
  const sim = await startSimulator({ activities: 3, healthDays: 1, workouts: 0 });
  const dir = await Deno.makeTempDir({ prefix: "gs_settings_" });
  try {
    const first = await openTestStack({ dir, garminUrl: sim.url });
    try {
      assertEquals(first.deps.settings.requestDelayMs(), 0);
      await first.deps.garmin.auth.login(sim.account.email, sim.account.password);
      await first.deps.settings.setRequestDelayMs(300);
      sim.resetCalls();
      const t0 = performance.now();
      await first.deps.garmin.api.listActivities(0, 10);
      await first.deps.garmin.api.listActivities(0, 10);
      await first.deps.garmin.api.listActivities(0, 10);
      const took = performance.now() - t0;
      assertEquals(sim.calls(/activitylist-service/).length, 3);
      assert(took >= 550, `three requests 300 ms apart take at least ~600 ms, took ${Math.round(took)} ms`);
      await assertRejects(() => first.deps.settings.setRequestDelayMs(-1), InvalidInput);
      assertEquals(first.deps.settings.requestDelayMs(), 300, "a bad value changes nothing");
    } finally {
      first.deps.db.close();
    }
    const again = await openTestStack({ dir, garminUrl: sim.url });
    try {
      assertEquals(again.deps.settings.requestDelayMs(), 300, "the saved delay outlives the process");
    } finally {
      again.deps.db.close();
    }
  } finally {
    await sim.close();
    await Deno.remove(dir, { recursive: true });
  }
});
