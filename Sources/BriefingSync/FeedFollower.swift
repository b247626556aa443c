import Foundation
import BriefingModel
import BriefingProtocol
import BriefingStore
import BriefingText

/// Follows a plain JSON Feed (no change tokens): a conditional GET with the validators of the last fetch,
/// `next_url` pages followed once each, items diffed by id and `date_modified`. A plain feed is a window,
/// not a set: items that leave it stay until `prune` removes them. Marks stay on this device.
struct FeedFollower {
    let client: ProtocolClient
    let store: BriefingStore
    let feedURL: URL
    let settings: SyncSettings
    /// `sync --full`: fetch without validators, so the feed is read again even when the server says 304.
    var unconditional = false
    var now: @Sendable () -> Timestamp = { .now }
    var events: (@Sendable (SyncEvent) -> Void)?
    /// More pages than this is a runaway feed, not a briefing.
    static let maxPages = 1_000

    func run(_ report: inout SyncReport) async throws(SyncError) {
        var headers = accept + client.authorization
        if !unconditional {
            if let etag = settings.feedETag { headers.append(("If-None-Match", etag)) }
            if let modified = settings.feedLastModified { headers.append(("If-Modified-Since", modified)) }
        }
        let first = try await client.send(TransportRequest(url: feedURL, headers: headers))
        if first.status == 304 {
            // Nothing to parse or apply; a 304 may carry fresher validators (RFC 9110 §15.4.5).
            report.notModified = true
            try saveValidators(etag: first.header("etag") ?? settings.feedETag,
                               lastModified: first.header("last-modified") ?? settings.feedLastModified)
            return
        }
        var response = first
        var url = feedURL
        var visited: Set<String> = [Self.identity(feedURL)]
        while true {
            try check(response, url)
            let (feed, page) = try SyncError.decoding { () throws(MalformedData) in
                let feed = try JSONFeedDocument.decode(response.body)
                return (feed, try PageDecoder.plainFeedPage(from: feed, baseURL: url))
            }
            let tally = try storeCall { () throws(StoreError) in try store.applyPage(page, now: now()) }
            report.add(tally)
            report.pages += 1
            events?(.pageCommitted(articles: tally.pulled, report: report))
            guard let next = feed.nextURL, !next.isEmpty else { break }
            guard let nextURL = URL(string: next, relativeTo: url)?.absoluteURL,
                  let scheme = nextURL.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
                throw .malformed("feed next_url '\(TerminalText.clip(next))' is not an http(s) URL")
            }
            guard visited.insert(Self.identity(nextURL)).inserted else {
                throw .malformed("feed next_url loops back to \(TerminalText.clip(nextURL.absoluteString)), a page already fetched")
            }
            guard visited.count <= Self.maxPages else { throw .malformed("feed has more than \(Self.maxPages) pages") }
            // The same rule as `init --server`: a next_url may not lead to plain http off this machine.
            if scheme == "http", (try? ServerURLPolicy.check(nextURL, allowInsecureHTTP: settings.allowInsecureHTTP)) == nil {
                throw .malformed("feed next_url \(TerminalText.clip(nextURL.absoluteString)) is plain http to another host")
            }
            url = nextURL
            // The bearer token is for the feed's own origin, never for a host a next_url points at.
            let authorization = Self.sameOrigin(nextURL, feedURL) ? client.authorization : []
            response = try await client.send(TransportRequest(url: nextURL, headers: accept + authorization))
        }
        // Validators are stored only after every page landed, so an interrupted fetch is not mistaken for
        // an unchanged feed next time. A 200 without them clears the old ones: they no longer describe it.
        try saveValidators(etag: first.header("etag"), lastModified: first.header("last-modified"))
    }

    private var accept: [(String, String)] { [Endpoint.acceptFeed] }

    func saveValidators(etag: String?, lastModified: String?) throws(SyncError) {
        try storeCall { () throws(StoreError) in try store.saveFeedValidators(etag: etag, lastModified: lastModified) }
    }

    /// Maps a failed feed fetch to the user's error; unlike the protocol, a 404 here is a missing page.
    func check(_ response: TransportResponse, _ url: URL) throws(SyncError) {
        switch response.status {
        case 200..<300: return
        case 404, 410: throw .malformed("feed page \(TerminalText.clip(url.absoluteString)) not found (\(response.status))")
        default: try ProtocolClient.check(response, during: "feed fetch")
        }
    }

    /// A URL as loop detection compares it: without its fragment, which never reaches the server.
    static func identity(_ url: URL) -> String {
        let text = url.absoluteString
        return text.firstIndex(of: "#").map { String(text[..<$0]) } ?? text
    }

    static func sameOrigin(_ a: URL, _ b: URL) -> Bool {
        a.scheme?.lowercased() == b.scheme?.lowercased() && a.host?.lowercased() == b.host?.lowercased() && a.port == b.port
    }
}
