-- Runs and their per-stream results. Portable SQL for SQLite and PostgreSQL: ids are generated
-- in code (time-ordered, see ids.ts), timestamps are ISO-8601 UTC text ('2025-01-31T12:00:00.000Z',
-- fixed width, so text order is time order), JSON is stored as text. Statuses are not CHECKed:
-- SQLite can only change a CHECK by rebuilding the table; the code owns the vocabulary.
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT NOT NULL,
  source TEXT NOT NULL,
  destination TEXT NOT NULL,
  mode TEXT NOT NULL,
  error_code TEXT,
  error_message TEXT,
  rows_read BIGINT,
  rows_written BIGINT,
  bytes_written BIGINT,
  peak_rss_bytes BIGINT,
  report TEXT
);

CREATE INDEX runs_by_start ON runs (started_at);

CREATE TABLE run_streams (
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  stream TEXT NOT NULL,
  status TEXT NOT NULL,
  rows BIGINT,
  bytes BIGINT,
  files INTEGER,
  snapshot_id BIGINT,
  duration_ms BIGINT,
  error TEXT,
  PRIMARY KEY (run_id, stream)
);
