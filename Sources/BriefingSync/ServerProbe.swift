import Foundation
import BriefingModel
import BriefingProtocol
import BriefingStore
import BriefingText

/// Tells a Briefing protocol server from a plain JSON Feed by asking: a Briefing server answers
/// `GET {url}/v1/changes?limit=1` with a page that carries `_briefing`; otherwise `url` itself must be a
/// JSON Feed document.
public enum ServerProbe {
    public static func kind(of url: URL, transport: Transport, bearerToken: String?) throws(SyncError) -> ServerKind {
        let authorization = bearerToken.map { [("Authorization", "Bearer \($0)")] } ?? []
        let accept = [Endpoint.acceptFeed]
        var probe = URLComponents(url: SyncEngine.endpoint(url, Endpoint.changes), resolvingAgainstBaseURL: true)!
        probe.queryItems = [URLQueryItem(name: Endpoint.limitParameter, value: "1")]
        let answer = try send(HTTPRequest(url: probe.url!, headers: accept + authorization), transport)
        if answer.status == 401 || answer.status == 403 {
            throw .unauthorized("server refused the credentials (\(answer.status)); check --token-file or BRIEFING_TOKEN")
        }
        if answer.status == 200, (try? PageDecoder.briefingPage(from: answer.body)) != nil {
            return .briefing
        }
        let feed = try send(HTTPRequest(url: url, headers: accept + authorization), transport)
        switch feed.status {
        case 200:
            _ = try SyncError.decoding { () throws(MalformedData) in try JSONFeedDocument.decode(feed.body) }
            return .feed
        case 401, 403:
            throw .unauthorized("server refused the credentials (\(feed.status)); check --token-file or BRIEFING_TOKEN")
        default:
            throw .unavailable("neither a Briefing server nor a JSON Feed at \(TerminalText.clip(url.absoluteString)) (HTTP \(feed.status))")
        }
    }

    static func send(_ request: HTTPRequest, _ transport: Transport) throws(SyncError) -> HTTPResponse {
        do {
            return try transport.send(request)
        } catch {
            throw .unavailable(SyncEngine.describe(error, url: request.url))
        }
    }
}
