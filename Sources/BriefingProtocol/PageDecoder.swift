import Foundation
import BriefingModel
import BriefingText

/// Validates wire documents into store pages (`PulledPage`), refusing anything a well-behaved server would
/// not send with a one-line `MalformedData`. Whatever fails here fails before the store is touched, so a
/// bad page leaves the store as it was. Reading the bytes is `FastWireReader`'s job (with `JSONDecoder`
/// behind it); sniffing a plain feed URL's document is `JSONFeedDocument`'s.
public enum PageDecoder {
    /// Limits on untrusted input: larger values make the page malformed rather than the store bloated.
    public static let maxIDLength = 4_096
    public static let maxTokenLength = 4_096
    public static let maxTitleLength = 65_536
    public static let maxBodyLength = 8 << 20
    /// Revisions and sequence numbers beyond 2^53 cannot round-trip through every JSON parser.
    public static let maxRevision: Int64 = 1 << 53

    /// Decodes JSON bytes as a JSON Feed document; the error names what was wrong in one line. The fast
    /// reader handles well-formed pages; `JSONDecoder` everything else, and explains what is wrong.
    public static func feed(from data: Data) throws(MalformedData) -> FeedDocument {
        if let document = FastWireReader.document(from: data) { return document }
        do {
            return try WireCoding.decoder().decode(FeedDocument.self, from: data)
        } catch let error as DecodingError {
            throw MalformedData("malformed page: \(error.summary)")
        } catch {
            throw MalformedData("malformed page: \(error.localizedDescription)")
        }
    }

    /// A Briefing pull page: a JSON Feed with `_briefing` page data and item revisions.
    public static func briefingPage(from data: Data) throws(MalformedData) -> (PulledPage, PageInfo) {
        let feed = try feed(from: data)
        guard let info = feed.briefing else {
            throw MalformedData("malformed page: no _briefing data (is this a Briefing server?)")
        }
        guard !info.nextToken.isEmpty, info.nextToken.utf8.count <= maxTokenLength else {
            throw MalformedData("malformed page: next_token is empty or longer than \(maxTokenLength) bytes")
        }
        var seen = Set<String>()
        var articles: [PulledArticle] = []
        articles.reserveCapacity(feed.items.count)
        for item in feed.items {
            guard let revision = item.briefing?.revision else {
                throw MalformedData("malformed page: item '\(TerminalText.clip(item.id))' has no _briefing.revision")
            }
            guard seen.insert(item.id).inserted else {
                throw MalformedData("malformed page: item '\(TerminalText.clip(item.id))' appears twice")
            }
            var pulled = try article(from: item, revision: revision)
            for field in StateField.allCases {
                if let record = item.briefing?.state(of: field) {
                    pulled.states[field] = try serverState(record, item.id)
                }
            }
            articles.append(pulled)
        }
        let states = try info.states.map { change throws(MalformedData) in
            try checkID(change.id)
            return PulledState(articleID: change.id, field: change.field, server: try serverState(change.record, change.id))
        }
        for id in info.deleted { try checkID(id) }
        let page = PulledPage(articles: articles, states: states, deleted: info.deleted,
                              nextToken: info.nextToken, serverTime: info.serverTime)
        return (page, info)
    }

    /// One item as the store keeps it. JSON Feed requires `content_html` or `content_text`; a plain feed's
    /// item is kept without (`requiringContent: false`: a headline is still news).
    public static func article(from item: FeedItem, revision: Int64, requiringContent: Bool = true) throws(MalformedData) -> PulledArticle {
        try checkID(item.id)
        guard (0...maxRevision).contains(revision) else {
            throw MalformedData("malformed page: item '\(TerminalText.clip(item.id))' has revision \(revision) out of range")
        }
        if requiringContent {
            do { try item.requireContent() } catch { throw MalformedData("malformed page: \(error.message)") }
        }
        guard (item.title?.utf8.count ?? 0) <= maxTitleLength, (item.summary?.utf8.count ?? 0) <= maxTitleLength,
              (item.contentHTML?.utf8.count ?? 0) <= maxBodyLength, (item.contentText?.utf8.count ?? 0) <= maxBodyLength
        else {
            throw MalformedData("malformed page: item '\(TerminalText.clip(item.id))' has a field beyond the size limit")
        }
        let article = Article(
            id: item.id, url: item.url, externalURL: item.externalURL, title: item.title, summary: item.summary,
            contentHTML: item.contentHTML, contentText: item.contentText, image: item.image ?? item.bannerImage,
            datePublished: item.datePublished.flatMap(Timestamp.init(rfc3339:)),
            dateModified: item.dateModified.flatMap(Timestamp.init(rfc3339:)),
            authors: item.authors ?? item.author.map { [$0] } ?? [], tags: item.tags ?? [],
            language: item.language, revision: revision)
        let body = item.contentText ?? HTMLText.plainText(item.contentHTML ?? "")
        return PulledArticle(article: article, bodyText: body)
    }

    static func serverState(_ record: StateRecord, _ id: String) throws(MalformedData) -> ServerState {
        guard (0...maxRevision).contains(record.rev), record.device.utf8.count <= maxIDLength else {
            throw MalformedData("malformed page: state of '\(TerminalText.clip(id))' has a bad rev or device")
        }
        return ServerState(state: record.fieldState, rev: record.rev)
    }

    static func checkID(_ id: String) throws(MalformedData) {
        guard !id.isEmpty, id.utf8.count <= maxIDLength else {
            throw MalformedData("malformed page: an article id is empty or longer than \(maxIDLength) bytes")
        }
    }
}
