import HTTPTypes
import Hummingbird
import NIOCore

/// The request context of the mock server: Hummingbird's core context plus the connection's channel,
/// which the admin guard reads the peer address from and the `drop`/`truncate` faults close.
public struct MockServerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection; nil when a request does not come from a socket.
    public let channel: (any Channel)?
    /// The account the bearer token named (`BearerAuthMiddleware`); the default account without accounts.
    public var account: String = defaultAccount

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The address of the client, when the connection has one.
    public var peer: SocketAddress? { channel?.remoteAddress }

    public var maxUploadSize: Int { 64 * 1024 * 1024 }
}
