import BriefingModel
import BriefingProtocol
import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension HTTPField.Name {
    static let serverTime = HTTPField.Name(Endpoint.serverTimeHeader)!
    static let idempotencyKey = HTTPField.Name(Endpoint.idempotencyKeyHeader)!
    static let maxClockOffset = HTTPField.Name(Endpoint.maxClockOffsetHeader)!
    static let clientTime = HTTPField.Name(Endpoint.clientTimeHeader)!
}

/// Stamps every response, errors included, with `Briefing-Server-Time` from the server's monotonic clock
/// and `Briefing-Max-Clock-Offset` (ε in seconds), from which clients measure and bound their clocks.
struct ServerTimeMiddleware<Context: RequestContext>: RouterMiddleware {
    let clock: ServerClock
    let maxClockOffset: ClockOffsetBound

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.serverTime] = clock.now().rfc3339
        response.headers[.maxClockOffset] = String(maxClockOffset.milliseconds / 1000)
        return response
    }
}

/// Turns Hummingbird's own errors (unknown route, wrong method, oversized body) and unexpected failures
/// (a store error) into `{"error": "..."}`, so no client ever gets a bare status.
struct ErrorBodyMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            throw WireError(error.status, error.body ?? error.status.reasonPhrase.lowercased(), headers: error.headers)
        } catch let error as FaultMiddleware.ConnectionClosedOnPurpose {
            throw error
        } catch let error as HTTPResponseError {
            throw error
        } catch {
            context.logger.error("request failed: \(error)")
            throw WireError(.internalServerError, "internal error: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
    }
}

/// Refuses protocol requests that do not carry `Authorization: Bearer <token>` with a known token, and
/// hands the token's account to the routes.
struct BearerAuthMiddleware: RouterMiddleware {
    /// Token → account name.
    let accounts: [String: String]

    func handle(_ request: Request, context: MockServerContext,
                next: (Request, MockServerContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
              let account = accounts[String(header.dropFirst(7))] else {
            throw WireError(.unauthorized, "missing or wrong bearer token", headers: [.wwwAuthenticate: "Bearer"])
        }
        var context = context
        context.account = account
        return try await next(request, context)
    }
}

/// Lets only loopback peers (and in-process requests, which have no peer) reach the admin API.
struct LoopbackOnlyMiddleware: RouterMiddleware {
    func handle(_ request: Request, context: MockServerContext,
                next: (Request, MockServerContext) async throws -> Response) async throws -> Response {
        guard Self.admits(context.peer) else { throw WireError(.forbidden, "the admin API answers loopback clients only") }
        return try await next(request, context)
    }

    /// True for 127.0.0.0/8, ::1, IPv4-mapped loopback, Unix sockets and no address at all.
    static func admits(_ peer: SocketAddress?) -> Bool {
        switch peer {
        case nil, .unixDomainSocket: return true
        case let .v4(address):
            return UInt32(bigEndian: address.address.sin_addr.s_addr) >> 24 == 127
        case let .v6(address):
            let bytes = withUnsafeBytes(of: address.address.sin6_addr) { Array($0) }
            if bytes == Array(repeating: 0, count: 15) + [1] { return true }
            return bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff && bytes[12] == 127
        }
    }
}

/// Compresses the body with gzip when the request's `Accept-Encoding` allows it.
///
/// At level 1, like nginx's default `gzip_comp_level`: on a pull page of 1000 articles zlib's default
/// level 6 takes five times as long for 16 % fewer bytes, and the server would spend more time
/// compressing a page than building it.
struct GzipMiddleware<Context: RequestContext>: RouterMiddleware {
    static var algorithm: CompressionAlgorithm { .gzip(configuration: ZlibConfiguration(compressionLevel: .fastestCompression)) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard Self.acceptsGzip(request.headers[.acceptEncoding]), response.headers[.contentEncoding] == nil else {
            return response
        }
        var body = try await response.body.collect()
        let compressed = try body.compress(with: Self.algorithm)
        response.headers[.contentEncoding] = "gzip"
        response.headers[.vary] = "Accept-Encoding"
        response.headers[.contentLength] = String(compressed.readableBytes)
        response.body = .init(byteBuffer: compressed)
        return response
    }

    /// True when `Accept-Encoding` names gzip with a quality above zero.
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        return header.split(separator: ",").contains { part in
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard pieces.first == "gzip" else { return false }
            let quality = pieces.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
    }
}
