-- Where each stream's last read got to, per source. No foreign key to runs: state must outlive
-- the run history when old runs are pruned.
CREATE TABLE stream_state (
  source_key TEXT NOT NULL,
  stream_key TEXT NOT NULL,
  position TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  run_id TEXT,
  PRIMARY KEY (source_key, stream_key)
);
