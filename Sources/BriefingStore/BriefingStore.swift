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
    /// A store whose file or directory cannot be written (a read-only mount, a backup snapshot) opens
    /// read-only: reading works, and every write throws `StoreError.readOnly`.
    ///
    /// - Parameter create: make a new store (mode 0600, parent directories 0700) when none exists; when
    ///   false a missing file is `StoreError.notInitialised`.
    /// - Throws: `.corrupt` for a file that is not a SQLite database (checked before SQLite touches it),
    ///   `.newerSchema` for a store with migrations this binary does not know, `.readOnly` for a read-only
    ///   store that would need a migration.
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
                if access(StoreError.directory(of: path), W_OK) != 0 { throw .readOnly(path: path) }
                throw .io(path: path, detail: "cannot create the file: \(String(cString: strerror(errno)))")
            }
        } else {
            throw .notInitialised(path: path)
        }

        let access = StoreAccess(path: path)
        var configuration = Configuration()
        configuration.busyMode = .callback(Self.pollingBusyWait(timeout: busyTimeout))
        configuration.foreignKeysEnabled = true
        configuration.readonly = access != .readWrite
        if access == .readWrite {
            configuration.prepareDatabase { db in
                // WAL lets a reader list articles while a sync writes a page. FULL syncs the log at every
                // commit, so a mark `briefing mark` has acknowledged survives a power loss (NORMAL syncs
                // only at checkpoints); it costs one fdatasync per transaction (docs/BENCHMARKS.md).
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
        }
        do {
            let queue = try DatabaseQueue(path: access.sqlitePath(path), configuration: configuration)
            let migrator = Self.migrator
            let complete = try queue.read { db in
                let applied = try migrator.appliedIdentifiers(db)
                let known = Set(ClientSchema.migrations.map(\.name))
                let unknown = applied.subtracting(known).sorted()
                if !unknown.isEmpty { throw StoreError.newerSchema(path: path, unknown: unknown) }
                return try migrator.hasCompletedMigrations(db)
            }
            // A current store is not written on open: reading commands never wait for a writer's lock.
            if !complete {
                guard access == .readWrite else { throw StoreError.readOnly(path: path) }
                try migrator.migrate(queue)
            }
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

    /// How SQLite may open the store.
    enum StoreAccess {
        case readWrite
        /// The file or its directory cannot be written; SQLite still reads (and locks) through the
        /// write-ahead log and its -shm index when they are there.
        case readOnly
        /// On a read-only filesystem with no write-ahead log: SQLite cannot create the -shm index it needs
        /// to read a WAL store, and nothing can change the file through this mount, so it reads the file
        /// as immutable (no locks, no -shm). With a -wal present that would hide the log's commits, so
        /// such a store opens `.readOnly` instead.
        case immutable

        init(path: String) {
            if access(path, W_OK) == 0 && access(StoreError.directory(of: path), W_OK) == 0 {
                self = .readWrite
                return
            }
            var filesystem = statvfs()
            let readOnlyFilesystem = statvfs(path, &filesystem) == 0 && filesystem.f_flag & UInt(ST_RDONLY) != 0
            self = readOnlyFilesystem && !FileManager.default.fileExists(atPath: path + "-wal") ? .immutable : .readOnly
        }

        /// The name to hand SQLite: a `file:` URI with `immutable=1` for an immutable store.
        func sqlitePath(_ path: String) -> String {
            guard self == .immutable else { return path }
            var allowed = CharacterSet.urlPathAllowed
            allowed.remove(charactersIn: "?#%")
            let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
            return "file:" + (absolute.addingPercentEncoding(withAllowedCharacters: allowed) ?? absolute) + "?immutable=1"
        }
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
        self.init(sqliteCode: error.resultCode.rawValue, message: error.message, path: path)
    }
}
