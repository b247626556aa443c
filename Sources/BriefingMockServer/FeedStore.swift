import BriefingModel
import BriefingProtocol
import Foundation
import GRDB

/// The mock server's embedded store: articles, each account's reader state, the change sequence, seen
/// mutations and idempotency records, in SQLite through GRDB. In memory unless given a path (then on disk,
/// in WAL mode). One process only: SQLite's single writer serializes the sequence.
///
/// Every logical change is one write transaction; every content write, applied state change and delete
/// takes the next number of the one global sequence.
public final class FeedStore: FeedStorage {
    let writer: any DatabaseWriter

    /// Opens (and migrates) the store at `path`, or a fresh in-memory store when `path` is nil.
    public init(path: String? = nil) throws {
        if let path {
            writer = try DatabasePool(path: path)
        } else {
            writer = try DatabaseQueue()
        }
        var migrator = DatabaseMigrator()
        for migration in ServerSchema.migrations {
            migrator.registerMigration(migration.name) { db in try db.execute(sql: migration.sql) }
        }
        try migrator.migrate(writer)
        try writer.write { db in
            // A random first epoch: a token from another server instance (say an earlier in-memory run)
            // is answered 410 instead of silently skipping this instance's first changes.
            try db.execute(sql: "INSERT OR IGNORE INTO server_state (id, token_epoch) VALUES (1, ?)",
                           arguments: [Int64.random(in: 1...1_000_000_000)])
        }
    }

    /// True when no article was ever stored: seeds are loaded then.
    public func isEmpty() async throws -> Bool {
        try await writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM article)") ?? true
        }
    }

    /// The token for the current end of the sequence: a pull with it returns nothing until the next change.
    public func currentToken() async throws -> ChangeToken {
        try await writer.read { db in try Self.counters(db).token }
    }

    public func close() async {}
}

/// The single `server_state` row.
struct ServerCounters: Sendable {
    var sequence: Int64
    var epoch: Int64

    var token: ChangeToken { ChangeToken(epoch: epoch, sequence: sequence) }
}

/// One account's push counters, as `GET /admin/state` reports them.
struct AccountCounters: Sendable {
    var applied: Int64 = 0
    var duplicate: Int64 = 0
    var conflict: Int64 = 0

    mutating func count(_ status: MutationStatus) {
        switch status {
        case .applied: applied += 1
        case .duplicate: duplicate += 1
        case .conflict: conflict += 1
        case .gone: break
        }
    }
}

extension FeedStore {
    static func counters(_ db: Database) throws -> ServerCounters {
        let row = try Row.fetchOne(db, sql: "SELECT sequence, token_epoch FROM server_state WHERE id = 1")!
        return ServerCounters(sequence: row[0], epoch: row[1])
    }

    static func accountCounters(_ db: Database, account: String) throws -> AccountCounters {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT mutations_applied, mutations_duplicate, mutations_conflict FROM account_counters WHERE account = ?
            """, arguments: [account]) else { return AccountCounters() }
        return AccountCounters(applied: row[0], duplicate: row[1], conflict: row[2])
    }

    /// Adds one push's counts to the account's counters.
    static func addCounters(_ db: Database, account: String, _ counts: AccountCounters) throws {
        try db.cachedStatement(sql: """
            INSERT INTO account_counters (account, mutations_applied, mutations_duplicate, mutations_conflict)
            VALUES (?, ?, ?, ?)
            ON CONFLICT (account) DO UPDATE SET
                mutations_applied = mutations_applied + excluded.mutations_applied,
                mutations_duplicate = mutations_duplicate + excluded.mutations_duplicate,
                mutations_conflict = mutations_conflict + excluded.mutations_conflict
            """).execute(arguments: [account, counts.applied, counts.duplicate, counts.conflict])
    }

    /// Takes the next number of the global sequence.
    static func nextSequence(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "UPDATE server_state SET sequence = sequence + 1 WHERE id = 1 RETURNING sequence"))!
    }

    /// The current state of one field of one article for one account, with its revision.
    static func state(_ db: Database, account: String, article: String, field: StateField) throws -> StateRecord? {
        // Once per pushed mark: columns by position (by name, GRDB searches each case-insensitively).
        try Row.fetchOne(db.cachedStatement(sql: """
            SELECT value, changed_at, device, seq FROM field_state WHERE account = ? AND article_id = ? AND field = ?
            """), arguments: [account, article, field.rawValue]).map { row in
            StateRecord(value: row[0], changedAt: Timestamp(milliseconds: row[1]), device: row[2], rev: row[3])
        }
    }

    static func stateRecord(_ row: Row) -> StateRecord {
        StateRecord(value: row["value"], changedAt: Timestamp(milliseconds: row["changed_at"]),
                    device: row["device"], rev: row["seq"])
    }

    /// Stores `state` as the field's current state under a new sequence number and returns it with its rev.
    static func storeState(_ db: Database, account: String, article: String, field: StateField,
                           state: FieldState) throws -> StateRecord {
        let seq = try nextSequence(db)
        try db.cachedStatement(sql: """
            INSERT INTO field_state (account, article_id, field, value, changed_at, device, seq)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (account, article_id, field) DO UPDATE SET
                value = excluded.value, changed_at = excluded.changed_at, device = excluded.device, seq = excluded.seq
            """).execute(arguments: [account, article, field.rawValue, state.value, state.changedAt.milliseconds,
                                     state.device, seq])
        return StateRecord(state, rev: seq)
    }

    /// Whether the article exists and is not deleted.
    static func isLive(_ db: Database, article: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT deleted = 0 FROM article WHERE id = ?"), arguments: [article]) ?? false
    }
}
