import Foundation
import GRDB

/// The right to sync one store, held by at most one sync at a time — in this process or any other.
///
/// It is an exclusive transaction on a small SQLite file beside the store (`STORE.sync-lock`): SQLite's own
/// file locking keeps out a second connection, whether it is in another process or this one, on every
/// platform SQLite runs on, and the operating system drops the lock when a process dies, so a killed sync
/// never leaves the store locked. Release it when the sync ends; `deinit` releases it too.
public final class SyncLease: Sendable {
    private let queue: DatabaseQueue

    init(queue: DatabaseQueue) {
        self.queue = queue
    }

    deinit { release() }

    /// Gives the lease up; calling it again does nothing.
    public func release() {
        try? queue.writeWithoutTransaction { db in
            if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") }
        }
    }
}

extension BriefingStore {
    /// The lock file beside the store.
    public var syncLockPath: String { path + ".sync-lock" }

    /// Takes the store's sync lease, or throws `.busy` at once when another sync holds it.
    public func acquireSyncLease() throws(StoreError) -> SyncLease {
        let lockPath = syncLockPath
        if !FileManager.default.fileExists(atPath: lockPath) {
            _ = FileManager.default.createFile(atPath: lockPath, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        var configuration = Configuration()
        configuration.busyMode = .immediateError
        // The transaction deliberately outlives the call that opens it: it is the lease.
        configuration.allowsUnsafeTransactions = true
        configuration.label = "briefing.sync-lease"
        do {
            let queue = try DatabaseQueue(path: lockPath, configuration: configuration)
            try queue.writeWithoutTransaction { db in try db.execute(sql: "BEGIN EXCLUSIVE") }
            return SyncLease(queue: queue)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
            throw .syncInProgress
        } catch {
            throw StoreError(error, path: lockPath)
        }
    }
}
