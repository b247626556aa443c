import Foundation
import BriefingModel
import BriefingProtocol
import BriefingStore

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
        if answer.status == 200, (try? PageDecoding.briefingPage(from: answer.body)) != nil {
            return .briefing
        }
        let feed = try await client.send(TransportRequest(url: url, headers: headers))
        switch feed.status {
        case 200:
            _ = try FeedFollower.document(from: feed.body)
            return .feed
        case 401, 403:
            throw .unauthorized("server refused the credentials (\(feed.status))")
        default:
            throw .unavailable("neither a Briefing server nor a JSON Feed at \(PageDecoding.clip(url.absoluteString)) (HTTP \(feed.status))")
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
