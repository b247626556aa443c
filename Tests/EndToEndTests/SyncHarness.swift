import Foundation
import BriefingTestSupport

/// A device: a store initialised against a running mock server, driven through the real binary.
///
/// `@unchecked Sendable`: the concurrency tests share one device between threads after `init`; what they
/// call on it then only runs the binary, and the one mutable field (`store.environment`) is set in `init`.
final class Device: @unchecked Sendable {
    let store: CLIStore
    let name: String

    init(_ name: String, server: MockServerProcess, extra: [String] = [], environment: [String: String] = [:]) throws {
        store = try CLIStore()
        self.name = name
        for (key, value) in environment { store.environment[key] = value }
        let result = try store.briefing(["init", "--server", server.baseURL.absoluteString, "--device", name] + extra)
        guard result.status == 0 else { throw TestError("init \(name) → \(result.status): \(result.err)") }
    }

    func sync(_ extra: String...) throws -> ProcessResult { try store.briefing(["sync"] + extra) }

    /// `sync --json`, which must succeed.
    func syncReport(_ extra: String...) throws -> [String: Any] {
        let result = try store.briefing(["sync", "--json"] + extra)
        guard result.status == 0, let report = try result.json() as? [String: Any] else {
            throw TestError("sync \(name) → \(result.status): \(result.err)")
        }
        return report
    }

    func mark(_ action: String, _ ids: String...) throws {
        let result = try store.briefing(["mark", action] + ids)
        guard result.status == 0 else { throw TestError("mark → \(result.status): \(result.err)") }
    }

    func article(_ id: String) throws -> [String: Any]? {
        try store.list("--all").first { $0["id"] as? String == id }
    }

    /// The whole store as text, to prove a failed sync left it exactly as it was.
    func dump() throws -> String {
        try run("/usr/bin/sqlite3", [store.db, ".dump"]).out
    }
}

extension MockServerProcess {
    /// The mock server on the project's seeds.
    static func seeded(_ extra: [String] = [], port: Int = 0) throws -> MockServerProcess {
        try MockServerProcess(arguments: ["--seeds", seedsDirectory.path] + extra, port: port)
    }

    func state() throws -> [String: Any] { try admin("state") as? [String: Any] ?? [:] }

    func articles() throws -> [[String: Any]] { try state()["articles"] as? [[String: Any]] ?? [] }

    func serverArticle(_ id: String) throws -> [String: Any]? { try articles().first { $0["id"] as? String == id } }

    /// The value of `field` on the server, or nil when never set.
    func value(_ id: String, _ field: String) throws -> Bool? {
        (try serverArticle(id)?[field] as? [String: Any])?["value"] as? Bool
    }

    func liveIDs() throws -> [String] {
        try articles().filter { ($0["deleted"] as? Bool) != true }.compactMap { $0["id"] as? String }
    }
}

func rfc3339(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: date)
}
