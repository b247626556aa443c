-- Briefing client store, migration 001. Never edit once landed: add 002_… instead.
-- Times are milliseconds since the Unix epoch (UTC); booleans are 0/1.

-- One row per article the device holds. `handle` is the short local name `list` prints;
-- AUTOINCREMENT keeps handles from being reused after a delete.
CREATE TABLE article (
    handle          INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    url             TEXT,
    external_url    TEXT,
    title           TEXT,
    summary         TEXT,
    content_html    TEXT,
    content_text    TEXT,
    -- What search indexes as the body: content_text, or content_html rendered to text.
    body_text       TEXT NOT NULL DEFAULT '',
    image           TEXT,
    date_published  INTEGER,
    date_modified   INTEGER,
    authors_json    TEXT NOT NULL DEFAULT '[]',
    tags_json       TEXT NOT NULL DEFAULT '[]',
    language        TEXT,
    -- The server's content revision of the copy held here.
    revision        INTEGER NOT NULL DEFAULT 0,
    -- Deleted on the server but kept because it was starred.
    archived        INTEGER NOT NULL DEFAULT 0,
    -- The full-resync pass that last saw this article; older ones are gone from the server.
    sync_generation INTEGER NOT NULL DEFAULT 0,
    -- When this copy arrived; sorts articles without a date_published.
    received_at     INTEGER NOT NULL
);
CREATE INDEX article_by_date ON article (coalesce(date_published, received_at) DESC, handle DESC);

-- Reader state, one row per article and field that has ever been set.
CREATE TABLE article_state (
    article_id  TEXT NOT NULL REFERENCES article (id) ON DELETE CASCADE,
    field       TEXT NOT NULL CHECK (field IN ('read', 'starred')),
    value       INTEGER NOT NULL CHECK (value IN (0, 1)),
    changed_at  INTEGER NOT NULL,
    device      TEXT NOT NULL,
    -- The server's revision of this field as last seen here: a pushed mark names it as base_rev.
    server_rev  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (article_id, field)
) WITHOUT ROWID;
CREATE INDEX article_state_set ON article_state (field, value, article_id);

-- The outbox: local marks not yet acknowledged by the server. One row per article and field:
-- marking again replaces the row (new value, time and mutation id).
CREATE TABLE pending_mark (
    article_id   TEXT NOT NULL REFERENCES article (id) ON DELETE CASCADE,
    field        TEXT NOT NULL CHECK (field IN ('read', 'starred')),
    value        INTEGER NOT NULL CHECK (value IN (0, 1)),
    changed_at   INTEGER NOT NULL,
    mutation_id  TEXT NOT NULL UNIQUE,
    base_rev     INTEGER NOT NULL,
    -- Set while a push carrying this row is on the wire; cleared on failure and at the start of a sync.
    in_flight    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (article_id, field)
) WITHOUT ROWID;

-- Where this store syncs from and how far it got. Exactly one row.
CREATE TABLE sync_meta (
    singleton           INTEGER PRIMARY KEY CHECK (singleton = 1),
    device              TEXT NOT NULL,
    server_url          TEXT,
    -- 'briefing' for a Briefing protocol server, 'feed' for a plain JSON Feed.
    server_kind         TEXT CHECK (server_kind IN ('briefing', 'feed')),
    token_file          TEXT,
    ca_file             TEXT,
    allow_insecure_http INTEGER NOT NULL DEFAULT 0,
    change_token        TEXT,
    last_sync           INTEGER,
    -- The hybrid logical clock: the latest time issued or observed.
    clock_latest        INTEGER NOT NULL DEFAULT 0,
    -- Full resync: the pass number, and whether one is under way (resumed after a crash).
    resync_generation   INTEGER NOT NULL DEFAULT 0,
    resync_in_progress  INTEGER NOT NULL DEFAULT 0,
    -- HTTP validators of a plain feed's last fetch.
    feed_etag           TEXT,
    feed_last_modified  TEXT
);

-- Conflict rules per field (FIELD=RULE); fields not listed use last-writer-wins.
CREATE TABLE sync_policy (
    field TEXT PRIMARY KEY CHECK (field IN ('read', 'starred')),
    rule  TEXT NOT NULL
) WITHOUT ROWID;

-- Every conflict settled here, with both sides, the winner and the rule.
CREATE TABLE conflict_log (
    id               INTEGER PRIMARY KEY,
    article_id       TEXT NOT NULL,
    -- 'read', 'starred', or 'article' for a server delete against a local star.
    field            TEXT NOT NULL,
    local_value      TEXT NOT NULL,
    local_changed_at INTEGER,
    local_device     TEXT,
    server_value     TEXT NOT NULL,
    server_changed_at INTEGER,
    server_device    TEXT,
    winner           TEXT NOT NULL CHECK (winner IN ('local', 'server')),
    rule             TEXT NOT NULL,
    resolved_at      INTEGER NOT NULL
);

-- Full-text search over title, summary and body, ranked by bm25; kept in step by triggers.
CREATE VIRTUAL TABLE article_fts USING fts5 (
    title, summary, body_text,
    content = 'article', content_rowid = 'handle',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER article_fts_insert AFTER INSERT ON article BEGIN
    INSERT INTO article_fts (rowid, title, summary, body_text)
    VALUES (new.handle, coalesce(new.title, ''), coalesce(new.summary, ''), new.body_text);
END;
CREATE TRIGGER article_fts_delete AFTER DELETE ON article BEGIN
    INSERT INTO article_fts (article_fts, rowid, title, summary, body_text)
    VALUES ('delete', old.handle, coalesce(old.title, ''), coalesce(old.summary, ''), old.body_text);
END;
CREATE TRIGGER article_fts_update AFTER UPDATE OF title, summary, body_text ON article BEGIN
    INSERT INTO article_fts (article_fts, rowid, title, summary, body_text)
    VALUES ('delete', old.handle, coalesce(old.title, ''), coalesce(old.summary, ''), old.body_text);
    INSERT INTO article_fts (rowid, title, summary, body_text)
    VALUES (new.handle, coalesce(new.title, ''), coalesce(new.summary, ''), new.body_text);
END;
