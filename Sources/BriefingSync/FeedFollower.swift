import Foundation
import BriefingModel
import BriefingProtocol
import BriefingStore

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
            let feed = try Self.document(from: response.body)
            let page = try Self.page(from: feed, baseURL: url)
            let tally = try storeCall { () throws(StoreError) in try store.applyPage(page, now: now()) }
            report.add(tally)
            report.pages += 1
            events?(.pageCommitted(articles: tally.pulled, report: report))
            guard let next = feed.nextURL, !next.isEmpty else { break }
            guard let nextURL = URL(string: next, relativeTo: url)?.absoluteURL,
                  let scheme = nextURL.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
                throw .malformed("feed next_url '\(PageDecoding.clip(next))' is not an http(s) URL")
            }
            guard visited.insert(Self.identity(nextURL)).inserted else {
                throw .malformed("feed next_url loops back to \(PageDecoding.clip(nextURL.absoluteString)), a page already fetched")
            }
            guard visited.count <= Self.maxPages else { throw .malformed("feed has more than \(Self.maxPages) pages") }
            // The same rule as `init --server`: a next_url may not lead to plain http off this machine.
            if scheme == "http", (try? ServerURLPolicy.check(nextURL, allowInsecureHTTP: settings.allowInsecureHTTP)) == nil {
                throw .malformed("feed next_url \(PageDecoding.clip(nextURL.absoluteString)) is plain http to another host")
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
        case 404, 410: throw .malformed("feed page \(PageDecoding.clip(url.absoluteString)) not found (\(response.status))")
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

    /// Decodes a JSON Feed 1.0 or 1.1 document; anything else is named for what it looked like.
    static func document(from data: Data) throws(SyncError) -> FeedDocument {
        var body = data
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = Data(body.dropFirst(3)) }  // a UTF-8 byte order mark
        let head = String(decoding: body.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if head.isEmpty { throw .malformed("not a JSON Feed: the document is empty") }
        if head.hasPrefix("<") {
            let lower = head.lowercased()
            let kind = lower.contains("<rss") || lower.contains("<rdf") ? "an RSS feed (XML)"
                : lower.contains("<feed") ? "an Atom feed (XML)"
                : lower.contains("<html") || lower.contains("<!doctype") ? "an HTML page" : "XML"
            throw .malformed("not a JSON Feed: the document looks like \(kind)")
        }
        guard let json = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else {
            throw .malformed("not a JSON Feed: the document is not valid JSON")
        }
        guard let object = json as? [String: Any] else {
            throw .malformed("not a JSON Feed: the document is a JSON \(json is [Any] ? "array" : "value"), not an object")
        }
        guard let version = object["version"] as? String, Self.isJSONFeedVersion(version) else {
            throw .malformed("not a JSON Feed: no https://jsonfeed.org/version/1 or /1.1 'version' member"
                + (Self.looksLikeRSS(object) ? " (it looks like RSS converted to JSON)" : ""))
        }
        return try PageDecoding.feed(from: body)
    }

    /// `https://jsonfeed.org/version/1` or `/1.1` (and `http://`, as some 1.0 feeds wrote it).
    static func isJSONFeedVersion(_ version: String) -> Bool {
        let trimmed = version.trimmingCharacters(in: .whitespaces).lowercased()
        guard let rest = ["https://jsonfeed.org/version/", "http://jsonfeed.org/version/"]
            .first(where: trimmed.hasPrefix).map({ trimmed.dropFirst($0.count) }) else { return false }
        let number = rest.hasSuffix("/") ? rest.dropLast() : rest
        return number == "1" || number.hasPrefix("1.")
    }

    /// RSS turned into JSON by a converter: `{"rss": {"channel": …}}`, `{"channel": …}`, or rss2json's
    /// `{"status": "ok", "feed": {…}, "items": [{"guid", "pubDate", …}]}`.
    static func looksLikeRSS(_ object: [String: Any]) -> Bool {
        if object["rss"] != nil || object["channel"] != nil { return true }
        let items = object["items"] as? [[String: Any]] ?? []
        return object["feed"] is [String: Any]
            || items.contains { $0["guid"] != nil || $0["pubDate"] != nil || $0["link"] != nil }
    }

    /// A plain feed page as a store page. Revisions come from `date_modified` (else `date_published`), so
    /// an item is updated only when the feed says it changed.
    static func page(from feed: FeedDocument, baseURL: URL) throws(SyncError) -> PulledPage {
        let base = Self.base(of: feed, fetchedFrom: baseURL)
        var articles: [PulledArticle] = []
        var seen = Set<String>()
        for var item in feed.items {
            guard item.contentHTML != nil || item.contentText != nil else {
                throw .malformed("feed item '\(PageDecoding.clip(item.id))' has neither content_html nor content_text (a summary alone is not allowed)")
            }
            guard seen.insert(item.id).inserted else { continue }
            item.url = resolve(item.url, base)
            item.externalURL = resolve(item.externalURL, base)
            item.image = resolve(item.image, base)
            item.bannerImage = resolve(item.bannerImage, base)
            let modified = (item.dateModified ?? item.datePublished).flatMap(Timestamp.init(rfc3339:))
            articles.append(try PageDecoding.article(from: item, revision: max(0, modified?.milliseconds ?? 0)))
        }
        return PulledPage(articles: articles)
    }

    /// What relative item links are resolved against: `home_page_url`, else `feed_url` (each resolved
    /// against where the document came from), else the document's own URL.
    static func base(of feed: FeedDocument, fetchedFrom url: URL) -> URL {
        for candidate in [feed.homePageURL, feed.feedURL] {
            guard let text = candidate, !text.isEmpty, let resolved = URL(string: text, relativeTo: url)?.absoluteURL,
                  resolved.scheme != nil, resolved.host != nil || resolved.isFileURL else { continue }
            return resolved
        }
        return url
    }

    static func resolve(_ link: String?, _ base: URL) -> String? {
        guard let link else { return nil }
        return URL(string: link, relativeTo: base)?.absoluteString ?? link
    }
}
