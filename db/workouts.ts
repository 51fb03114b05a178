/**
 * Stored workouts: summary and detail JSON from Garmin, plus the columns the API and dashboard show.
 */
import type { Db } from "./client.ts";

/** One stored workout (raw JSON not included). */
export interface WorkoutRow {
  workout_id: number;
  name: string | null;
  sport_type: string | null;
  description: string | null;
  created_date: string | null;
  updated_date: string | null;
  estimated_duration_s: number | null;
  estimated_distance_m: number | null;
  first_seen_at: string;
  fetched_at: string;
}

/** What the workouts sync writes for one workout; `detail_json` null keeps the stored detail. */
export type WorkoutInput = Omit<WorkoutRow, "first_seen_at" | "fetched_at"> & {
  summary_json: string;
  detail_json: string | null;
};

function s(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function n(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

/** Every stored workout, most recently updated first. */
export async function listWorkouts(db: Db): Promise<WorkoutRow[]> {
  const r = await db.execute(
    "SELECT workout_id, name, sport_type, description, created_date, updated_date, estimated_duration_s, " +
      "estimated_distance_m, first_seen_at, fetched_at FROM workouts " +
      "ORDER BY COALESCE(updated_date, created_date) DESC, workout_id DESC",
  );
  return r.rows.map((row) => ({
    workout_id: Number(row.workout_id),
    name: s(row.name),
    sport_type: s(row.sport_type),
    description: s(row.description),
    created_date: s(row.created_date),
    updated_date: s(row.updated_date),
    estimated_duration_s: n(row.estimated_duration_s),
    estimated_distance_m: n(row.estimated_distance_m),
    first_seen_at: String(row.first_seen_at),
    fetched_at: String(row.fetched_at),
  }));
}

/** The stored `updated_date` and whether a detail is stored, per workout id. */
export async function workoutVersions(
  db: Db,
): Promise<Map<number, { updated_date: string | null; has_detail: boolean }>> {
  const r = await db.execute("SELECT workout_id, updated_date, detail_json IS NOT NULL AS has_detail FROM workouts");
  return new Map(
    r.rows.map((row) => [Number(row.workout_id), {
      updated_date: s(row.updated_date),
      has_detail: Number(row.has_detail) === 1,
    }]),
  );
}

/** Inserts or updates workouts in one transaction; a null `detail_json` keeps the stored detail. */
export async function upsertWorkouts(db: Db, items: WorkoutInput[], now = new Date()): Promise<void> {
  if (!items.length) return;
  const ts = now.toISOString();
  await db.batch(
    items.map((w) => ({
      sql: "INSERT INTO workouts (workout_id, name, sport_type, description, created_date, updated_date, " +
        "estimated_duration_s, estimated_distance_m, summary_json, detail_json, first_seen_at, fetched_at) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(workout_id) DO UPDATE SET name = excluded.name, " +
        "sport_type = excluded.sport_type, description = excluded.description, created_date = excluded.created_date, " +
        "updated_date = excluded.updated_date, estimated_duration_s = excluded.estimated_duration_s, " +
        "estimated_distance_m = excluded.estimated_distance_m, summary_json = excluded.summary_json, " +
        "detail_json = COALESCE(excluded.detail_json, workouts.detail_json), " +
        "fetched_at = CASE WHEN excluded.detail_json IS NULL THEN workouts.fetched_at ELSE excluded.fetched_at END",
      args: [
        w.workout_id,
        w.name,
        w.sport_type,
        w.description,
        w.created_date,
        w.updated_date,
        w.estimated_duration_s,
        w.estimated_distance_m,
        w.summary_json,
        w.detail_json,
        ts,
        ts,
      ],
    })),
    "write",
  );
}
