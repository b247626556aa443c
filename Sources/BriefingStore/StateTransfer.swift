import Foundation
import GRDB
import BriefingModel

/// An article's reader state as `briefing export` writes it and `briefing import-state` reads it: the
/// article named by id and url (the url finds it in a store whose server gave it another id).
public struct ExportedState: Hashable, Sendable {
    public var articleID: String
    public var url: String?
    public var states: [StateField: FieldState]

    public init(articleID: String, url: String?, states: [StateField: FieldState]) {
        self.articleID = articleID
        self.url = url
        self.states = states
    }
}

/// What `importStates` did with each field it was given.
public struct StateImportTally: Hashable, Sendable {
    /// Fields set here and queued for the next push.
    public var applied = 0
    /// Fields that already held the imported value.
    public var unchanged = 0
    /// Fields whose local state won under the store's conflict rule (a later local change).
    public var kept = 0
    /// Articles neither id nor url found here, by exported id.
    public var unknown: [String] = []
    public init() {}
}

extension BriefingStore {
    /// Every article's read/starred state that has ever been set, in handle order.
    public func exportStates() throws(StoreError) -> [ExportedState] {
        try read { db in
            var exported: [ExportedState] = []
            let rows = try Row.fetchAll(db, sql: """
                SELECT a.id, a.url, s.field, s.value, s.changed_at, s.device
                FROM article_state s JOIN article a ON a.id = s.article_id
                ORDER BY a.handle, s.field
                """)
            for row in rows {
                guard let field = StateField(rawValue: row["field"]) else { continue }
                let state = FieldState(value: row["value"], changedAt: Timestamp(milliseconds: row["changed_at"]),
                                       device: row["device"])
                let id: String = row["id"]
                if exported.last?.articleID == id {
                    exported[exported.count - 1].states[field] = state
                } else {
                    exported.append(ExportedState(articleID: id, url: row["url"], states: [field: state]))
                }
            }
            return exported
        }
    }

    /// Applies exported states as local marks, in one transaction: each article is found by id, else by
    /// url; each field whose imported state wins against the local one under the store's rule is set and
    /// queued in the outbox with its original `changed_at`, so the next sync pushes it and the server's
    /// rules judge it like any other mark. Marks on a plain-feed store or an archived article stay local.
    public func importStates(_ states: [ExportedState]) throws(StoreError) -> StateImportTally {
        try write { db in
            guard var settings = try Self.settings(db) else { throw StoreError.notInitialised(path: path) }
            let queueMarks = settings.serverKind != .feed
            var tally = StateImportTally()
            for exported in states {
                guard let id = try Self.localID(of: exported, db) else {
                    tally.unknown.append(exported.articleID)
                    continue
                }
                for field in StateField.allCases {
                    guard let imported = exported.states[field] else { continue }
                    let row = try Row.fetchOne(db, sql: """
                        SELECT a.archived, s.value, s.changed_at, s.device, s.server_rev FROM article a
                        LEFT JOIN article_state s ON s.article_id = a.id AND s.field = ?
                        WHERE a.id = ?
                        """, arguments: [field.rawValue, id])!
                    let current = (row["value"] as Bool?).map { value in
                        FieldState(value: value, changedAt: Timestamp(milliseconds: row["changed_at"]), device: row["device"])
                    }
                    if (current?.value ?? false) == imported.value {  // a field never set reads as false
                        tally.unchanged += 1
                        continue
                    }
                    let incoming = FieldState(value: imported.value, changedAt: imported.changedAt, device: settings.device)
                    let verdict = settings.policy.rule(for: field).resolve(incoming: incoming, current: current, concurrent: true)
                    guard verdict.winner == .incoming else {
                        tally.kept += 1
                        continue
                    }
                    settings.clock.observe(imported.changedAt)
                    let serverRev: Int64 = row["server_rev"] ?? 0
                    try Self.storeState(id, field, incoming, serverRev: serverRev, db)
                    if queueMarks && !(row["archived"] as Bool) {
                        try Self.queueMark(id, field, incoming, baseRev: serverRev, db)
                    }
                    tally.applied += 1
                }
            }
            try Self.saveClock(settings.clock, db)
            return tally
        }
    }

    private static func localID(of exported: ExportedState, _ db: Database) throws -> String? {
        if let id = try String.fetchOne(db, sql: "SELECT id FROM article WHERE id = ?", arguments: [exported.articleID]) {
            return id
        }
        guard let url = exported.url else { return nil }
        return try String.fetchOne(db, sql: "SELECT id FROM article WHERE url = ? ORDER BY handle LIMIT 1", arguments: [url])
    }
}
