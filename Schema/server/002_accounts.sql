-- Briefing mock server store, migration 002: reader state per account. Never edit once landed.
-- Articles stay shared; read/starred state, seen mutation ids, idempotency records and the push counters
-- belong to one account. Rows that existed before belong to the account `default` (the one account of a
-- server without --accounts). The sequence stays one and global: a pull of one account skips the numbers
-- other accounts' state changes took (see Schema/protocol.md §1).

CREATE TABLE field_state_by_account (
    account    TEXT NOT NULL,
    article_id TEXT NOT NULL REFERENCES article(id) ON DELETE CASCADE,
    field      TEXT NOT NULL CHECK (field IN ('read', 'starred')),
    value      INTEGER NOT NULL,
    changed_at INTEGER NOT NULL,
    device     TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (account, article_id, field)
);
INSERT INTO field_state_by_account (account, article_id, field, value, changed_at, device, seq)
    SELECT 'default', article_id, field, value, changed_at, device, seq FROM field_state;
DROP TABLE field_state;
ALTER TABLE field_state_by_account RENAME TO field_state;
CREATE INDEX field_state_by_account_seq ON field_state(account, seq);
CREATE INDEX field_state_by_article ON field_state(article_id);

CREATE TABLE seen_mutation_by_account (
    account     TEXT NOT NULL,
    mutation_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    result_json TEXT NOT NULL,
    PRIMARY KEY (account, mutation_id)
);
INSERT INTO seen_mutation_by_account SELECT 'default', mutation_id, status, result_json FROM seen_mutation;
DROP TABLE seen_mutation;
ALTER TABLE seen_mutation_by_account RENAME TO seen_mutation;

CREATE TABLE idempotency_record_by_account (
    account         TEXT NOT NULL,
    key             TEXT NOT NULL,
    request_body    BLOB NOT NULL,
    response_status INTEGER NOT NULL,
    response_body   BLOB NOT NULL,
    PRIMARY KEY (account, key)
);
INSERT INTO idempotency_record_by_account
    SELECT 'default', key, request_body, response_status, response_body FROM idempotency_record;
DROP TABLE idempotency_record;
ALTER TABLE idempotency_record_by_account RENAME TO idempotency_record;

-- The counters `GET /admin/state?account=A` reports, one row per account that ever pushed.
CREATE TABLE account_counters (
    account             TEXT PRIMARY KEY NOT NULL,
    mutations_applied   INTEGER NOT NULL DEFAULT 0,
    mutations_duplicate INTEGER NOT NULL DEFAULT 0,
    mutations_conflict  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO account_counters (account, mutations_applied, mutations_duplicate, mutations_conflict)
    SELECT 'default', mutations_applied, mutations_duplicate, mutations_conflict FROM server_state
    WHERE mutations_applied + mutations_duplicate + mutations_conflict > 0;
ALTER TABLE server_state DROP COLUMN mutations_applied;
ALTER TABLE server_state DROP COLUMN mutations_duplicate;
ALTER TABLE server_state DROP COLUMN mutations_conflict;
