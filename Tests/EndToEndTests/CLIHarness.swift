import Foundation
import BriefingTestSupport

/// A scratch store driven through the real `briefing` binary.
final class CLIStore {
    let directory: TemporaryDirectory
    let db: String
    var environment: [String: String]

    init(name: String = "briefing.sqlite") throws {
        directory = try TemporaryDirectory()
        db = directory.path(name)
        environment = ["BRIEFING_DB": db, "BRIEFING_RETRY_BUDGET": "3", "BRIEFING_TIMEOUT": "5"]
    }

    /// Runs `briefing ARGS` against this store.
    @discardableResult
    func briefing(_ arguments: String..., stdin: Data? = nil) throws -> ProcessResult {
        try run("briefing", arguments, environment: environment, stdin: stdin)
    }

    func briefing(_ arguments: [String]) throws -> ProcessResult {
        try run("briefing", arguments, environment: environment)
    }

    /// `briefing ARGS --json`, parsed; fails the test with stderr when the exit status is not 0.
    func json(_ arguments: String...) throws -> Any {
        let result = try run("briefing", arguments + ["--json"], environment: environment)
        guard result.status == 0 else { throw TestError("briefing \(arguments) → \(result.status): \(result.err)") }
        return try result.json()
    }

    func object(_ arguments: String...) throws -> [String: Any] {
        let result = try run("briefing", arguments + ["--json"], environment: environment)
        guard result.status == 0, let object = try result.json() as? [String: Any] else {
            throw TestError("briefing \(arguments) → \(result.status): \(result.err)")
        }
        return object
    }

    func list(_ arguments: String...) throws -> [[String: Any]] {
        let result = try run("briefing", ["list"] + arguments + ["--json"], environment: environment)
        guard result.status == 0, let array = try result.json() as? [[String: Any]] else {
            throw TestError("briefing list \(arguments) → \(result.status): \(result.err)")
        }
        return array
    }

    /// Writes `feed` as a JSON file and imports it.
    func importFeed(_ feed: [String: Any]) throws {
        let file = directory.path("import-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: feed).write(to: URL(fileURLWithPath: file))
        let result = try briefing("import", file)
        guard result.status == 0 else { throw TestError("import → \(result.status): \(result.err)") }
    }
}

/// The project's seed feed, `seeds/briefing.json`.
let seedsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../seeds").standardized

func feed(_ items: [[String: Any]]) -> [String: Any] {
    ["version": "https://jsonfeed.org/version/1.1", "title": "Test", "items": items]
}

func item(_ id: String, title: String, html: String? = nil, text: String? = nil, date: String = "2026-11-01T10:00:00Z",
          tags: [String] = []) -> [String: Any] {
    var item: [String: Any] = ["id": id, "title": title, "date_published": date, "tags": tags,
                               "url": "https://example.com/\(id)"]
    if let html { item["content_html"] = html }
    if let text { item["content_text"] = text }
    if html == nil && text == nil { item["content_text"] = "Body of \(title)." }
    return item
}
