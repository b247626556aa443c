import Foundation
import BriefingModel
import BriefingText

/// A plain JSON Feed document's top-level members, read in a first pass over its bytes: whether it is a
/// JSON Feed at all, and what its items' links resolve against.
public struct PlainFeedHeader: Sendable, Equatable {
    public var version: String?
    public var title: String?
    public var homePageURL: String?
    public var feedURL: String?
    public var nextURL: String?
    public var itemCount = 0

    public init() {}
}

/// The first pass over a plain feed: sniffs what the document is, checks its shape, and collects the
/// top-level members. Nothing is decoded into items and nothing is stored, so a document that is not a
/// JSON Feed is refused before the store is touched. Feed it chunks, then `finish()`.
public struct PlainFeedHeaderReader: Sendable {
    private var scanner: JSONFeedScanner
    private var header = PlainFeedHeader()
    private var head = Data()
    private var sniffed = false
    private var hasItems = false
    private var itemsNotArray = false
    private var looksLikeRSS = false

    public init() {
        scanner = JSONFeedScanner(maxItemBytes: PageDecoder.maxItemBytes, capturesItems: false)
    }

    public mutating func consume(_ chunk: Data) throws(MalformedData) {
        if !sniffed {
            head.append(chunk.prefix(512 - head.count))
            if head.count >= 512 { try sniff() }
        }
        let events: [JSONFeedScanner.Event]
        do {
            events = try scanner.consume(chunk)
        } catch {
            if !sniffed { try sniff() }  // names what the document looks like, when it can
            throw error
        }
        for event in events { take(event) }
    }

    /// The header, once the whole document was seen; throws when it is not a JSON Feed.
    public mutating func finish() throws(MalformedData) -> PlainFeedHeader {
        if !sniffed { try sniff() }
        try scanner.finish()
        guard let version = header.version, JSONFeedDocument.isJSONFeedVersion(version) else {
            throw MalformedData("not a JSON Feed: no https://jsonfeed.org/version/1 or /1.1 'version' member"
                + (looksLikeRSS ? " (it looks like RSS converted to JSON)" : ""))
        }
        guard hasItems, !itemsNotArray else { throw MalformedData("not a JSON Feed: no 'items' array") }
        header.itemCount = scanner.itemsSeen
        return header
    }

    private mutating func sniff() throws(MalformedData) {
        sniffed = true
        try JSONFeedDocument.sniff(head)
        head = Data()
    }

    private mutating func take(_ event: JSONFeedScanner.Event) {
        switch event {
        case .member(let key, let value):
            let decoded = value.flatMap { try? JSONSerialization.jsonObject(with: $0, options: [.fragmentsAllowed]) }
            switch key {
            case "version": header.version = decoded as? String
            case "title": header.title = decoded as? String
            case "home_page_url": header.homePageURL = decoded as? String
            case "feed_url": header.feedURL = decoded as? String
            case "next_url": header.nextURL = decoded as? String
            case "items": hasItems = true; itemsNotArray = true
            case "rss", "channel": looksLikeRSS = true
            case "feed": looksLikeRSS = looksLikeRSS || decoded is [String: Any]
            default: break
            }
        case .itemsArray:
            hasItems = true
        case .item(let position, let value, _):
            // The first item tells RSS converted to JSON (rss2json's `guid`, `pubDate`, `link`) apart.
            if position == 0, let value, let object = try? JSONSerialization.jsonObject(with: value) as? [String: Any],
               object["guid"] != nil || object["pubDate"] != nil || object["link"] != nil {
                looksLikeRSS = true
            }
        }
    }
}

/// The second pass over a plain feed: its items as store articles, a chunk at a time, with a warning for
/// every field dropped and every item skipped. Ids are unique across the whole document (the first wins).
public struct PlainFeedItemReader: Sendable {
    private var scanner = JSONFeedScanner(maxItemBytes: PageDecoder.maxItemBytes)
    private let base: URL
    /// The ids read so far, by their 64-bit hash: a tenth of the memory the ids themselves would take in a
    /// feed of 100,000 items. Two ids of one document sharing a hash (odds below one in 10^9 there) would
    /// skip the second with a warning.
    private var seen = Set<Int>()

