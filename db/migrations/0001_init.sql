-- GarminSync initial schema. Shipped migrations are never edited: add a new numbered file instead.

CREATE TABLE activities (
  activity_id INTEGER PRIMARY KEY,
  name TEXT,
  activity_type TEXT,
  start_time_local TEXT NOT NULL,          -- "YYYY-MM-DD HH:MM:SS" as Garmin gives it (no zone)
  start_time_gmt TEXT,                     -- "YYYY-MM-DD HH:MM:SS" UTC
  duration_s REAL,
  distance_m REAL,
  calories REAL,
  avg_hr REAL,
  max_hr REAL,
  state TEXT NOT NULL DEFAULT 'missing' CHECK (state IN ('missing', 'downloaded', 'no_file', 'failed')),
  file_name TEXT,
  file_size INTEGER,
  sha256 TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  last_attempt_at TEXT,
  downloaded_at TEXT,
  first_seen_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  raw_json TEXT NOT NULL
);
CREATE INDEX activities_start_idx ON activities (start_time_gmt DESC, activity_id DESC);
CREATE INDEX activities_state_start_idx ON activities (state, start_time_gmt DESC, activity_id DESC);
CREATE INDEX activities_type_start_idx ON activities (activity_type, start_time_gmt DESC);

CREATE TABLE sync_logs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  timestamp TEXT NOT NULL,                 -- when the run started (ISO-8601 UTC)
  finished_at TEXT,
  operation TEXT NOT NULL,                 -- activities | health | workouts | full | download | schedule ...
  status TEXT NOT NULL CHECK (status IN ('running', 'success', 'error', 'partial', 'interrupted', 'skipped')),
  message TEXT,
  activities_processed INTEGER NOT NULL DEFAULT 0,
  activities_downloaded INTEGER NOT NULL DEFAULT 0,
  items_processed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sync_logs_timestamp_idx ON sync_logs (timestamp DESC);
CREATE INDEX sync_logs_status_idx ON sync_logs (status, timestamp DESC);
CREATE INDEX sync_logs_operation_idx ON sync_logs (operation, timestamp DESC);

-- Key/value settings saved through the API or dashboard (schedule_enabled, cron_schedule, last_run_at, ...).
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- The one Garmin session (id = 1). token_data is JSON, or AES-GCM ciphertext when GARMINSYNC_SECRET_KEY is set.
-- version is bumped on every write so a refresh can compare-and-swap across processes.
CREATE TABLE garmin_auth (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  method TEXT NOT NULL,                    -- password | import | ticket | browser
  token_kind TEXT NOT NULL,                -- di | legacy
  state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'expired')),
  token_data TEXT NOT NULL,
  encrypted INTEGER NOT NULL DEFAULT 0,
  display_name TEXT,
  access_expires_at TEXT,
  refresh_expires_at TEXT,
  last_refresh_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  refresh_lock_owner TEXT,
  refresh_lock_until TEXT
);

-- One row per calendar day of health data; *_json hold Garmin's raw answers.
CREATE TABLE health_days (
  calendar_date TEXT PRIMARY KEY,          -- YYYY-MM-DD
  steps INTEGER,
  step_goal INTEGER,
  distance_m REAL,
  total_kcal REAL,
  active_kcal REAL,
  resting_hr INTEGER,
  min_hr INTEGER,
  max_hr INTEGER,
  avg_stress INTEGER,
  max_stress INTEGER,
  body_battery_high INTEGER,
  body_battery_low INTEGER,
  body_battery_charged INTEGER,
  body_battery_drained INTEGER,
  sleep_seconds INTEGER,
  deep_sleep_seconds INTEGER,
  light_sleep_seconds INTEGER,
  rem_sleep_seconds INTEGER,
  awake_sleep_seconds INTEGER,
  sleep_score INTEGER,
  weight_g REAL,
  bmi REAL,
  body_fat REAL,
  has_summary INTEGER NOT NULL DEFAULT 0,
  has_sleep INTEGER NOT NULL DEFAULT 0,
  has_weight INTEGER NOT NULL DEFAULT 0,
  summary_json TEXT,
  sleep_json TEXT,
  weight_json TEXT,
  complete INTEGER NOT NULL DEFAULT 0,     -- 1 when fetched after the day was over (no longer changes)
  fetched_at TEXT NOT NULL
);

CREATE TABLE workouts (
  workout_id INTEGER PRIMARY KEY,
  name TEXT,
  sport_type TEXT,
  description TEXT,
  created_date TEXT,
  updated_date TEXT,
  estimated_duration_s REAL,
  estimated_distance_m REAL,
  summary_json TEXT NOT NULL,
  detail_json TEXT,
  first_seen_at TEXT NOT NULL,
  fetched_at TEXT NOT NULL
);
