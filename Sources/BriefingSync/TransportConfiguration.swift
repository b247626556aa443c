import Foundation

/// Limits and trust settings every `Transport` honours, whichever library sends the bytes.
///
/// The defaults suit a sync over a phone-grade connection; `caFile` is for a self-hosted server whose
/// certificate comes from a private CA. There is deliberately no switch to turn verification off.
public struct TransportConfiguration: Sendable, Equatable {
    /// How many redirects one request may follow (only to http or https).
    public static let maxRedirects = 5

    /// Seconds allowed for DNS, TCP and the TLS handshake.
    public var connectTimeout: TimeInterval
    /// Seconds allowed for one whole request, connection included.
    public var requestTimeout: TimeInterval
    /// The largest decoded body accepted, in bytes.
    public var maxResponseSize: Int
    /// A PEM file of CA certificates to verify the server against, instead of the system bundle.
    public var caFile: String?
    /// Sent unless the request carries its own User-Agent.
    public var userAgent: String

    public init(connectTimeout: TimeInterval = 10, requestTimeout: TimeInterval = 30,
                maxResponseSize: Int = 64 << 20, caFile: String? = nil, userAgent: String = "briefing") {
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.maxResponseSize = maxResponseSize
        self.caFile = caFile
        self.userAgent = userAgent
    }
}