    /// `header` from the first pass; `url` is where the document came from.
    public init(header: PlainFeedHeader, fetchedFrom url: URL) {
        base = PageDecoder.base(homePageURL: header.homePageURL, feedURL: header.feedURL, fetchedFrom: url)
    }

    public mutating func consume(_ chunk: Data) throws(MalformedData) -> (articles: [PulledArticle], warnings: [FeedWarning]) {
        var articles: [PulledArticle] = []
        var warnings: [FeedWarning] = []
        for case .item(let position, let value, let size) in try scanner.consume(chunk) {
            guard let value else {
                warnings.append(FeedWarning(item: "#\(position + 1)", reason: "\(size) bytes, more than the \(PageDecoder.maxItemBytes >> 20) MiB an item may have"))
                continue
            }
            let (item, itemWarnings) = PlainFeedItems.item(from: value, position: position)
            warnings += itemWarnings
            guard let item else { continue }
            let (article, articleWarnings) = PageDecoder.plainFeedArticle(from: item, position: position, base: base)
            warnings += articleWarnings
            guard let article else { continue }
            guard seen.insert(article.article.id.hashValue).inserted else {
                warnings.append(FeedWarning(item: article.article.id, reason: "the id appears earlier in the feed; the first is kept"))
                continue
            }
            articles.append(article)
        }
        return (articles, warnings)
    }

    public mutating func finish() throws(MalformedData) { try scanner.finish() }
}

/// A whole plain feed in memory, read by both passes: what `import` and the tests use.
public struct PlainFeedDocument: Sendable {
    public var header: PlainFeedHeader
    public var page: PulledPage
    public var warnings: [FeedWarning]

    public init(_ data: Data, fetchedFrom url: URL) throws(MalformedData) {
        var headerReader = PlainFeedHeaderReader()
        try headerReader.consume(data)
        header = try headerReader.finish()
        var items = PlainFeedItemReader(header: header, fetchedFrom: url)
        let (articles, warnings) = try items.consume(data)
        try items.finish()
        page = PulledPage(articles: articles)
        self.warnings = warnings
    }
}

// Store pages from documents without change tokens: a plain feed's items, and local files to import.
extension PageDecoder {
    /// The largest item a plain feed may hold; larger ones are skipped with a warning. Room for a body
    /// at `maxBodyLength` in both its forms, and the rest.
    public static let maxItemBytes = 2 * maxBodyLength + (1 << 20)

    /// One plain-feed item as a store article, keeping what can be kept: the revision comes from
    /// `date_modified` (else `date_published`), so an item is updated only when the feed says it changed;
    /// relative links resolve against `base`; an unreadable date or an oversized field is dropped with a
    /// warning. An item without an `id` is known by its `url`, else its `external_url`, else
    /// `contentID(of:)`; one without content is kept with its summary (or title and link) as its text.
    public static func plainFeedArticle(from source: FeedItem, position: Int, base: URL) -> (PulledArticle?, [FeedWarning]) {
        var item = source
        var warnings: [FeedWarning] = []
        let label = item.id.isEmpty ? "#\(position + 1)" : item.id
        if !item.id.isEmpty && item.id.utf8.count > maxIDLength {
            warnings.append(FeedWarning(item: label, field: "id", reason: "longer than \(maxIDLength) bytes"))
            item.id = ""
        }
        item.url = resolve(item.url, base)
        item.externalURL = resolve(item.externalURL, base)
        item.image = resolve(item.image, base)
        item.bannerImage = resolve(item.bannerImage, base)
        if item.id.isEmpty {
            item.id = [item.url, item.externalURL].compactMap { $0 }.first { !$0.isEmpty && $0.utf8.count <= maxIDLength }
                ?? contentID(of: item)
        }
        func dropOversized(_ field: String, _ value: inout String?, limit: Int) {
            guard let text = value, text.utf8.count > limit else { return }
            warnings.append(FeedWarning(item: label, field: field, reason: "\(text.utf8.count) bytes, more than \(limit)"))
            value = nil
        }
        dropOversized("title", &item.title, limit: maxTitleLength)
        dropOversized("summary", &item.summary, limit: maxTitleLength)
        dropOversized("content_html", &item.contentHTML, limit: maxBodyLength)
        dropOversized("content_text", &item.contentText, limit: maxBodyLength)
        let published = date(&item.datePublished, "date_published", label, &warnings)
        let modified = date(&item.dateModified, "date_modified", label, &warnings)
        let revision = max(0, (modified ?? published)?.milliseconds ?? 0)
        do {
            var pulled = try article(from: item, revision: revision, requiringContent: false)
            pulled.article.datePublished = published
            pulled.article.dateModified = modified
            if item.contentHTML == nil && item.contentText == nil { pulled.bodyText = item.summary ?? "" }
            return (pulled, warnings)
        } catch {
            return (nil, warnings + [FeedWarning(item: label, reason: error.message)])
        }
    }

