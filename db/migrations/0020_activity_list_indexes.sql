-- Indexes for the activity listings beyond the default (state / start time) order: local-date ranges, sorting by
-- name, distance and duration, and a type filter that pages in start order without a sort step.
CREATE INDEX activities_local_start_idx ON activities (start_time_local);
CREATE INDEX activities_name_idx ON activities (name, activity_id);
CREATE INDEX activities_distance_idx ON activities (distance_m, activity_id);
CREATE INDEX activities_duration_idx ON activities (duration_s, activity_id);
CREATE INDEX activities_type_start_id_idx ON activities (activity_type, start_time_gmt DESC, activity_id DESC);
-- Superseded by activities_type_start_id_idx (same leading columns).
DROP INDEX IF EXISTS activities_type_start_idx;
