import Foundation

/// One HTTP request as the sync engine needs it: method, absolute URL, headers, optional body.
///
/// Named for its role rather than `HTTPRequest`, which swift-http-types (in the same build graph, and on
/// every Apple platform) already uses.
public struct TransportRequest: Sendable, Hashable {
    public var method: String
    public var url: URL
    public var headers: [(String, String)]
    public var body: Data?
    /// When set, the response body is written to this file (created or truncated, as it arrives) instead
    /// of being held in `TransportResponse.body`, so a large feed is read from disk a chunk at a time and
    /// never whole in memory. A transport that cannot do this may return the body in memory: callers
    /// check `TransportResponse.bodyFile`.
    public var responseBodyFile: URL?
    /// Seconds a `RetryingTransport` may spend retrying this request, when shorter than its policy's
    /// budget: a page that is only a bonus (a plain feed's `next_url` backfill) is not worth a minute.
    public var retryBudget: TimeInterval?

    public init(method: String = "GET", url: URL, headers: [(String, String)] = [], body: Data? = nil,
                responseBodyFile: URL? = nil, retryBudget: TimeInterval? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.responseBodyFile = responseBodyFile
        self.retryBudget = retryBudget
    }

    public static func == (lhs: TransportRequest, rhs: TransportRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body
            && lhs.responseBodyFile == rhs.responseBodyFile && lhs.retryBudget == rhs.retryBudget
            && lhs.headers.map { "\($0.0):\($0.1)" } == rhs.headers.map { "\($0.0):\($0.1)" }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(method)
        hasher.combine(url)
        hasher.combine(body)
    }

    /// The value of the first header named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}

extension TransportRequest {
    /// Creates (or empties) `responseBodyFile` and opens it for writing; nil when the body stays in memory.
    /// Transports call this once per request and write every body byte of the final response to it.
    public func openResponseBodyFile() throws(TransportError) -> FileHandle? {
        guard let file = responseBodyFile else { return nil }
        guard FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = try? FileHandle(forWritingTo: file) else {
            throw .refused("cannot write the response body to \(file.path)")
        }
        return handle
    }
}

/// A complete HTTP response: status, headers (names lower-cased), body (already decompressed) — in
/// `body`, or in `bodyFile` when the request asked for its body in a file and the transport did so.
public struct TransportResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data
    /// The request's `responseBodyFile`, holding the whole body, when the transport wrote it there.
    public var bodyFile: URL?
    /// How many body bytes arrived, wherever they are.
    public var bodySize: Int

    public init(status: Int, headers: [String: String] = [:], body: Data = Data(), bodyFile: URL? = nil,
                bodySize: Int? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.bodyFile = bodyFile
        self.bodySize = bodySize ?? body.count
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Why a request got no HTTP response at all.
public enum TransportError: Error, Sendable, Equatable {
    /// Connection refused, host unreachable, DNS failure.
    case unreachable(String)
    /// No complete answer within the per-request timeout.
    case timedOut(String)
    /// The connection was cut or the body ended early.
    case interrupted(String)
    /// Certificate or TLS handshake failure. Not retried: it will not heal by itself.
    case tls(String)
    /// The body exceeded the transport's maximum response size.
    case responseTooLarge(limit: Int)
    /// Too many redirects, a redirect to a forbidden scheme, or a URL the transport refuses.
    case refused(String)
    /// The calling Task was cancelled; the request was abandoned.
    case cancelled

    /// Whether trying again later could succeed.
    public var isTransient: Bool {
        switch self {
        case .unreachable, .timedOut, .interrupted: true
        case .tls, .responseTooLarge, .refused, .cancelled: false
        }
    }
}

/// Sends one request and returns the whole response (its body in memory, or in the request's
/// `responseBodyFile` when it names one). The sync engine talks to the network only through
/// this: the CLI plugs in libcurl (`BriefingCurl`), an app URLSession (`BriefingURLSession`), tests an
/// in-memory server. Implementations reuse connections across calls where they can, and stop a request
/// with `.cancelled` when the calling Task is cancelled.
public protocol Transport: Sendable {
    func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse
}
