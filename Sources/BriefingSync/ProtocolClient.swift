import Foundation
import BriefingModel
import BriefingProtocol
import BriefingText

/// What one pull request brought: a page's body, or 410 Gone for the token it was made with.
enum FetchedPage: Sendable {
    case page(Data)
    case gone
}

/// The HTTP side every sync shares: sends through the transport with the bearer token, maps transport
/// failures and non-2xx answers to `SyncError`, and knows the protocol's endpoints. The Briefing pull and
/// push (`SyncEngine`), the plain-feed follower (`FeedFollower`) and the server probe (`ServerProbe`) are
/// peers on top of it.
struct ProtocolClient: Sendable {
    let transport: any Transport
    let bearerToken: String?
    /// Receives the server's clock reading of every response, with this device's wall clock at its arrival.
    var clockReadings: ServerClockReadings?
    var wallClock: @Sendable () -> Timestamp = { .now }

    var authorization: [(String, String)] {
        bearerToken.map { [("Authorization", "Bearer \($0)")] } ?? []
    }

    /// `base` joined with a relative protocol path, whether or not `base` ends in a slash.
    static func endpoint(_ base: URL, _ path: String) -> URL {
        let text = base.absoluteString
        let root = text.hasSuffix("/") ? text : text + "/"
        return URL(string: root + path)!
    }

    static func changesURL(_ base: URL, token: String?, limit: Int) -> URL {
        var components = URLComponents(url: endpoint(base, Endpoint.changes), resolvingAgainstBaseURL: true)!
        var query = [URLQueryItem(name: Endpoint.limitParameter, value: String(limit))]
        if let token { query.append(URLQueryItem(name: Endpoint.tokenParameter, value: token)) }
        components.queryItems = query
        return components.url!
    }

    func send(_ request: TransportRequest) async throws(SyncError) -> TransportResponse {
        do {
            let response = try await transport.send(request)
            clockReadings?.take(response, receivedAt: wallClock())
            return response
        } catch .cancelled {
            throw .cancelled
        } catch {
            throw .unavailable(Self.describe(error, url: request.url))
        }
    }

    /// Requests the page after `token`; touches nothing but the transport, so it may run beside a page write.
    func fetchPage(base: URL, token: String?, limit: Int) async throws(SyncError) -> FetchedPage {
        let url = Self.changesURL(base, token: token, limit: limit)
        let response = try await send(TransportRequest(url: url, headers: [Endpoint.acceptFeed] + authorization))
        if response.status == 410 { return .gone }
        try Self.check(response, during: "pull")
        return .page(response.body)
    }

    /// Sends one batch of mutations with a fresh Idempotency-Key and this device's clock reading (the clock
    /// its marks were stamped with), and decodes the verdicts.
    func push(_ request: PushRequest, to url: URL, clientTime: Timestamp) async throws(SyncError) -> PushResponse {
        var writer = WireJSONWriter(capacity: request.mutations.count * 256 + 16)
        writer.pushRequest(request)
        let body = Data(writer.bytes)
        let headers = [("Content-Type", "application/json"),
                       (Endpoint.idempotencyKeyHeader, UUID().uuidString.lowercased()),
                       (Endpoint.clientTimeHeader, clientTime.rfc3339)] + authorization
        let response = try await send(TransportRequest(method: "POST", url: url, headers: headers, body: body))
        try Self.check(response, during: "push")
        if let decoded = FastWireReader.pushResponse(from: response.body) { return decoded }
        do {
            return try WireCoding.decoder().decode(PushResponse.self, from: response.body)
        } catch {
            throw .malformed("malformed push response from the server")
        }
    }

    /// Maps a non-2xx answer to the error the user should see.
    static func check(_ response: TransportResponse, during phase: String) throws(SyncError) {
        let status = response.status
        if (200..<300).contains(status) { return }
        let detail = serverMessage(response)
        switch status {
        case 401, 403:
            throw .unauthorized("server refused the credentials (\(status))\(detail)")
        case 404:
            throw .notConfigured("no Briefing server at the configured URL (404 on \(phase))")
        case 400..<500:
            throw .malformed("server rejected the \(phase) (\(status))\(detail)")
        default:
            throw .unavailable("server failing (\(status) on \(phase))\(detail)")
        }
    }

    static func serverMessage(_ response: TransportResponse) -> String {
        guard let body = try? WireCoding.decoder().decode(ErrorBody.self, from: response.body) else { return "" }
        return ": " + TerminalText.clip(body.error)
    }

    static func describe(_ error: TransportError, url: URL) -> String {
        let host = url.host.map { "\($0)\(url.port.map { ":\($0)" } ?? "")" } ?? "server"
        // Transport details name the cause and the request ("... self-signed certificate (GET https://…)"):
        // worth a longer line than server-supplied text gets.
        func clip(_ detail: String) -> String { TerminalText.clip(detail, to: 200) }
        switch error {
        case .unreachable(let detail): return "server \(host) unreachable: \(clip(detail))"
        case .timedOut(let detail): return "server \(host) timed out: \(clip(detail))"
        case .interrupted(let detail): return "connection to \(host) interrupted: \(clip(detail))"
        case .tls(let detail): return "TLS error with \(host): \(clip(detail))"
        case .responseTooLarge(let limit): return "response from \(host) larger than \(limit) bytes"
        case .refused(let detail): return "request to \(host) refused: \(clip(detail))"
        case .cancelled: return "request to \(host) cancelled"
        }
    }
}
