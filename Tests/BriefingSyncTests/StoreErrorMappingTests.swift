import Testing
@testable import BriefingStore
import BriefingSync

/// Which SQLite result code (https://sqlite.org/rescode.html) becomes which `StoreError`. The `exit` column is
/// the sysexits code the CLI gives that case (one switch in Sources/briefing/Failure.swift; the end-to-end
/// tests see 74 and 75 from the real binary). 70 is for bugs only: what the machine did (a full disk, a failing
/// disk, a read-only mount, another process holding the lock) has its own code.
struct StoreErrorMappingTests {
    static let primaryCodes: [(code: Int32, name: String, error: String, exit: Int32)] = [
        (1, "SQLITE_ERROR", "database", 70),
        (2, "SQLITE_INTERNAL", "database", 70),
        (3, "SQLITE_PERM", "readOnly", 74),
        (4, "SQLITE_ABORT", "database", 70),
        (5, "SQLITE_BUSY", "busy", 75),
        (6, "SQLITE_LOCKED", "busy", 75),
        (7, "SQLITE_NOMEM", "database", 70),
        (8, "SQLITE_READONLY", "readOnly", 74),
        (9, "SQLITE_INTERRUPT", "database", 70),
        (10, "SQLITE_IOERR", "io", 74),
        (11, "SQLITE_CORRUPT", "corrupt", 74),
        (12, "SQLITE_NOTFOUND", "database", 70),
        (13, "SQLITE_FULL", "diskFull", 74),
        (14, "SQLITE_CANTOPEN", "io", 74),
        (15, "SQLITE_PROTOCOL", "busy", 75),
        (16, "SQLITE_EMPTY", "database", 70),
        (17, "SQLITE_SCHEMA", "database", 70),
        (18, "SQLITE_TOOBIG", "database", 70),
        (19, "SQLITE_CONSTRAINT", "database", 70),
        (20, "SQLITE_MISMATCH", "database", 70),
        (21, "SQLITE_MISUSE", "database", 70),
        (22, "SQLITE_NOLFS", "io", 74),
        (23, "SQLITE_AUTH", "database", 70),
        (24, "SQLITE_FORMAT", "database", 70),
        (25, "SQLITE_RANGE", "database", 70),
        (26, "SQLITE_NOTADB", "corrupt", 74),
        (27, "SQLITE_NOTICE", "database", 70),
        (28, "SQLITE_WARNING", "database", 70),
    ]

    @Test func everySQLitePrimaryResultCodeMapsToOneStoreErrorAndExitCode() {
        for row in Self.primaryCodes {
            let error = StoreError(sqliteCode: row.code, message: "detail", path: "/data/briefing.sqlite")
            #expect(Self.kind(error) == row.error, "\(row.name)")
        }
    }

    @Test func extendedResultCodesMapByTheirPrimaryCode() {
        let extended: [(code: Int32, name: String, error: String)] = [
            (778, "SQLITE_IOERR_WRITE", "io"),
            (1034, "SQLITE_IOERR_FSYNC", "io"),
            (4874, "SQLITE_IOERR_SHMSIZE", "io"),
            (1032, "SQLITE_READONLY_DBMOVED", "readOnly"),
            (264, "SQLITE_READONLY_RECOVERY", "readOnly"),
            (517, "SQLITE_BUSY_SNAPSHOT", "busy"),
            (526, "SQLITE_CANTOPEN_ISDIR", "io"),
            (267, "SQLITE_CORRUPT_VTAB", "corrupt"),
            (2067, "SQLITE_CONSTRAINT_UNIQUE", "database"),
        ]
        for row in extended {
            #expect(Self.kind(StoreError(sqliteCode: row.code, message: nil, path: "/s")) == row.error, "\(row.name)")
        }
    }

    @Test func machineErrorsSayWhatHappenedAndWhatToDoInOneLine() {
        let path = "/media/backup/briefing.sqlite"
        let full = StoreError(sqliteCode: 13, message: "database or disk is full", path: path).description
        #expect(full.hasPrefix("disk full") && full.contains("free space on the filesystem holding /media/backup"))
        let readOnly = StoreError(sqliteCode: 8, message: "attempt to write a readonly database", path: path).description
        #expect(readOnly.hasPrefix("store is read-only") && readOnly.contains(path))
        let io = StoreError(sqliteCode: 778, message: "disk I/O error", path: path).description
        #expect(io.contains("I/O error") && io.contains("disk I/O error") && io.contains(path))
        for text in [full, readOnly, io] { #expect(!text.contains("\n")) }
    }

    static func kind(_ error: StoreError) -> String {
        switch error {
        case .notInitialised: "notInitialised"
        case .newerSchema: "newerSchema"
        case .corrupt: "corrupt"
        case .busy: "busy"
        case .syncInProgress: "syncInProgress"
        case .diskFull: "diskFull"
        case .io: "io"
        case .readOnly: "readOnly"
        case .unknownArticle: "unknownArticle"
        case .badQuery: "badQuery"
        case .database: "database"
        }
    }
}
