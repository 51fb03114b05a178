-- The log pages newest first with id as the tie-breaker (two rows can share a millisecond); indexes that end on
-- id DESC serve that order directly instead of sorting each status/operation group. They replace 0001's.
CREATE INDEX sync_logs_timestamp_id_idx ON sync_logs (timestamp DESC, id DESC);
CREATE INDEX sync_logs_status_id_idx ON sync_logs (status, timestamp DESC, id DESC);
CREATE INDEX sync_logs_operation_id_idx ON sync_logs (operation, timestamp DESC, id DESC);
DROP INDEX IF EXISTS sync_logs_timestamp_idx;
DROP INDEX IF EXISTS sync_logs_status_idx;
DROP INDEX IF EXISTS sync_logs_operation_idx;
