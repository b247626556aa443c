-- Briefing client store, migration 005. Never edit once landed: add 006_… instead.

-- A push takes the oldest pending marks not in flight, 1000 at a time. Without this index every take
-- sorted the whole outbox: pushing a million marks (`mark read --all` on a large store) took 243 s, most
-- of it re-sorting what was left after each batch.
CREATE INDEX pending_mark_by_age ON pending_mark (in_flight, changed_at, article_id, field);
