import Foundation

/// One HTTP request as the sync engine needs it: method, absolute URL, headers, optional body.
public struct HTTPRequest: Sendable, Hashable {
    public var method: String
    public var url: URL
    public var headers: [(String, String)]
    public var body: Data?

    public init(method: String = "GET", url: URL, headers: [(String, String)] = [], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    public static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body
            && lhs.headers.map { "\($0.0):\($0.1)" } == rhs.headers.map { "\($0.0):\($0.1)" }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(method)
        hasher.combine(url)
        hasher.combine(body)
    }
}

/// A complete HTTP response: status, headers (names lower-cased), body (already decompressed).
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
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

    /// Whether trying again later could succeed.
    public var isTransient: Bool {
        switch self {
        case .unreachable, .timedOut, .interrupted: true
        case .tls, .responseTooLarge, .refused: false
        }
    }
}

/// Sends one request and returns the whole response. The sync engine talks to the network only through
/// this; the CLI plugs in libcurl (`BriefingCurl`), tests may plug in an in-memory server, an iOS app its
/// own URLSession transport. Implementations reuse connections across calls where they can.
public protocol Transport: AnyObject {
    func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse
}
