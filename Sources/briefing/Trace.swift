import Foundation
import BriefingModel
import BriefingProtocol
import BriefingSync

/// `sync --trace FILE|-`: one JSON line per HTTP attempt — method, URL without credentials, status, body
/// bytes each way, milliseconds, what the retry loop decided next, and for a pull the change token the
/// page was asked from and the one it handed back. The `Authorization` header is never read, and the
/// bearer token's text is masked wherever it might appear (a URL query, an error message).
///
/// It sits under `RetryingTransport`, so it sees every attempt; the retry loop tells it its decision
/// through `onDecision`, and the line is written then.
final class TraceTransport: Transport, @unchecked Sendable {
    private let base: Transport
    private let output: FileHandle
    private let secret: String?
    private let lock = NSLock()
    // Guarded by `lock`: attempts waiting for their decision, by request; attempt counts; pull pages asked.
    private var waiting: [String: JSON] = [:]
    private var attempts: [String: Int] = [:]
    private var pages = 0

    init(_ base: Transport, output: FileHandle, bearerToken: String?) {
        self.base = base
        self.output = output
        self.secret = bearerToken.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Opens `path` for writing (created 0600, truncated), or stderr for `-`.
    static func open(_ path: String) throws -> FileHandle {
        if path == "-" { return FileHandle.standardError }
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: path)
        else { throw Failure(message: "cannot write the trace file \(path)", code: 73) }
        return handle
    }

    func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        let started = Date()
        let outcome = Result { () throws(TransportError) in try base.send(request) }
        let milliseconds = Int64(Date().timeIntervalSince(started) * 1000)
        let key = Self.key(request)
        var members: [(String, JSON)] = [
            ("time", .string(Timestamp(started).rfc3339)),
            ("method", .string(request.method)),
            ("url", .string(redacted(request.url))),
        ]
        switch outcome {
        case .success(let response):
            members += [("status", .int(response.status)), ("request_bytes", .int(request.body?.count ?? 0)),
                        ("response_bytes", .int(response.body.count))]
        case .failure(let error):
            members += [("status", .null), ("request_bytes", .int(request.body?.count ?? 0)),
                        ("response_bytes", .int(0)), ("error", .string(mask("\(error)")))]
        }
        members.append(("ms", .int(milliseconds)))
        lock.withLock {
            let attempt = (attempts[key] ?? 0) + 1
            attempts[key] = attempt
            members.append(("attempt", .int(attempt)))
            if request.url.path.hasSuffix("/" + Endpoint.changes) {
                if attempt == 1 { pages += 1 }
                members += pagePosition(request, outcome)
            }
            waiting[key] = .object(members)
        }
        return try outcome.get()
    }

    /// The retry loop's decision about the attempt just made: completes that attempt's line and writes it.
    func decided(_ request: HTTPRequest, _ decision: RetryDecision) {
        let key = Self.key(request)
        lock.withLock {
            guard case .object(var members) = waiting.removeValue(forKey: key) else { return }
            switch decision {
            case .final:
                members += [("decision", .string("final")), ("retry_in_s", .null)]
                attempts[key] = nil
            case .retry(let wait):
                members += [("decision", .string("retry")), ("retry_in_s", .number((wait * 1000).rounded() / 1000))]
            case .giveUp(let reason):
                members += [("decision", .string("give-up")), ("retry_in_s", .null), ("reason", .string(reason))]
                attempts[key] = nil
            }
            output.write(Data((mask(JSON.object(members).line) + "\n").utf8))
        }
    }

    /// Where a pull stands: the page's number in this sync, the change token it was asked from (null: the
    /// beginning) and, once answered, the token and `has_more` it handed back.
    private func pagePosition(_ request: HTTPRequest, _ outcome: Result<HTTPResponse, TransportError>) -> [(String, JSON)] {
        let from = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems?
            .first { $0.name == Endpoint.tokenParameter }?.value
        var members: [(String, JSON)] = [("page", .int(pages)), ("change_token", .optional(from))]
        if case .success(let response) = outcome, response.status == 200,
           let page = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
           let briefing = page["_briefing"] as? [String: Any] {
            members.append(("next_change_token", .optional(briefing["next_token"] as? String)))
            members.append(("has_more", (briefing["has_more"] as? Bool).map(JSON.bool) ?? .null))
        }
        return members
    }

    /// The URL without user name and password, and without the bearer token's text.
    private func redacted(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return mask(url.absoluteString) }
        components.user = nil
        components.password = nil
        return mask(components.string ?? url.absoluteString)
    }

    private func mask(_ text: String) -> String {
        guard let secret else { return text }
        return text.replacingOccurrences(of: secret, with: "[token]")
    }

    private static func key(_ request: HTTPRequest) -> String {
        let idempotency = request.headers.first { $0.0.lowercased() == Endpoint.idempotencyKeyHeader.lowercased() }?.1 ?? ""
        return request.method + " " + request.url.absoluteString + " " + idempotency
    }
}
