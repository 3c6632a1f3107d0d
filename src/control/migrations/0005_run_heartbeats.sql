-- Who runs a run, and its heartbeat. A run's process records itself (`host pid N`) and updates
-- heartbeat_at every few seconds while it runs; a `running` run whose heartbeat stopped (its
-- process was killed, crashed or lost its machine) is marked `abandoned` instead of showing as
-- running forever (runs-repository.ts, markAbandoned). Older rows have neither: their start time
-- stands in for the heartbeat.
ALTER TABLE runs ADD COLUMN holder TEXT;
ALTER TABLE runs ADD COLUMN heartbeat_at TEXT
