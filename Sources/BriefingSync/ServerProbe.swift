import Foundation
import BriefingModel
import BriefingProtocol
import BriefingStore

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
        if answer.status == 200, (try? PageDecoding.briefingPage(from: answer.body)) != nil {
            return .briefing
        }
        let feed = try send(HTTPRequest(url: url, headers: accept + authorization), transport)
        switch feed.status {
        case 200:
            _ = try FeedFollower.document(from: feed.body)
            return .feed
        case 401, 403:
            throw .unauthorized("server refused the credentials (\(feed.status)); check --token-file or BRIEFING_TOKEN")
        default:
            throw .unavailable("neither a Briefing server nor a JSON Feed at \(PageDecoding.clip(url.absoluteString)) (HTTP \(feed.status))")
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

extension PageDecoding {
    /// A local JSON Feed file as a page: Briefing revisions and states are kept when present; other
    /// items get their revision from `date_modified` as plain feeds do.
    public static func importPage(from data: Data) throws(SyncError) -> PulledPage {
        let feed = try FeedFollower.document(from: data)
        var page = try FeedFollower.page(from: feed, baseURL: URL(string: "file:///")!)
        for (index, item) in feed.items.enumerated() where index < page.articles.count {
            guard let info = item.briefing, page.articles[index].article.id == item.id else { continue }
            page.articles[index].article.revision = info.revision
            for field in StateField.allCases {
                if let record = info.state(of: field) { page.articles[index].states[field] = try serverState(record, item.id) }
            }
        }
        return page
    }
}
