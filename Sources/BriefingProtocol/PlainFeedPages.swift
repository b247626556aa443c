import Foundation
import BriefingModel
import BriefingText

// Store pages from documents without change tokens: a plain feed's pages, and local files to import.
extension PageDecoder {
    /// A plain feed page as a store page. Revisions come from `date_modified` (else `date_published`), so
    /// an item is updated only when the feed says it changed; relative links resolve against `base(of:)`.
    public static func plainFeedPage(from feed: FeedDocument, baseURL: URL) throws(MalformedData) -> PulledPage {
        let base = base(of: feed, fetchedFrom: baseURL)
        var articles: [PulledArticle] = []
        var seen = Set<String>()
        for var item in feed.items {
            do { try item.requireContent() } catch {
                throw MalformedData("feed \(error.message) (a summary alone is not allowed)")
            }
            guard seen.insert(item.id).inserted else { continue }
            item.url = resolve(item.url, base)
            item.externalURL = resolve(item.externalURL, base)
            item.image = resolve(item.image, base)
            item.bannerImage = resolve(item.bannerImage, base)
            let modified = (item.dateModified ?? item.datePublished).flatMap(Timestamp.init(rfc3339:))
            articles.append(try article(from: item, revision: max(0, modified?.milliseconds ?? 0)))
        }
        return PulledPage(articles: articles)
    }

    /// A local JSON Feed file as a page: Briefing revisions and states are kept when present; other
    /// items get their revision from `date_modified` as plain feeds do.
    public static func importPage(from data: Data) throws(MalformedData) -> PulledPage {
        let feed = try JSONFeedDocument.decode(data)
        var page = try plainFeedPage(from: feed, baseURL: URL(string: "file:///")!)
        for (index, item) in feed.items.enumerated() where index < page.articles.count {
            guard let info = item.briefing, page.articles[index].article.id == item.id else { continue }
            page.articles[index].article.revision = info.revision
            for field in StateField.allCases {
                if let record = info.state(of: field) { page.articles[index].states[field] = try serverState(record, item.id) }
            }
        }
        return page
    }

    /// What relative item links are resolved against: `home_page_url`, else `feed_url` (each resolved
    /// against where the document came from), else the document's own URL.
    public static func base(of feed: FeedDocument, fetchedFrom url: URL) -> URL {
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
