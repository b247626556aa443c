import BriefingProtocol
import Foundation
import HTTPTypes
import Hummingbird

/// An error answered as `{"error": "..."}` with its status and any extra headers (`Retry-After`,
/// `WWW-Authenticate`).
public struct WireError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var message: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        let body = try WireCoding.encoder().encode(ErrorBody(error: message))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension Response {
    /// A JSON response from bytes already encoded; `contentType` is `application/feed+json` for pull pages.
    static func json(_ data: Data, status: HTTPResponse.Status = .ok, contentType: String = "application/json") -> Response {
        Response(status: status, headers: [.contentType: contentType],
                 body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A pull page: a JSON Feed document served as `application/feed+json`.
    static func feed(_ document: some Encodable) throws -> Response {
        json(try WireCoding.encoder().encode(document), contentType: Endpoint.feedMediaType)
    }

    /// A JSON response encoding `value` with the wire coder.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        json(try WireCoding.encoder().encode(value), status: status)
    }
}

extension ResponseBody {
    /// The whole body in one buffer.
    consuming func collect() async throws -> ByteBuffer {
        let sink = BodySink()
        try await write(CollectingBodyWriter(sink: sink))
        return sink.buffer
    }
}

/// Where `CollectingBodyWriter` gathers the bytes it is given.
// @unchecked Sendable is safe: one `collect()` call creates the sink, awaits the body writer that appends to
// it (writes are sequential: `write` is awaited call by call), and reads it only after that await returned;
// the sink never escapes that call.
private final class BodySink: @unchecked Sendable {
    var buffer = ByteBuffer()
}

/// A body writer that keeps the body in memory instead of sending it.
private struct CollectingBodyWriter: ResponseBodyWriter {
    let sink: BodySink
    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        sink.buffer.writeBuffer(&buffer)
    }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
