import Foundation

/// Why the store refused an operation, with enough context to tell the user what to do.
/// The CLI maps each case to one sysexits code.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No store file, or a store that was never pointed at a server.
    case notInitialised(path: String)
    /// The file was written by a newer Briefing: opening it could lose data.
    case newerSchema(path: String, unknown: [String])
    /// The file is not a SQLite database, or SQLite found it damaged. It is never written.
    case corrupt(path: String, detail: String)
    /// Another process holds the store past the busy timeout.
    case busy(detail: String)
    /// Another sync holds this store's sync lease.
    case syncInProgress
    /// The filesystem holding the store is full. The transaction that ran out of space was rolled back.
    case diskFull(path: String)
    /// The operating system failed a read or write of the store (a failing disk, a vanished mount).
    case io(path: String, detail: String)
    /// The store, or its directory, cannot be written: reading works, changing it does not.
    case readOnly(path: String)
    /// No article has this id or handle.
    case unknownArticle(String)
    /// A search query FTS5 cannot parse.
    case badQuery(String)
    /// Anything else SQLite reported.
    case database(String)

    public var description: String {
        switch self {
        case .notInitialised(let path):
            "no briefing store at \(path)"
        case .newerSchema(let path, let unknown):
            "store \(path) was written by a newer Briefing (schema \(unknown.joined(separator: ", "))); upgrade briefing"
        case .corrupt(let path, let detail):
            "store \(path) is unreadable or corrupt (\(detail)); it was left untouched"
        case .busy(let detail):
            "store is busy (\(detail)); try again"
        case .syncInProgress:
            "another sync is running on this store"
        case .diskFull(let path):
            "disk full writing the store \(path); nothing was half-written: free space on the filesystem holding \(Self.directory(of: path)) and try again"
        case .io(let path, let detail):
            "I/O error on the store \(path) (\(detail)); check the disk and that \(Self.directory(of: path)) is still mounted"
        case .readOnly(let path):
            "store is read-only: \(path) (or its directory) cannot be written; reading works, marking and syncing need write access"
        case .unknownArticle(let reference):
            "no article with id or handle '\(reference)'"
        case .badQuery(let detail):
            "malformed search query: \(detail)"
        case .database(let detail):
            "store error: \(detail)"
        }
    }
}

extension StoreError {
    /// Maps an SQLite error to what it means for the user, by its primary result code
    /// (https://sqlite.org/rescode.html). Anything not listed is `.database`: a bug, not the machine.
    init(sqliteCode code: Int32, message: String?, path: String) {
        let detail = message ?? "SQLite result code \(code)"
        switch code & 0xFF {
        case 11, 26:  // SQLITE_CORRUPT, SQLITE_NOTADB
            self = .corrupt(path: path, detail: detail)
        case 5, 6, 15:  // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_PROTOCOL (a lock race that outlasted the retries)
            self = .busy(detail: detail)
        case 13:  // SQLITE_FULL
            self = .diskFull(path: path)
        case 10, 14, 22:  // SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_NOLFS
            self = .io(path: path, detail: detail)
        case 8, 3:  // SQLITE_READONLY, SQLITE_PERM
            self = .readOnly(path: path)
        default:
            self = .database(detail)
        }
    }

    static func directory(of path: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? "." : directory
    }
}
