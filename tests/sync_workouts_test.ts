import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { recordingReporter, syncEnv } from "./fixtures/sync/env.ts";
import { syncWorkouts } from "../sync/workouts.ts";
import { listWorkouts } from "../db/workouts.ts";

const LIST = "/workout-service/workouts";
const DETAIL = "/workout-service/workout/";

async function storedDetail(db: Parameters<typeof listWorkouts>[0], id: number): Promise<string | null> {
  const r = await db.execute({ sql: "SELECT detail_json FROM workouts WHERE workout_id = ?", args: [id] });
  return r.rows.length ? (r.rows[0].detail_json as string | null) : null;
}

Deno.test("[workouts] first sync stores every workout with its detail; an unchanged list fetches no detail", async () => {
  await using env = await syncEnv({ workouts: 7 });
  const ids = env.sim.workoutIds();
  env.sim.resetCalls();
  const reporter = recordingReporter();
  const first = await syncWorkouts(env.ctx, reporter);
  assertEquals([first.listed, first.new, first.updated, first.failed], [7, 7, 0, 0]);
  assertEquals(env.sim.calls(LIST).length, 1);
  assertEquals(env.sim.calls(DETAIL).length, 7);
  assertEquals(reporter.totals, [7]);
  const rows = await listWorkouts(env.db);
  assertEquals(rows.map((w) => w.workout_id).sort(), [...ids].sort());
  assert(rows.every((w) => w.name && w.updated_date && w.sport_type));
  for (const id of ids) {
    const detail = JSON.parse((await storedDetail(env.db, id))!);
    assertEquals(detail.workoutId, id);
    assert(Array.isArray(detail.workoutSegments));
  }

  env.sim.resetCalls();
  const second = await syncWorkouts(env.ctx, recordingReporter());
  assertEquals([second.new, second.updated], [0, 0]);
  assertEquals(env.sim.calls(LIST).length, 1);
  assertEquals(env.sim.calls(DETAIL).length, 0, "nothing changed: no detail fetched");
});

Deno.test("[workouts] touching one workout re-fetches exactly that detail and stores the new version", async () => {
  await using env = await syncEnv({ workouts: 5 });
  await syncWorkouts(env.ctx, recordingReporter());
  const [id] = env.sim.workoutIds();
  const before = (await listWorkouts(env.db)).find((w) => w.workout_id === id)!;
  const beforeDetail = await storedDetail(env.db, id);

  env.sim.touchWorkout(id);
  env.sim.resetCalls();
  const r = await syncWorkouts(env.ctx, recordingReporter());
  assertEquals([r.new, r.updated], [0, 1]);
  assertEquals(env.sim.calls(DETAIL).map((c) => c.path), [`${DETAIL}${id}`]);
  const after = (await listWorkouts(env.db)).find((w) => w.workout_id === id)!;
  assert(after.updated_date !== before.updated_date, "the new updatedDate is stored");
  assert((await storedDetail(env.db, id)) !== beforeDetail, "the new detail is stored");
  assertEquals(after.first_seen_at, before.first_seen_at);

  env.sim.resetCalls();
  await syncWorkouts(env.ctx, recordingReporter());
  assertEquals(env.sim.calls(DETAIL).length, 0);
});

Deno.test("[workouts] a detail that fails is retried on the next run; the run is partial", async () => {
  await using env = await syncEnv({ workouts: 4 });
  const runners = env.runners();
  const [bad] = env.sim.workoutIds();
  env.sim.fault({ match: `${DETAIL}${bad}`, kind: "html", times: 1 });
  const summary = await runners.workouts(recordingReporter(), {});
  assertEquals(summary.status, "partial");
  assert(summary.message.startsWith(`1 of 4 workout details failed: ${bad}: `), summary.message);
  assertEquals(await storedDetail(env.db, bad), null);

  env.sim.resetCalls();
  const again = await runners.workouts(recordingReporter(), {});
  assertEquals(again.status, "success");
  assertEquals(env.sim.calls(DETAIL).map((c) => c.path), [`${DETAIL}${bad}`]);
  assert(await storedDetail(env.db, bad));
});
