import BriefingCurl
import BriefingKit
import Foundation

/// A failure of the runner or the server that stops a scenario (as opposed to an expectation that fails).
public struct ScenarioRunError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The server under test, reached only through the protocol and the admin API (Schema/protocol.md §8).
///
/// Either a `briefing-mock-server` process the runner starts (on 127.0.0.1, a free port, an SQLite `--data`
/// file so `restart` keeps its state) or any server given by URL, which then cannot be restarted or given a
/// policy: a scenario that needs either fails with that reason.
final class ScenarioServer {
    private(set) var baseURL: URL
    /// nil for a server given with `--server`.
    private let launch: Launch?
    private var process: Process?
    private let transport = CurlTransport(configuration: TransportConfiguration(connectTimeout: 5, requestTimeout: 30))

    struct Launch {
        var executable: URL
        var dataFile: String
        var policy: [StateField: ConflictRule]
    }

    var canControlProcess: Bool { launch != nil }

    /// A server someone else runs.
    init(url: URL) {
        baseURL = url
        launch = nil
    }

    /// Starts `briefing-mock-server` with an SQLite data file in `directory`.
    init(executable: URL, directory: URL, policy: [StateField: ConflictRule]) throws {
        launch = Launch(executable: executable, dataFile: directory.appendingPathComponent("server.sqlite").path, policy: policy)
        baseURL = URL(string: "http://127.0.0.1:0")!
        try start(port: 0)
    }

    deinit { stop() }

    private func start(port: Int) throws {
        guard let launch else { return }
        let process = Process()
        process.executableURL = launch.executable
        var arguments = ["--host", "127.0.0.1", "--port", String(port), "--data", launch.dataFile]
        for (field, rule) in launch.policy.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            arguments += ["--policy", "\(field.rawValue)=\(rule.rawValue)"]
        }
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let line = readLine(output.fileHandleForReading, timeout: 30)
        guard line.hasPrefix("listening on "), let url = URL(string: String(line.dropFirst("listening on ".count))) else {
            stop()
            throw ScenarioRunError("briefing-mock-server did not start (it said \(line.debugDescription))")
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        output.fileHandleForReading.readabilityHandler = { handle in _ = handle.availableData }
        baseURL = url
    }

    func stop() {
        guard let process else { return }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        (process.standardOutput as? Pipe)?.fileHandleForReading.readabilityHandler = nil
        self.process = nil
    }

    /// Stops the server process and starts it again on the same port and data file.
    func restart() throws {
        guard launch != nil else {
            throw ScenarioRunError("cannot restart a server given with --server (only one the runner starts)")
        }
        let port = baseURL.port ?? 0
        stop()
        var lastError: Error?
        // The port may take a moment to be free again.
        for _ in 0..<50 {
            do {
                try start(port: port)
                return
            } catch {
                lastError = error
                usleep(100_000)
            }
        }
        throw lastError ?? ScenarioRunError("the server did not come back on port \(port)")
    }

    // MARK: Admin API

    /// One admin call: JSON in, JSON out; anything but 2xx is an error naming the call.
    @discardableResult
    func admin(_ method: String, _ path: String, _ body: Any? = nil) async throws -> Any {
        let (status, json, text) = try await send(method, path, body: body.map { try JSONSerialization.data(withJSONObject: $0) },
                                                  headers: [("Content-Type", "application/json")])
        guard (200..<300).contains(status) else {
            throw ScenarioRunError("\(method) \(path) answered \(status): \(safeLine(text))")
        }
        return json ?? NSNull()
    }

    /// A raw request, for `push` steps: the status, the body as JSON (when it is), and as text.
    func send(_ method: String, _ path: String, body: Data?, headers: [(String, String)]) async throws -> (Int, Any?, String) {
        let request = TransportRequest(method: method, url: URL(string: path, relativeTo: baseURL)!.absoluteURL,
                                       headers: headers, body: body)
        let response: TransportResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw ScenarioRunError("\(method) \(path): no answer from \(baseURL.absoluteString) (\(error))")
        }
        let json = try? JSONSerialization.jsonObject(with: response.body, options: [.fragmentsAllowed])
        return (response.status, json, String(decoding: response.body, as: UTF8.self))
    }

    func state() async throws -> ServerState {
        guard let object = try await admin("GET", "/admin/state") as? [String: Any] else {
            throw ScenarioRunError("GET /admin/state did not answer a JSON object")
        }
        return ServerState(object)
    }

    /// Back to a clean slate: reset, then every live article deleted (a server started with seeds keeps its
    /// seeds after a reset), then `articles` published.
    func prepare(_ articles: [ArticleSpec]) async throws {
        try await admin("DELETE", "/admin/faults")
        try await admin("POST", "/admin/reset", [String: Any]())
        let live = try await state().articles.filter { !$0.deleted }.map(\.id)
        if !live.isEmpty { try await admin("POST", "/admin/delete", ["ids": live]) }
        if !articles.isEmpty { try await publish(articles) }
    }

    func publish(_ articles: [ArticleSpec]) async throws {
        let items: [[String: Any]] = articles.map { article in
            ["id": article.id, "title": article.title, "content_text": article.text ?? "About \(article.title)."]
        }
        try await admin("POST", "/admin/articles", ["items": items])
    }

    private func readLine(_ handle: FileHandle, timeout: TimeInterval) -> String {
        var bytes = Data()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let chunk = handle.readData(ofLength: 1)
            if chunk.isEmpty { break }
            if chunk.first == UInt8(ascii: "\n") { break }
            bytes.append(chunk)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// `GET /admin/state`, read leniently: a conformance target may add members.
struct ServerState {
    struct ArticleState {
        var id: String
        var title: String?
        var revision: Int?
        var deleted: Bool
        var read: FieldState?
        var starred: FieldState?

        func state(_ field: StateField) -> FieldState? { field == .read ? read : starred }
    }

    var articles: [ArticleState]
    /// Every `mutations_*` counter, by the name after the prefix.
    var counters: [String: Int]

    init(_ object: [String: Any]) {
        articles = (object["articles"] as? [[String: Any]] ?? []).compactMap { item in
            guard let id = item["id"] as? String else { return nil }
            return ArticleState(id: id, title: item["title"] as? String, revision: item["revision"] as? Int,
                                deleted: item["deleted"] as? Bool ?? false,
                                read: Self.fieldState(item["read"]), starred: Self.fieldState(item["starred"]))
        }
        var counters: [String: Int] = [:]
        for (key, value) in object where key.hasPrefix("mutations_") {
            if let count = value as? Int { counters[String(key.dropFirst("mutations_".count))] = count }
        }
        self.counters = counters
    }

    func article(_ id: String) -> ArticleState? { articles.first { $0.id == id } }

    private static func fieldState(_ value: Any?) -> FieldState? {
        guard let object = value as? [String: Any], let flag = object["value"] as? Bool,
              let text = object["changed_at"] as? String, let time = Timestamp(rfc3339: text) else { return nil }
        return FieldState(value: flag, changedAt: time, device: object["device"] as? String ?? "?")
    }
}
