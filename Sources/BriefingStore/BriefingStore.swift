import Foundation
import GRDB
import BriefingModel

/// The device's briefing cache: articles, reader state, the outbox of pending marks, sync settings and the
/// conflict log, in one SQLite file.
///
/// Open it with `BriefingStore.open(path:create:)`; every method runs in its own transaction, so each
/// logical change (a mark and its pending row, a pulled page and its change token) lands whole or not at all.
public final class BriefingStore: Sendable {
    public let path: String
    let queue: DatabaseQueue

    private init(path: String, queue: DatabaseQueue) {
        self.path = path
        self.queue = queue
    }

    /// Opens the store at `path`, migrating it to the current schema.
    ///
    /// - Parameter create: make a new store (mode 0600, parent directories 0700) when none exists; when
    ///   false a missing file is `StoreError.notInitialised`.
    /// - Throws: `.corrupt` for a file that is not a SQLite database (checked before SQLite touches it),
    ///   `.newerSchema` for a store with migrations this binary does not know.
    public static func open(path: String, create: Bool = false, busyTimeout: TimeInterval = 5) throws(StoreError) -> BriefingStore {
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: path) {
            try checkHeader(path: path)
        } else if create {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try? fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
            }
            guard fileManager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw .database("cannot create \(path)")
            }
        } else {
            throw .notInitialised(path: path)
        }

        var configuration = Configuration()
        configuration.busyMode = .callback(Self.pollingBusyWait(timeout: busyTimeout))
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            // WAL lets a reader list articles while a sync writes a page.
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            let migrator = Self.migrator
            try queue.read { db in
                let applied = try migrator.appliedIdentifiers(db)
                let known = Set(ClientSchema.migrations.map(\.name))
                let unknown = applied.subtracting(known).sorted()
                if !unknown.isEmpty { throw StoreError.newerSchema(path: path, unknown: unknown) }
            }
            try migrator.migrate(queue)
            return BriefingStore(path: path, queue: queue)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(error, path: path)
        }
    }

    /// Waits for another process's write lock by retrying every 2 ms, up to `timeout`.
    ///
    /// SQLite's own busy timeout backs off to 100 ms between tries, so a sync waiting behind a stream of
    /// `mark` processes (each holding the lock for a while, with a few milliseconds between them) could
    /// miss every gap and give up with "database is locked" although no single transaction came near the
    /// timeout. Polling often catches the gaps; the wait stays bounded.
    static func pollingBusyWait(timeout: TimeInterval) -> Database.BusyCallback {
        let interval: TimeInterval = 0.002
        let tries = max(1, Int(timeout / interval))
        return { numberOfTries in
            guard numberOfTries < tries else { return false }
            usleep(UInt32(interval * 1_000_000))
            return true
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for (name, sql) in ClientSchema.migrations {
            migrator.registerMigration(name) { db in try db.execute(sql: sql) }
        }
        return migrator
    }

    /// Refuses a file that does not start with SQLite's magic header, before SQLite opens (and might write) it.
    private static func checkHeader(path: String) throws(StoreError) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .corrupt(path: path, detail: "cannot read the file")
        }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        if header.isEmpty { return }  // an empty file is a new database
        guard header == Data("SQLite format 3\0".utf8) else {
            throw .corrupt(path: path, detail: "not a SQLite database")
        }
    }

    /// Runs `body` in one write transaction, mapping SQLite errors to `StoreError`.
    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try queue.write { db in try body(db) }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(error, path: path)
        }
    }

    /// Runs `body` in one read transaction, mapping SQLite errors to `StoreError`.
    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try queue.read { db in try body(db) }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(error, path: path)
        }
    }

    /// Runs `PRAGMA integrity_check`; "ok" when the file is sound.
    public func integrityCheck() throws(StoreError) -> String {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }

    /// Reclaims the space of deleted rows.
    public func vacuum() throws(StoreError) {
        do {
            try queue.vacuum()
        } catch {
            throw StoreError(error, path: path)
        }
    }
}

extension StoreError {
    init(_ error: Error, path: String) {
        guard let error = error as? DatabaseError else {
            self = .database(String(describing: error))
            return
        }
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            self = .corrupt(path: path, detail: error.message ?? "damaged")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            self = .busy(detail: error.message ?? "locked")
        default:
            self = .database(error.message ?? "\(error.resultCode)")
        }
    }
}
