-- Briefing client store, migration 004: the plain-feed size cap `init --max-feed-mb` sets, and how many
-- warnings the last sync gave (`briefing status`). Never edit once landed: add 005_… instead.
-- (003 is another change's number; migrations apply in name order, and a gap is fine.)

-- The largest plain-feed document a sync downloads, in bytes; NULL means the built-in default.
ALTER TABLE sync_meta ADD COLUMN max_feed_bytes INTEGER CHECK (max_feed_bytes IS NULL OR max_feed_bytes > 0);
-- Items skipped, fields dropped and backfill pages lost in the last completed sync.
ALTER TABLE sync_meta ADD COLUMN last_sync_warnings INTEGER NOT NULL DEFAULT 0;
