import Foundation
#if canImport(Glibc)
import Glibc
#endif
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
            let (response, full) = try await plainResponse(request, context: context, next: next)
            return cutShort(response, body: full, after: full.readableBytes / 2, context: context, reset: false)
        case .malformed:
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: #"{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "#)))
        case .hang:
            try await hold(context.channel, upTo: .milliseconds(fault.holdMs ?? 600_000))
            throw ConnectionClosedOnPurpose()
        case .slow:
            return try await paced(try await next(request, context), bytesPerSecond: fault.bytesPerSecond ?? 65_536)
        case .reset:
            let (response, full) = try await plainResponse(request, context: context, next: next)
            let after = min(fault.afterBytes ?? full.readableBytes / 2, full.readableBytes)
            return cutShort(response, body: full, after: after, context: context, reset: true)
        case .latency:
            let jitter = fault.jitterMs ?? 0
            let wait = max(0, (fault.delayMs ?? 0) + Int.random(in: -jitter...jitter))
            try await Task.sleep(for: .milliseconds(wait))
            return try await next(request, context)
        case .applyThenDrop:
            // The handler runs to the end (a push commits and stores its answer); only the answer is lost.
            _ = try await next(request, context)
            try await context.channel?.close()
            throw ConnectionClosedOnPurpose()
        }
    }

    /// The answer with its body collected, never gzipped, so byte counts refer to the plain body.
    private func plainResponse(_ request: Request, context: MockServerContext,
                               next: (Request, MockServerContext) async throws -> Response) async throws -> (Response, ByteBuffer) {
        var head = request.head
        head.headerFields[.acceptEncoding] = nil
        var response = try await next(Request(head: head, body: request.body), context)
        let full = try await response.body.collect()
        response.headers[.contentEncoding] = nil
        return (response, full)
    }

    /// Announces the full length, sends the first `after` bytes of `body`, then closes the connection:
    /// cleanly (FIN) for `truncate`, with a TCP reset (SO_LINGER 0, then close) for `reset`.
    private func cutShort(_ response: Response, body: ByteBuffer, after: Int, context: MockServerContext,
                          reset: Bool) -> Response {
        var response = response
        let partial = body.getSlice(at: body.readerIndex, length: after) ?? ByteBuffer()
        let channel = context.channel
        response.body = ResponseBody(contentLength: body.readableBytes) { writer in
            try await writer.write(partial)
            // Let the partial body leave before the connection goes; closing drops unsent writes.
            try await Task.sleep(for: .milliseconds(100))
            if reset, let sockets = channel as? any SocketOptionProvider {
                try await sockets.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
            }
            try await channel?.close()
            throw ConnectionClosedOnPurpose()
        }
        return response
    }

    /// Holds the connection without answering until the client closes its side, the server starts shutting
    /// down or `limit` passes, then closes it: a server that never let go would leak a connection per hung
    /// request, and would wait for it on SIGTERM.
    private func hold(_ channel: (any Channel)?, upTo limit: Duration) async throws {
        guard let channel else { return try await Task.sleep(for: limit) }
        let release = HeldConnectionRelease(channel.eventLoop.makePromise(of: Void.self))
        try await channel.pipeline.addHandler(release, position: .first).get()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await release.released.futureResult.get() }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
            release.fire(on: channel.eventLoop)
        }
        try? await channel.close()
    }

    /// Sends the whole answer at about `bytesPerSecond`: the head waits as long as its bytes would take,
    /// then the body goes out in chunks of a twentieth of a second each.
    private func paced(_ response: Response, bytesPerSecond: Int) async throws -> Response {
        var response = response
        let body = try await response.body.collect()
        let headBytes = 17 + response.headers.reduce(0) { $0 + $1.name.rawName.utf8.count + $1.value.utf8.count + 4 }
        try await Task.sleep(for: .seconds(Double(headBytes) / Double(bytesPerSecond)))
        let chunkSize = max(1, bytesPerSecond / 20)
        response.body = ResponseBody(contentLength: body.readableBytes) { writer in
            var offset = body.readerIndex
            while offset < body.writerIndex {
                let length = min(chunkSize, body.writerIndex - offset)
                try await writer.write(body.getSlice(at: offset, length: length)!)
                offset += length
                try await Task.sleep(for: .seconds(Double(length) / Double(bytesPerSecond)))
            }
        }
        return response
    }
}

/// Tells a held (`hang`) request when to let go: the client closed its side (Hummingbird allows half-closed
/// connections, so the channel itself stays open), the connection went away, or the server is shutting
/// down (the quiesce event, which Hummingbird's own handlers consume further down the pipeline).
// @unchecked Sendable is safe: `fired` is read and written only on the channel's event loop (the handler
// callbacks, and `fire(on:)`, which hops there); `released` is a Sendable promise.
final class HeldConnectionRelease: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let released: EventLoopPromise<Void>
    private var fired = false

    init(_ released: EventLoopPromise<Void>) { self.released = released }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent || (event as? ChannelEvent) == .inputClosed { fire() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fire()
        context.fireChannelInactive()
    }

    func fire(on eventLoop: any EventLoop) {
        eventLoop.execute { self.fire() }
    }

    private func fire() {
        guard !fired else { return }
        fired = true
        released.succeed(())
    }
}
