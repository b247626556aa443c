import Foundation

/// The PostgreSQL cluster the tests use: the one `Tools/test` starts (`Tools/postgres start`) and names in
/// `BRIEFING_TEST_POSTGRES_URL`. Without it a PostgreSQL-backed test fails with that hint; it never skips.
public enum TestPostgres {
    public static let urlVariable = "BRIEFING_TEST_POSTGRES_URL"

    /// A new, empty database on the test cluster; returns its `postgres://` URL.
    public static func freshDatabase() throws -> String {
        guard let base = ProcessInfo.processInfo.environment[urlVariable], !base.isEmpty,
              var parts = URLComponents(string: base) else {
            throw TestError("""
                \(urlVariable) is not set: PostgreSQL-backed tests need a cluster. Run them through Tools/test, \
                or start one with `eval "$(Tools/postgres start)"` (stop it with `Tools/postgres stop`)
                """)
        }
        let name = "briefing_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let created = try run("/usr/bin/psql", [base, "-v", "ON_ERROR_STOP=1", "-qc", "CREATE DATABASE \(name)"],
                              timeout: 60)
        guard created.status == 0 else {
            throw TestError("cannot create a database on \(base) (\(urlVariable)): \(created.err)")
        }
        parts.path = "/" + name
        return parts.string!
    }
}

/// Where a test's mock server keeps its data: the embedded SQLite store or a fresh PostgreSQL database.
public enum StoreKind: String, CaseIterable, Sendable {
    case sqlite, postgres

    /// `briefing-mock-server` flags for a new, empty store of this kind (in-memory SQLite, a fresh database).
    public func serverArguments() throws -> [String] {
        switch self {
        case .sqlite: []
        case .postgres: ["--database", try TestPostgres.freshDatabase()]
        }
    }
}

