-- Briefing client store, migration 002: the settings `briefing config` changes without re-init, and what
-- the last sync said. Never edit once landed: add 003_… instead.

-- Seconds allowed for one request and for retrying a failing one; NULL means the built-in default.
ALTER TABLE sync_meta ADD COLUMN request_timeout REAL CHECK (request_timeout IS NULL OR request_timeout > 0);
ALTER TABLE sync_meta ADD COLUMN retry_budget REAL CHECK (retry_budget IS NULL OR retry_budget >= 0);
-- The notes and warnings of the last completed sync, as a JSON array of strings (`briefing doctor`).
ALTER TABLE sync_meta ADD COLUMN last_sync_messages TEXT NOT NULL DEFAULT '[]';

-- `prune --conflicts-older-than` deletes by age.
CREATE INDEX conflict_log_by_time ON conflict_log (resolved_at);
