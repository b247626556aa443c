import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where `swift build` put the executables: beside the test bundle, unless `BRIEFING_BIN_DIR` says otherwise.
public let productsDirectory: URL = {
    if let dir = ProcessInfo.processInfo.environment["BRIEFING_BIN_DIR"] { return URL(fileURLWithPath: dir) }
    var url = Bundle.main.bundleURL
    while url.pathExtension == "xctest" || url.lastPathComponent == "Contents" { url.deleteLastPathComponent() }
    if FileManager.default.fileExists(atPath: url.appendingPathComponent("briefing").path) { return url }
    return Bundle.main.bundleURL.deletingLastPathComponent()
}()

/// What a finished process left behind.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: Data
    public var stderr: Data
    public var out: String { String(decoding: stdout, as: UTF8.self) }
    public var err: String { String(decoding: stderr, as: UTF8.self) }

    /// stdout parsed as JSON.
    public func json() throws -> Any { try JSONSerialization.jsonObject(with: stdout, options: [.fragmentsAllowed]) }
}

/// Runs an executable from the products directory to completion, with optional stdin.
@discardableResult
public func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                stdin: Data? = nil, timeout: TimeInterval = 120) throws -> ProcessResult {
    let process = Process()
    process.executableURL = executable.hasPrefix("/")
        ? URL(fileURLWithPath: executable) : productsDirectory.appendingPathComponent(executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "BRIEFING_TOKEN")
    env.removeValue(forKey: "BRIEFING_DB")
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let outFile = try TemporaryFile(), errFile = try TemporaryFile()
    process.standardOutput = outFile.handle
    process.standardError = errFile.handle
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try? input.fileHandleForWriting.close()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning {
        if Date() > deadline { process.terminate(); break }
        usleep(2_000)
    }
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: try outFile.contents(), stderr: try errFile.contents())
}

/// A file in a fresh temporary directory, removed on deinit.
final class TemporaryFile {
    let url: URL
    let handle: FileHandle
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("briefing-out-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: url.path, contents: nil)
        handle = try FileHandle(forWritingTo: url)
    }
    func contents() throws -> Data { try Data(contentsOf: url) }
    deinit {
        try? handle.close()
        try? FileManager.default.removeItem(at: url)
    }
}

/// A fresh directory under the system temp directory, removed on deinit.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL
    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("briefing-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The real `briefing-mock-server` process on 127.0.0.1 with `--port 0`; the port is read from its first
/// stdout line. Terminated (SIGTERM) on `stop()` or deinit.
public final class MockServerProcess: @unchecked Sendable {
    public let process = Process()
    public private(set) var baseURL: URL!
    public let arguments: [String]
    private let output = Pipe()
    private let errors: TemporaryFile

    /// Starts the server; `port` 0 lets the kernel choose (read back from the first line).
    public convenience init(arguments: [String] = [], port: Int = 0) throws {
        try self.init(executable: productsDirectory.appendingPathComponent("briefing-mock-server"),
                      commandLine: ["--host", "127.0.0.1", "--port", String(port)] + arguments, arguments: arguments)
    }

    /// Starts any server that announces itself the same way (`listening on URL` first), with exactly
    /// `commandLine` as its arguments.
    public init(executable: URL, commandLine: [String], arguments: [String]) throws {
        self.arguments = arguments
        errors = try TemporaryFile()
        process.executableURL = executable
        process.arguments = commandLine
        process.standardOutput = output
        process.standardError = errors.handle
        try process.run()
        let line = try readLine(from: output.fileHandleForReading, timeout: 60)
        guard line.hasPrefix("listening on "), let url = URL(string: String(line.dropFirst("listening on ".count)))
        else { throw TestError("mock server said \(line.debugDescription); stderr: \(stderrText)") }
        baseURL = url
        // Keep draining stdout so a chatty server never blocks on a full pipe.
        output.fileHandleForReading.readabilityHandler = { handle in _ = handle.availableData }
    }

    public var port: Int { baseURL.port ?? 0 }
    public var stderrText: String { (try? String(decoding: errors.contents(), as: UTF8.self)) ?? "" }

    /// SIGTERM and wait; returns the exit status.
    @discardableResult
    public func stop() -> Int32 {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        output.fileHandleForReading.readabilityHandler = nil
        return process.terminationStatus
    }

    deinit { _ = stop() }

    public func url(_ path: String) -> URL { URL(string: path, relativeTo: baseURL)!.absoluteURL }

    /// An admin call: JSON in, JSON out.
    @discardableResult
    public func admin(_ path: String, _ body: Any? = nil) throws -> Any {
        let response = try HTTP.send(body == nil ? "GET" : "POST", url("/admin/" + path),
                                     body: try body.map { try JSONSerialization.data(withJSONObject: $0) },
                                     headers: ["Content-Type": "application/json"])
        guard (200..<300).contains(response.status) else {
            throw TestError("admin \(path) → \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
        return try JSONSerialization.jsonObject(with: response.body, options: [.fragmentsAllowed])
    }
}

private func readLine(from handle: FileHandle, timeout: TimeInterval) throws -> String {
    var bytes = Data()
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        let chunk = handle.readData(ofLength: 1)
        if chunk.isEmpty { break }
        if chunk.first == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
        bytes.append(chunk)
    }
    return String(decoding: bytes, as: UTF8.self)
}

public struct TestError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A blocking HTTP client for tests, on FoundationNetworking (independent of the project's libcurl code).
public enum HTTP {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: Data
        public func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
        public func json() throws -> Any { try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }
    }

    public static func send(_ method: String, _ url: URL, body: Data? = nil, headers: [String: String] = [:],
                            timeout: TimeInterval = 30) throws -> Response {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                box.result = .failure(error)
            } else if let http = response as? HTTPURLResponse {
                var fields: [String: String] = [:]
                for (key, value) in http.allHeaderFields { fields["\(key)"] = "\(value)" }
                box.result = .success(Response(status: http.statusCode, headers: fields, body: data ?? Data()))
            }
            done.signal()
        }
        task.resume()
        done.wait()
        return try box.result!.get()
    }

    public static func get(_ url: URL, headers: [String: String] = [:], timeout: TimeInterval = 30) throws -> Response {
        try send("GET", url, headers: headers, timeout: timeout)
    }
}

private final class ResultBox: @unchecked Sendable {
    var result: Result<HTTP.Response, Error>?
}
