import Foundation
import GRDB
import BriefingModel

/// What `briefing doctor` reads from a store besides its integrity: schema, outbox, size.
public struct StoreHealth: Hashable, Sendable {
    /// The migrations applied, in order (`001_initial`, …).
    public var migrations: [String]
    /// The migrations this binary knows.
    public var knownMigrations: [String]
    /// Pending marks flagged as on the wire.
    public var inFlight: Int
    /// Pending marks whose article is not in the store (the foreign key should make this impossible).
    public var pendingWithoutArticle: Int
    /// Bytes of the database file plus its write-ahead log.
    public var bytes: Int64
}

extension BriefingStore {
    /// Empties the conflict log in one transaction; returns how many entries went.
    public func clearConflicts() throws(StoreError) -> Int {
        try write { db in
            try db.execute(sql: "DELETE FROM conflict_log")
            return db.changesCount
        }
    }

    /// Removes conflict log entries resolved more than `days` days before `now`.
    public func pruneConflicts(olderThanDays days: Int, now: Timestamp = .now) throws(StoreError) -> Int {
        let cutoff = now.milliseconds - Int64(days) * 86_400_000
        return try write { db in
            try db.execute(sql: "DELETE FROM conflict_log WHERE resolved_at < ?", arguments: [cutoff])
            return db.changesCount
        }
    }

    /// Reads the schema, outbox and size figures `doctor` reports; changes nothing.
    public func health() throws(StoreError) -> StoreHealth {
        let migrations = try read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
        }
        let (inFlight, orphans) = try read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM pending_mark WHERE in_flight = 1") ?? 0,
             try Int.fetchOne(db, sql: """
                SELECT count(*) FROM pending_mark p WHERE NOT EXISTS (SELECT 1 FROM article a WHERE a.id = p.article_id)
                """) ?? 0)
        }
        let bytes = [path, path + "-wal"].reduce(Int64(0)) { total, file in
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value
            return total + (size ?? 0)
        }
        return StoreHealth(migrations: migrations, knownMigrations: ClientSchema.migrations.map(\.name),
                           inFlight: inFlight, pendingWithoutArticle: orphans, bytes: bytes)
    }
}
