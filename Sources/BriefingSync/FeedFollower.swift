import Foundation
import BriefingModel
import BriefingProtocol
import BriefingStore

/// Follows a plain JSON Feed (no change tokens): a conditional GET with the validators of the last fetch,
/// `next_url` pages followed once each, items diffed by id and `date_modified`. A plain feed is a window,
/// not a set: items that leave it stay until `prune` removes them. Marks stay on this device.
struct FeedFollower {
    let engine: SyncEngine
    let feedURL: URL
    let settings: SyncSettings
    /// More pages than this is a runaway feed, not a briefing.
    static let maxPages = 1_000

    func run(_ report: inout SyncReport) throws(SyncError) {
        var headers = [("Accept", "application/feed+json, application/json")] + engine.authorization
        if let etag = settings.feedETag { headers.append(("If-None-Match", etag)) }
        if let modified = settings.feedLastModified { headers.append(("If-Modified-Since", modified)) }
        let first = try engine.send(HTTPRequest(url: feedURL, headers: headers))
        if first.status == 304 {
            report.notModified = true
            try saveValidators(of: first)
            return
        }
        var response = first
        var url = feedURL
        var visited: Set<String> = [feedURL.absoluteString]
        while true {
            try engine.check(response, during: "feed fetch")
            let feed = try Self.document(from: response.body)
            let page = try Self.page(from: feed, baseURL: url)
            let tally = try engine.wrap { () throws(StoreError) in try engine.store.applyPage(page, now: engine.now()) }
            engine.add(tally, to: &report)
            report.pages += 1
            engine.progress?(SyncProgress(phase: .pull, report: report))
            guard let next = feed.nextURL, let nextURL = URL(string: next, relativeTo: url)?.absoluteURL else { break }
            guard visited.insert(nextURL.absoluteString).inserted else {
                throw .malformed("feed next_url loops back to \(PageDecoding.clip(nextURL.absoluteString))")
            }
            guard visited.count <= Self.maxPages else { throw .malformed("feed has more than \(Self.maxPages) pages") }
            url = nextURL
            response = try engine.send(HTTPRequest(url: nextURL, headers: [("Accept", "application/feed+json, application/json")] + engine.authorization))
        }
        try saveValidators(of: first)
    }

    /// Validators are stored only after every page landed, so an interrupted fetch is not mistaken for
    /// an unchanged feed next time.
    func saveValidators(of response: HTTPResponse) throws(SyncError) {
        let etag = response.header("etag") ?? settings.feedETag
        let modified = response.header("last-modified") ?? settings.feedLastModified
        try engine.wrap { () throws(StoreError) in try engine.store.saveFeedValidators(etag: etag, lastModified: modified) }
    }

    /// Decodes a JSON Feed 1.0 or 1.1 document; anything else is named for what it looked like.
    static func document(from data: Data) throws(SyncError) -> FeedDocument {
        let head = String(decoding: data.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if head.hasPrefix("<") {
            let kind = head.lowercased().contains("<rss") || head.lowercased().contains("<feed") ? "an RSS/Atom XML feed"
                : head.lowercased().contains("<html") || head.lowercased().contains("<!doctype") ? "an HTML page" : "XML"
            throw .malformed("not a JSON Feed: the document looks like \(kind)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .malformed("not a JSON Feed: the document is not a JSON object")
        }
        guard let version = object["version"] as? String, version.hasPrefix("https://jsonfeed.org/version/1") else {
            let hint = object["rss"] != nil || object["channel"] != nil ? " (it looks like RSS converted to JSON)" : ""
            throw .malformed("not a JSON Feed: no https://jsonfeed.org/version/1 'version' member\(hint)")
        }
        return try PageDecoding.feed(from: data)
    }

    /// A plain feed page as a store page. Revisions come from `date_modified` (else `date_published`), so
    /// an item is updated only when the feed says it changed.
    static func page(from feed: FeedDocument, baseURL: URL) throws(SyncError) -> PulledPage {
        let base = [feed.homePageURL, feed.feedURL].compactMap { $0.flatMap(URL.init(string:)) }.first ?? baseURL
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
            let modified = (item.dateModified ?? item.datePublished).flatMap(Timestamp.init(rfc3339:))
            articles.append(try PageDecoding.article(from: item, revision: max(0, modified?.milliseconds ?? 0)))
        }
        return PulledPage(articles: articles)
    }

    static func resolve(_ link: String?, _ base: URL) -> String? {
        guard let link else { return nil }
        return URL(string: link, relativeTo: base)?.absoluteString ?? link
    }
}