    /// The id of an item that has neither `id` nor a link: `hash:` and 32 hex digits of its title, content,
    /// summary and publication date, so the same item gets the same id on every sync (and keeps its read
    /// state) while an edit to its text makes it a new item.
    public static func contentID(of item: FeedItem) -> String {
        let parts = [item.title, item.contentHTML, item.contentText, item.summary, item.datePublished]
        let text = parts.map { $0 ?? "" }.joined(separator: "\u{1F}")
        // FNV-1a, twice with different offsets: stable across runs and platforms, unlike `Hasher`.
        func fnv(_ offset: UInt64) -> UInt64 {
            var hash = offset
            for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            return hash
        }
        func hex(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        return "hash:" + hex(fnv(0xCBF2_9CE4_8422_2325)) + hex(fnv(0x84222325_CBF29CE4))
    }

    /// Parses a date member as real feeds write it; an unreadable one is dropped with a warning.
    static func date(_ text: inout String?, _ field: String, _ label: String, _ warnings: inout [FeedWarning]) -> Timestamp? {
        guard let value = text else { return nil }
        if let parsed = Timestamp(feedDate: value) { return parsed }
        warnings.append(FeedWarning(item: label, field: field, reason: "not a date: \"\(TerminalText.clip(value, to: 60))\""))
        text = nil
        return nil
    }

    /// A local JSON Feed file as a page: Briefing revisions and states are kept when present; other
    /// items get their revision from `date_modified` as plain feeds do.
    public static func importPage(from data: Data) throws(MalformedData) -> (PulledPage, [FeedWarning]) {
        var document = try PlainFeedDocument(data, fetchedFrom: URL(string: "file:///")!)
        var briefing: [String: ItemInfo] = [:]
        var scanner = JSONFeedScanner(maxItemBytes: maxItemBytes)
        // The Briefing data of items that carry it (an export of a Briefing store), by id.
        for case .item(let position, let value?, _) in try scanner.consume(data) {
            guard let item = PlainFeedItems.item(from: value, position: position).0, let info = item.briefing, !item.id.isEmpty
            else { continue }
            briefing[item.id] = briefing[item.id] ?? info
        }
        for index in document.page.articles.indices {
            guard let info = briefing[document.page.articles[index].article.id] else { continue }
            let id = document.page.articles[index].article.id
            document.page.articles[index].article.revision = info.revision
            for field in StateField.allCases {
                if let record = info.state(of: field) { document.page.articles[index].states[field] = try serverState(record, id) }
            }
        }
        return (document.page, document.warnings)
    }

    /// What relative item links are resolved against: `home_page_url`, else `feed_url` (each resolved
    /// against where the document came from), else the document's own URL.
    public static func base(homePageURL: String?, feedURL: String?, fetchedFrom url: URL) -> URL {
        for candidate in [homePageURL, feedURL] {
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
