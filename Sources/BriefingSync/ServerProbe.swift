import Foundation
import BriefingModel
import BriefingProtocol
import BriefingStore
import BriefingText

/// Tells a Briefing protocol server from a plain JSON Feed by asking: a Briefing server answers
/// `GET {url}/v1/changes?limit=1` with a page that carries `_briefing`; otherwise `url` itself must be a
/// JSON Feed document.
public enum ServerProbe {
    public static func kind(of url: URL, transport: any Transport, bearerToken: String?) async throws(SyncError) -> ServerKind {
        let client = ProtocolClient(transport: transport, bearerToken: bearerToken)
        let headers = [Endpoint.acceptFeed] + client.authorization
        let probe = ProtocolClient.changesURL(url, token: nil, limit: 1)
        let answer = try await client.send(TransportRequest(url: probe, headers: headers))
        if answer.status == 401 || answer.status == 403 {
            throw .unauthorized("server refused the credentials (\(answer.status))")
        }
        if answer.status == 200, (try? PageDecoder.briefingPage(from: answer.body)) != nil {
            return .briefing
        }
        // Read from a file as a sync reads it, so a large feed costs no memory here either.
        let download = FileManager.default.temporaryDirectory.appendingPathComponent("briefing-probe-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: download) }
        let feed = try await client.send(TransportRequest(url: url, headers: headers, responseBodyFile: download))
        switch feed.status {
        case 200:
            var reader = PlainFeedHeaderReader()
            _ = try SyncError.decoding { () throws(MalformedData) in
                var source = try FeedFollower.ChunkSource(feed)
                while let chunk = try source.next() { try reader.consume(chunk) }
                return try reader.finish()
            }
            return .feed
        case 401, 403:
            throw .unauthorized("server refused the credentials (\(feed.status))")
        default:
            throw .unavailable("neither a Briefing server nor a JSON Feed at \(TerminalText.clip(url.absoluteString)) (HTTP \(feed.status))")
        }
    }
}
