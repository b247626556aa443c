import Foundation
import BriefingModel
import BriefingProtocol
import BriefingSync

/// `sync --trace FILE|-`: one JSON line per HTTP attempt — method, URL without credentials, status, body
/// bytes each way, milliseconds, what the retry loop decided next, and for a pull the change token the
/// page was asked from and the one it handed back. The `Authorization` header is never read, and the
/// bearer token's text is masked wherever it might appear (a URL query, an error message).
///
/// It sits under `RetryingTransport`, so it sees every attempt; the retry loop reports its decision about
/// each attempt through its `observe` hook (`decided`), and the line is written then.
final class TraceTransport: Transport, @unchecked Sendable {
    private let base: any Transport
    private let output: FileHandle
    private let policy: RetryPolicy
    private let secret: String?
    private let lock = NSLock()
    // Guarded by `lock`: attempts waiting for their decision, by request; pull pages asked so far;
    // requests whose last attempt is being retried.
    private var waiting: [String: [(String, JSON)]] = [:]
    private var pages = 0
    private var retrying: Set<String> = []

    init(_ base: any Transport, output: FileHandle, policy: RetryPolicy, bearerToken: String?) {
        self.base = base
        self.output = output
        self.policy = policy
        self.secret = bearerToken.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Opens `path` for writing (created 0600, truncated), or stderr for `-`.
    static func open(_ path: String) throws -> FileHandle {
        if path == "-" { return FileHandle.standardError }
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: path)
        else { throw Failure(message: "cannot write the trace file \(path)", status: .cannotCreate) }
        return handle
    }

    func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        let started = Date()
        let outcome: Result<TransportResponse, TransportError>
        do {
            outcome = .success(try await base.send(request))
        } catch {
            outcome = .failure(error)
        }
        let milliseconds = Int64(Date().timeIntervalSince(started) * 1000)
        var members: [(String, JSON)] = [
            ("time", .string(Timestamp(started).rfc3339)),
            ("method", .string(request.method)),
            ("url", .string(redacted(request.url))),
        ]
        switch outcome {
        case .success(let response):
            members += [("status", .int(response.status)), ("request_bytes", .int(request.body?.count ?? 0)),
                        ("response_bytes", .int(response.bodySize))]
        case .failure(let error):
            members += [("status", .null), ("request_bytes", .int(request.body?.count ?? 0)),
                        ("response_bytes", .int(0)), ("error", .string(mask("\(error)")))]
        }
        members.append(("ms", .int(milliseconds)))
        let isPull = request.url.path.hasSuffix("/" + Endpoint.changes)
        lock.withLock {
            if isPull { members += pagePosition(request, outcome) }
            waiting[Self.key(request)] = members
        }
        return try outcome.get()
    }

    /// The retry loop's decision about the attempt just made: completes that attempt's line and writes it.
    func decided(_ decision: RetryingTransport.Decision) {
        lock.withLock {
            guard var members = waiting.removeValue(forKey: Self.key(decision.request)) else { return }
            members.append(("attempt", .int(decision.attempt)))
            let key = Self.key(decision.request)
            if decision.retryAfter != nil { retrying.insert(key) } else { retrying.remove(key) }
            if let wait = decision.retryAfter {
                members += [("decision", .string("retry")), ("retry_in_s", .number((wait * 1000).rounded() / 1000))]
            } else if let reason = RetryNarration.givingUp(decision, policy: policy) {
                members += [("decision", .string("give-up")), ("retry_in_s", .null), ("reason", .string(reason))]
            } else {
                members += [("decision", .string("final")), ("retry_in_s", .null)]
            }
            output.write(Data((mask(JSON.object(members).line) + "\n").utf8))
        }
    }

    /// Where a pull stands: the page's number in this sync (a retry keeps it), the change token it was
    /// asked from (null: the beginning) and, once answered, the token and `has_more` it handed back.
    private func pagePosition(_ request: TransportRequest, _ outcome: Result<TransportResponse, TransportError>) -> [(String, JSON)] {
        let from = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems?
            .first { $0.name == Endpoint.tokenParameter }?.value
        if !retrying.contains(Self.key(request)) { pages += 1 }
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

    private static func key(_ request: TransportRequest) -> String {
        request.method + " " + request.url.absoluteString + " " + (request.header(Endpoint.idempotencyKeyHeader) ?? "")
    }
}

/// Words for what the retry loop decided, shared by `--verbose` and `--trace`.
enum RetryNarration {
    /// Why an attempt whose failure retrying might heal is handed back anyway; nil when it is not such a
    /// failure (a success, or a failure retrying cannot heal) or another attempt follows.
    static func givingUp(_ decision: RetryingTransport.Decision, policy: RetryPolicy) -> String? {
        guard decision.retryAfter == nil else { return nil }
        let retriable = decision.error.map(\.isTransient) ?? decision.status.map(policy.retriedStatuses.contains) ?? false
        guard retriable else { return nil }
        if decision.attempt >= policy.maxAttempts { return "\(decision.attempt) attempts made" }
        if Task.isCancelled { return "cancelled" }
        return "the \(seconds(policy.budget)) s retry budget would run out"
    }

    /// The debug line for a retry or a give-up; nil for an attempt that simply succeeded or failed for good.
    static func line(_ decision: RetryingTransport.Decision, policy: RetryPolicy) -> String? {
        let outcome = decision.status.map { "HTTP \($0)" } ?? decision.error.map { "\($0)" } ?? "no answer"
        let head = "\(decision.request.method) \(decision.request.url.path) attempt \(decision.attempt): \(outcome)"
        if let wait = decision.retryAfter { return head + "; retrying in \(seconds(wait)) s" }
        return givingUp(decision, policy: policy).map { head + "; giving up: " + $0 }
    }

    static func seconds(_ value: TimeInterval) -> String { String(format: "%.3f", value) }
}
