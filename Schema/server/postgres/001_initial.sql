-- Briefing mock server store on PostgreSQL, migration 001. Never edit once landed: add 002_… instead.
-- The same data as the SQLite store (Schema/server/*.sql after 002), shared by every server instance that
-- names this database with --database. Times are milliseconds since the Unix epoch (UTC).

-- The single row of server-wide numbers. Every transaction that takes sequence numbers (a push, a publish,
-- a delete, a device mark, a reset) first locks this row (SELECT … FOR UPDATE) and writes the new
-- `sequence` back before it commits: writers on every instance are serialized here, so sequence numbers
-- are committed in the order they are handed out and a pull never skips a change that commits later with
-- a lower number.
CREATE TABLE server_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    sequence    BIGINT NOT NULL DEFAULT 0,
    -- Tokens carry the epoch they were issued in; bumping it expires every token issued so far.
    token_epoch BIGINT NOT NULL
);

-- One row per article ever published; a delete keeps the row as a tombstone. Shared by all accounts.
CREATE TABLE article (
    id          TEXT PRIMARY KEY,
    -- The JSON Feed item as published, without `_briefing`.
    item_json   TEXT NOT NULL,
    title       TEXT,
    revision    BIGINT NOT NULL,
    -- The sequence number of the latest insert or update of the content.
    content_seq BIGINT NOT NULL,
    deleted     BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_seq BIGINT
);
CREATE INDEX article_by_content_seq ON article(content_seq);
CREATE INDEX article_by_deleted_seq ON article(deleted_seq);

-- The current read/starred state of each article for each account; `seq` is its revision (`rev`).
CREATE TABLE field_state (
    account    TEXT NOT NULL,
    article_id TEXT NOT NULL REFERENCES article(id) ON DELETE CASCADE,
    field      TEXT NOT NULL CHECK (field IN ('read', 'starred')),
    value      BOOLEAN NOT NULL,
    changed_at BIGINT NOT NULL,
    device     TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    PRIMARY KEY (account, article_id, field)
);
CREATE INDEX field_state_by_account_seq ON field_state(account, seq);

-- Every mutation id judged so far, per account: a retried mutation is answered `duplicate`, never applied
-- twice. The primary key is what makes that hold between instances.
CREATE TABLE seen_mutation (
    account     TEXT NOT NULL,
    mutation_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    result_json TEXT NOT NULL,
    PRIMARY KEY (account, mutation_id)
);

-- Each Idempotency-Key of an account with the exact request body and the response it got.
CREATE TABLE idempotency_record (
    account         TEXT NOT NULL,
    key             TEXT NOT NULL,
    request_body    BYTEA NOT NULL,
    response_status INTEGER NOT NULL,
    response_body   BYTEA NOT NULL,
    PRIMARY KEY (account, key)
);

-- The push counters of each account that ever pushed.
CREATE TABLE account_counters (
    account             TEXT PRIMARY KEY,
    mutations_applied   BIGINT NOT NULL DEFAULT 0,
    mutations_duplicate BIGINT NOT NULL DEFAULT 0,
    mutations_conflict  BIGINT NOT NULL DEFAULT 0
);
