import Foundation
import GRDB
import BriefingModel

/// What a reader does to an article: each action sets one field.
public enum MarkAction: String, CaseIterable, Sendable {
    case read, unread, star, unstar

    public var field: StateField { self == .read || self == .unread ? .read : .starred }
    public var value: Bool { self == .read || self == .star }
}

/// A local mark waiting in the outbox, as the push sends it.
public struct PendingMark: Hashable, Sendable {
    public var articleID: String
    public var field: StateField
    public var state: FieldState
    public var mutationID: String
    public var baseRev: Int64
}

extension BriefingStore {
    /// Applies `action` to the referenced articles (ids or handles), or to every article when `references`
    /// is nil, and queues one pending mark per changed article — all in one transaction. Articles already
    /// in that state are left alone. Returns how many changed.
    ///
    /// Marks on a plain-feed store or an archived article stay local: there is no server to tell.
    @discardableResult
    public func mark(_ action: MarkAction, _ references: [String]?, wallClock: Timestamp = .now) throws(StoreError) -> Int {
        try write { db in
            guard var settings = try Self.settings(db) else { throw StoreError.notInitialised(path: path) }
            let ids = try references.map { try resolve($0, db) }
                ?? String.fetchAll(db, sql: "SELECT id FROM article ORDER BY handle")
            let queueMarks = settings.serverKind != .feed
            var changed = 0
            for id in Set(ids).sorted() {
                // Runs once per article (a million for `mark --all` on a large store): prepared once, and
                // columns read by position.
                let current = try Row.fetchOne(db.cachedStatement(sql: """
                    SELECT a.archived, s.value, s.server_rev FROM article a
                    LEFT JOIN article_state s ON s.article_id = a.id AND s.field = ?
                    WHERE a.id = ?
                    """), arguments: [action.field.rawValue, id])!
                if (current[1] as Bool?) ?? false == action.value { continue }
                let serverRev: Int64 = current[2] ?? 0
                let time = settings.clock.tick(wallClock: settings.markClock(wallClock))
                let state = FieldState(value: action.value, changedAt: time, device: settings.device)
                try Self.storeState(id, action.field, state, serverRev: serverRev, db)
                if queueMarks && !(current[0] as Bool) {
                    try Self.queueMark(id, action.field, state, baseRev: serverRev, db)
                }
                changed += 1
            }
            try Self.saveClock(settings.clock, db)
            return changed
        }
    }

    /// Writes a field's local state, keeping the server revision it was based on.
    static func storeState(_ id: String, _ field: StateField, _ state: FieldState, serverRev: Int64, _ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO article_state (article_id, field, value, changed_at, device, server_rev)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (article_id, field) DO UPDATE SET value = excluded.value,
                changed_at = excluded.changed_at, device = excluded.device, server_rev = excluded.server_rev
            """).execute(arguments: [id, field.rawValue, state.value, state.changedAt.milliseconds, state.device, serverRev])
    }

    /// Puts a mark in the outbox: one row per article and field, a new mark replacing the one before with a
    /// fresh mutation id (so a push of the old one in flight cannot settle it).
    static func queueMark(_ id: String, _ field: StateField, _ state: FieldState, baseRev: Int64, _ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO pending_mark (article_id, field, value, changed_at, mutation_id, base_rev, in_flight)
            VALUES (?, ?, ?, ?, ?, ?, 0)
            ON CONFLICT (article_id, field) DO UPDATE SET value = excluded.value,
                changed_at = excluded.changed_at, mutation_id = excluded.mutation_id,
                base_rev = excluded.base_rev, in_flight = 0
            """).execute(arguments: [id, field.rawValue, state.value, state.changedAt.milliseconds,
                                     UUID().uuidString.lowercased(), baseRev])
    }

    static func saveClock(_ clock: HybridClock, _ db: Database) throws {
        try db.cachedStatement(sql: "UPDATE sync_meta SET clock_latest = max(clock_latest, ?) WHERE singleton = 1")
            .execute(arguments: [clock.latest.milliseconds])
    }

    /// Every pending mark, oldest first (for `status`, tests and tools).
    public func pendingMarks() throws(StoreError) -> [PendingMark] {
        try read { db in try Self.pendingMarks(db, sql: "SELECT * FROM pending_mark ORDER BY changed_at, article_id") }
    }

    /// `sql` is a literal: its prepared statement is cached, as the settling of a push and the pull's
    /// per-article look-up run it once per mark or article.
    static func pendingMarks(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [PendingMark] {
        let device = try String.fetchOne(db.cachedStatement(sql: "SELECT device FROM sync_meta WHERE singleton = 1")) ?? ""
        // Columns by position after one look-up of their names: a push settles up to 1000 marks at a time,
        // and reading a row by name costs a case-insensitive search per column.
        let statement = try db.cachedStatement(sql: sql)
        let column = { (name: String) in statement.index(ofColumn: name)! }
        let (articleID, field, value, changedAt, mutationID, baseRev) = (
            column("article_id"), column("field"), column("value"), column("changed_at"), column("mutation_id"),
            column("base_rev"))
        return try Row.fetchAll(statement, arguments: arguments).map { row in
            PendingMark(articleID: row[articleID], field: StateField(rawValue: row[field]) ?? .read,
                        state: FieldState(value: row[value], changedAt: Timestamp(milliseconds: row[changedAt]),
                                          device: device),
                        mutationID: row[mutationID], baseRev: row[baseRev])
        }
    }
}
