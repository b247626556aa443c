-- Briefing mock server store, migration 001. Never edit once landed: add 002_… instead.
-- Times are milliseconds since the Unix epoch (UTC); booleans are 0/1. Every content write, applied
-- state change and delete takes the next number of the one global sequence in `server_state`.

-- The single row of server-wide numbers: the sequence counter, the change-token epoch and the counters
-- `GET /admin/state` reports.
CREATE TABLE server_state (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    sequence            INTEGER NOT NULL DEFAULT 0,
    -- Tokens carry the epoch they were issued in; bumping it expires every token issued so far.
    token_epoch         INTEGER NOT NULL,
    mutations_applied   INTEGER NOT NULL DEFAULT 0,
    mutations_duplicate INTEGER NOT NULL DEFAULT 0,
    mutations_conflict  INTEGER NOT NULL DEFAULT 0
);

-- One row per article ever published; a delete keeps the row as a tombstone.
CREATE TABLE article (
    id          TEXT PRIMARY KEY NOT NULL,
    -- The JSON Feed item as published, without `_briefing`.
    item_json   TEXT NOT NULL,
    title       TEXT,
    revision    INTEGER NOT NULL,
    -- The sequence number of the latest insert or update of the content.
    content_seq INTEGER NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0,
    deleted_seq INTEGER
);
CREATE INDEX article_by_content_seq ON article(content_seq);
CREATE INDEX article_by_deleted_seq ON article(deleted_seq);

-- The current read/starred state of each article; `seq` is the state's revision (`rev` on the wire).
CREATE TABLE field_state (
    article_id TEXT NOT NULL REFERENCES article(id) ON DELETE CASCADE,
    field      TEXT NOT NULL CHECK (field IN ('read', 'starred')),
    value      INTEGER NOT NULL,
    changed_at INTEGER NOT NULL,
    device     TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (article_id, field)
);
CREATE INDEX field_state_by_seq ON field_state(seq);

-- Every mutation id judged so far, so a retried mutation is answered `duplicate` and never applied twice.
CREATE TABLE seen_mutation (
    mutation_id TEXT PRIMARY KEY NOT NULL,
    status      TEXT NOT NULL,
    result_json TEXT NOT NULL
);

-- Each Idempotency-Key with the exact request body and the response it got, replayed verbatim.
CREATE TABLE idempotency_record (
    key             TEXT PRIMARY KEY NOT NULL,
    request_body    BLOB NOT NULL,
    response_status INTEGER NOT NULL,
    response_body   BLOB NOT NULL
);
