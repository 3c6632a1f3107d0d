-- Leases, per-chunk manifests and the fuller run report.
--
-- stream_leases: one row per stream being written. A run takes the row (insert, or take over a
-- row whose expires_at has passed) before it reads a stream, extends expires_at by heartbeats
-- and deletes the row when done, so a second run of the same stream sees who holds it and a
-- crashed holder's row simply expires. Times are ISO-8601 UTC text (see 0001), compared as text.
CREATE TABLE stream_leases (
  stream_key TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  run_id TEXT NOT NULL,
  acquired_at TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);

-- run_chunks: the manifest of every staged chunk a run loaded: rows, bytes, sha256 of the
-- staged file, and the source positions before and after it (null for full reads). A retried
-- stream replaces its chunks, so the rows describe what the committed attempt loaded.
CREATE TABLE run_chunks (
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  stream TEXT NOT NULL,
  chunk_index INTEGER NOT NULL,
  rows BIGINT NOT NULL,
  bytes BIGINT NOT NULL,
  content_sha256 TEXT NOT NULL,
  start_position TEXT,
  end_position TEXT,
  PRIMARY KEY (run_id, stream, chunk_index)
);

-- The run report's headline numbers as columns, so `sluice runs` and ad-hoc SQL need no JSON.
ALTER TABLE runs ADD COLUMN bytes_read BIGINT;
ALTER TABLE runs ADD COLUMN rows_quarantined BIGINT;
ALTER TABLE runs ADD COLUMN duration_ms BIGINT;
ALTER TABLE runs ADD COLUMN verification TEXT;
ALTER TABLE run_streams ADD COLUMN rows_read BIGINT;
ALTER TABLE run_streams ADD COLUMN rows_quarantined BIGINT;
ALTER TABLE run_streams ADD COLUMN attempts INTEGER;
ALTER TABLE run_streams ADD COLUMN verification TEXT
