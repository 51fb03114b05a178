-- Which process wrote a 'running' row, so a new job manager marks only rows whose process is gone as interrupted
-- (not the live run of a daemon while the CLI syncs). pid_start_ticks (/proc/<pid>/stat field 22) tells that
-- process from a later one that got the same pid. Rows written before this migration have no owner.
ALTER TABLE sync_logs ADD COLUMN pid INTEGER;
ALTER TABLE sync_logs ADD COLUMN host TEXT;
ALTER TABLE sync_logs ADD COLUMN pid_start_ticks INTEGER;
