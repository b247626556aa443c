import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Makes the next matching protocol request fail the way the first armed `Fault` says.
struct FaultMiddleware: RouterMiddleware {
    let faults: FaultQueue

    /// Thrown after the connection was closed on purpose, so nothing is written to it.
    struct ConnectionClosedOnPurpose: Error {}

    func handle(_ request: Request, context: MockServerContext,
                next: (Request, MockServerContext) async throws -> Response) async throws -> Response {
        guard let fault = faults.take(forPath: request.uri.path) else { return try await next(request, context) }
        switch fault.kind {
        case .status:
            let status = HTTPResponse.Status(code: fault.status ?? 503)
            var headers: HTTPFields = [:]
            if let retryAfter = fault.retryAfter { headers[.retryAfter] = String(retryAfter) }
            throw WireError(status, "injected fault: status \(status.code)", headers: headers)
        case .delay:
            try await Task.sleep(for: .milliseconds(fault.delayMs ?? 1_000))
            return try await next(request, context)
        case .drop:
            try await context.channel?.close()
            throw ConnectionClosedOnPurpose()
        case .truncate:
            // The announced length is that of the plain body: the truncated answer is never gzipped.
            var head = request.head
            head.headerFields[.acceptEncoding] = nil
            var response = try await next(Request(head: head, body: request.body), context)
            let full = try await response.body.collect()
            let partial = full.getSlice(at: full.readerIndex, length: full.readableBytes / 2) ?? ByteBuffer()
            let channel = context.channel
            response.headers[.contentEncoding] = nil
            response.body = ResponseBody(contentLength: full.readableBytes) { writer in
                try await writer.write(partial)
                // Let the partial body leave before the connection goes; closing drops unsent writes.
                try await Task.sleep(for: .milliseconds(100))
                try await channel?.close()
                throw ConnectionClosedOnPurpose()
            }
            return response
        case .malformed:
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: #"{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "#)))
        }
    }
}
