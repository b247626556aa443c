import Foundation
import BriefingTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// SplitMix64: a small seeded generator, so a failing reliability run is repeated from its printed seed.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The seed in `variable`, else a fresh one; printed either way so the run can be replayed.
    static func fromEnvironment(_ variable: String, label: String) -> (SeededRandom, UInt64) {
        let seed = ProcessInfo.processInfo.environment[variable].flatMap { UInt64($0) }
            ?? UInt64.random(in: 1...UInt64(UInt32.max))
        print("\(label): seed \(seed) (replay with \(variable)=\(seed))")
        return (SeededRandom(seed: seed), seed)
    }
}

/// An integer setting of a reliability run from the environment (the Tools scripts set them), else `value`.
func harnessSetting(_ variable: String, default value: Int) -> Int {
    ProcessInfo.processInfo.environment[variable].flatMap { Int($0) } ?? value
}

/// Writes a JSON Feed of `count` generated articles (`PREFIX-00001`…, small HTML bodies) into `directory`,
/// for a mock server's `--seeds`.
func writeGeneratedFeed(count: Int, prefix: String, to directory: String) throws {
    var items: [[String: Any]] = []
    items.reserveCapacity(count)
    for index in 1...count {
        let id = String(format: "%@-%05d", prefix, index)
        let minute = index % 1440
        items.append([
            "id": id, "title": "Generated article \(index)", "url": "https://news.example/\(id)",
            "content_html": "<p>Paragraph one of article \(index).</p><p>Paragraph <b>two</b> with a <a href=\"https://news.example/\(index)\">link</a>.</p>",
            "date_published": String(format: "2026-11-%02dT%02d:%02d:00Z", 1 + index % 28, minute / 60, minute % 60),
            "tags": ["tag\(index % 7)"],
        ])
    }
    let feed: [String: Any] = ["version": "https://jsonfeed.org/version/1.1", "title": "Generated", "items": items]
    try JSONSerialization.data(withJSONObject: feed).write(to: URL(fileURLWithPath: directory + "/generated.json"))
}

/// A `briefing` process running in the background, to be killed or waited for.
///
/// `@unchecked Sendable`: every field is set in `init` and only read afterwards; `Process` itself is safe
/// to query from another thread.
final class BackgroundBriefing: @unchecked Sendable {
    let process = Process()
    let started = Date()
    private let errorsPath: String

    init(_ store: CLIStore, _ arguments: [String]) throws {
        errorsPath = store.directory.path("stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errorsPath, contents: nil)
        process.executableURL = productsDirectory.appendingPathComponent("briefing")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "BRIEFING_TOKEN")
        for (key, value) in store.environment { environment[key] = value }
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorsPath))
        try process.run()
    }

    var stderrText: String {
        (try? String(decoding: Data(contentsOf: URL(fileURLWithPath: errorsPath)), as: UTF8.self)) ?? ""
    }

    /// SIGKILL (if still running) and reap. Returns false when the process had already exited by itself.
    @discardableResult
    func kill() -> Bool {
        let wasRunning = process.isRunning
        if wasRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return wasRunning && process.terminationReason == .uncaughtSignal
    }

    /// Waits at most `timeout` seconds; a process still running then is killed and reported as hung (nil).
    func wait(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(2_000) }
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return exitDescription.code
    }

    /// The exit status, or 128 + the signal number for a process that died of a signal (as a shell shows it).
    var exitDescription: (code: Int32, signalled: Bool) {
        process.terminationReason == .uncaughtSignal
            ? (128 + process.terminationStatus, true) : (process.terminationStatus, false)
    }
}

/// Reader state of one article, as the client lists it or the server holds it.
struct ReaderState: Hashable, CustomStringConvertible {
    var read: Bool
    var starred: Bool
    var description: String { "read=\(read) starred=\(starred)" }
}

extension CLIStore {
    /// `PRAGMA integrity_check` through the sqlite3 CLI: "ok" for a sound file.
    func integrityCheck() throws -> String {
        let result = try run("/usr/bin/sqlite3", [db, "PRAGMA integrity_check"])
        return (result.out + result.err).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The outbox as `article|field` → value, read straight from the file.
    func pendingMarks() throws -> [String: Bool] {
        let result = try run("/usr/bin/sqlite3", ["-separator", "|", db, "SELECT article_id, field, value FROM pending_mark"])
        guard result.status == 0 else { throw TestError("sqlite3 pending_mark → \(result.status): \(result.err)") }
        var marks: [String: Bool] = [:]
        for line in result.out.split(separator: "\n") {
            let parts = line.split(separator: "|", omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            marks["\(parts[0])|\(parts[1])"] = parts[2] == "1"
        }
        return marks
    }

    /// Every article `list --all` shows, with its reader state.
    func readerStates() throws -> [String: ReaderState] {
        var states: [String: ReaderState] = [:]
        for article in try list("--all") {
            guard let id = article["id"] as? String else { continue }
            states[id] = ReaderState(read: article["read"] as? Bool ?? false, starred: article["starred"] as? Bool ?? false)
        }
        return states
    }
}

extension MockServerProcess {
    /// Every live article on the server with its reader state (a field never set counts as false).
    func readerStates() throws -> [String: ReaderState] {
        try readerStates(in: state())
    }

    func readerStates(in state: [String: Any]) -> [String: ReaderState] {
        var states: [String: ReaderState] = [:]
        for article in state["articles"] as? [[String: Any]] ?? [] where article["deleted"] as? Bool != true {
            guard let id = article["id"] as? String else { continue }
            func value(_ field: String) -> Bool { (article[field] as? [String: Any])?["value"] as? Bool ?? false }
            states[id] = ReaderState(read: value("read"), starred: value("starred"))
        }
        return states
    }

    /// `article|field` → (value, device) for every live article's set fields.
    func fieldStates(in state: [String: Any]) -> [String: (value: Bool, device: String)] {
        var fields: [String: (value: Bool, device: String)] = [:]
        for article in state["articles"] as? [[String: Any]] ?? [] where article["deleted"] as? Bool != true {
            guard let id = article["id"] as? String else { continue }
            for field in ["read", "starred"] {
                guard let record = article[field] as? [String: Any], let value = record["value"] as? Bool else { continue }
                fields["\(id)|\(field)"] = (value, record["device"] as? String ?? "")
            }
        }
        return fields
    }
}

/// Where the client's listing and the server's live articles differ, in a few lines; empty when equal.
func convergenceDifferences(client: [String: ReaderState], server: [String: ReaderState]) -> [String] {
    var differences: [String] = []
    for id in Set(client.keys).union(server.keys).sorted() where client[id] != server[id] {
        differences.append("\(id): client \(client[id].map(\.description) ?? "missing"), server \(server[id].map(\.description) ?? "missing")")
        if differences.count == 5 { break }
    }
    return differences
}

/// Marks (`article|field` → value) that are neither still pending locally nor on the server with that value
/// by `device`: marks a crash lost.
func lostMarks(_ marks: [String: Bool], pending: [String: Bool], serverFields: [String: (value: Bool, device: String)],
               device: String) -> [String] {
    marks.keys.sorted().filter { key in
        if pending[key] == marks[key] { return false }
        if let server = serverFields[key], server.value == marks[key], server.device == device { return false }
        return true
    }
}
