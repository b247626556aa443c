import BriefingModel
import BriefingText

/// A JSON Feed 1.1 document (1.0 reads too). A Briefing pull page is one of these with a `_briefing`
/// extension; a plain feed has none. Only the members Briefing uses are decoded; unknown members and
/// extensions (`_anything`) are ignored.
public struct FeedDocument: Codable, Sendable {
    public var version: String
    public var title: String
    public var homePageURL: String?
    public var feedURL: String?
    public var nextURL: String?
    public var description: String?
    public var items: [FeedItem]
    /// Briefing's page data: the next change token, `has_more`, tombstones and state-only changes.
    public var briefing: PageInfo?

    public static let version1_1 = "https://jsonfeed.org/version/1.1"

    public init(title: String, homePageURL: String? = nil, feedURL: String? = nil, nextURL: String? = nil,
                description: String? = nil, items: [FeedItem], briefing: PageInfo? = nil) {
        self.version = Self.version1_1
        self.title = title
        self.homePageURL = homePageURL
        self.feedURL = feedURL
        self.nextURL = nextURL
        self.description = description
        self.items = items
        self.briefing = briefing
    }

    enum CodingKeys: String, CodingKey {
        case version, title, description, items
        case homePageURL = "home_page_url"
        case feedURL = "feed_url"
        case nextURL = "next_url"
        case briefing = "_briefing"
    }

    /// Like the synthesized decoder, except that a feed without a `title` (required, but missing from some
    /// real feeds) reads as an empty title instead of failing.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(String.self, forKey: .version)
        title = try container.decodeIfPresent(String.self, forKey: .title) ?? ""
        homePageURL = try container.decodeIfPresent(String.self, forKey: .homePageURL)
        feedURL = try container.decodeIfPresent(String.self, forKey: .feedURL)
        nextURL = try container.decodeIfPresent(String.self, forKey: .nextURL)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        items = try container.decode([FeedItem].self, forKey: .items)
        briefing = try container.decodeIfPresent(PageInfo.self, forKey: .briefing)
    }
}

/// One JSON Feed item. Dates stay text here: the client parses them leniently (see `Timestamp`).
public struct FeedItem: Codable, Sendable, Hashable {
    public var id: String
    public var url: String?
    public var externalURL: String?
    public var title: String?
    public var contentHTML: String?
    public var contentText: String?
    public var summary: String?
    public var image: String?
    public var bannerImage: String?
    public var datePublished: String?
    public var dateModified: String?
    public var authors: [Author]?
    /// JSON Feed 1.0's single author; read for old feeds, never written.
    public var author: Author?
    public var tags: [String]?
    public var language: String?
    /// Briefing's item data: the content revision and the item's current reader state.
    public var briefing: ItemInfo?

    public init(id: String, url: String? = nil, externalURL: String? = nil, title: String? = nil,
                contentHTML: String? = nil, contentText: String? = nil, summary: String? = nil,
                image: String? = nil, bannerImage: String? = nil, datePublished: String? = nil,
                dateModified: String? = nil, authors: [Author]? = nil, tags: [String]? = nil,
                language: String? = nil, briefing: ItemInfo? = nil) {
        self.id = id
        self.url = url
        self.externalURL = externalURL
        self.title = title
        self.contentHTML = contentHTML
        self.contentText = contentText
        self.summary = summary
        self.image = image
        self.bannerImage = bannerImage
        self.datePublished = datePublished
        self.dateModified = dateModified
        self.authors = authors
        self.tags = tags
        self.language = language
        self.briefing = briefing
    }

    enum CodingKeys: String, CodingKey {
        case id, url, title, summary, image, authors, author, tags, language
        case externalURL = "external_url"
        case contentHTML = "content_html"
        case contentText = "content_text"
        case bannerImage = "banner_image"
        case datePublished = "date_published"
        case dateModified = "date_modified"
        case briefing = "_briefing"
    }

    /// Reads what real feeds write, not only what the spec shows: JSON Feed 1.0 lets `id` be a number (a
    /// reader "must coerce it to a string"), and `authors` or `author` of an unexpected shape are dropped
    /// rather than failing the whole feed (1.0 feeds write authors many ways). Every other member must
    /// have its documented type — a wrong type is a malformed document — and `_briefing` stays strict.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try Self.decodeID(container)
        url = try container.decodeIfPresent(String.self, forKey: .url)
        externalURL = try container.decodeIfPresent(String.self, forKey: .externalURL)
        title = try container.decodeIfPresent(String.self, forKey: .title)
        contentHTML = try container.decodeIfPresent(String.self, forKey: .contentHTML)
        contentText = try container.decodeIfPresent(String.self, forKey: .contentText)
        summary = try container.decodeIfPresent(String.self, forKey: .summary)
        image = try container.decodeIfPresent(String.self, forKey: .image)
        bannerImage = try container.decodeIfPresent(String.self, forKey: .bannerImage)
        datePublished = try container.decodeIfPresent(String.self, forKey: .datePublished)
        dateModified = try container.decodeIfPresent(String.self, forKey: .dateModified)
        authors = (try? container.decodeIfPresent([Author].self, forKey: .authors)) ?? nil
        author = (try? container.decodeIfPresent(Author.self, forKey: .author)) ?? nil
        tags = try container.decodeIfPresent([String].self, forKey: .tags)
        language = try container.decodeIfPresent(String.self, forKey: .language)
        briefing = try container.decodeIfPresent(ItemInfo.self, forKey: .briefing)
    }

    /// A string id as it is; a numeric id (JSON Feed 1.0) as its decimal text, `42` → `"42"`.
    private static func decodeID(_ container: KeyedDecodingContainer<CodingKeys>) throws -> String {
        if let text = try? container.decode(String.self, forKey: .id) { return text }
        if let integer = try? container.decode(Int64.self, forKey: .id) { return String(integer) }
        if let number = try? container.decode(Double.self, forKey: .id), number.isFinite {
            if number == number.rounded(), abs(number) < 9.0e15 { return String(Int64(number)) }
            return String(number)
        }
        // Not a string or number (or missing): let the standard error name the problem.
        return try container.decode(String.self, forKey: .id)
    }
}

/// `_briefing` on a pull page.
public struct PageInfo: Codable, Sendable, Hashable {
    /// Opaque; pass it back as `token` to get the changes after this page.
    public var nextToken: String
    public var hasMore: Bool
    /// The server's clock when it answered; clients feed it to their `HybridClock`.
    public var serverTime: Timestamp
    /// Articles deleted on the server since the token.
    public var deleted: [String]
    /// Read/starred changes of articles whose content did not change since the token: no bodies resent.
    public var states: [StateChange]

    public init(nextToken: String, hasMore: Bool, serverTime: Timestamp, deleted: [String] = [],
                states: [StateChange] = []) {
        self.nextToken = nextToken
        self.hasMore = hasMore
        self.serverTime = serverTime
        self.deleted = deleted
        self.states = states
    }

    enum CodingKeys: String, CodingKey {
        case nextToken = "next_token"
        case hasMore = "has_more"
        case serverTime = "server_time"
        case deleted, states
    }
}

/// `_briefing` on an item: the content revision and the current state of each field that has one.
public struct ItemInfo: Codable, Sendable, Hashable {
    public var revision: Int64
    public var read: StateRecord?
    public var starred: StateRecord?

    public init(revision: Int64, read: StateRecord? = nil, starred: StateRecord? = nil) {
        self.revision = revision
        self.read = read
        self.starred = starred
    }

    public func state(of field: StateField) -> StateRecord? {
        switch field {
        case .read: read
        case .starred: starred
        }
    }
}

/// A field's state as the server holds it, with the field revision a mutation names as `base_rev`.
public struct StateRecord: Codable, Sendable, Hashable {
    public var value: Bool
    public var changedAt: Timestamp
    public var device: String
    /// The server's sequence number of the write that produced this state.
    public var rev: Int64

    public init(value: Bool, changedAt: Timestamp, device: String, rev: Int64) {
        self.value = value
        self.changedAt = changedAt
        self.device = device
        self.rev = rev
    }

    public init(_ state: FieldState, rev: Int64) {
        self.init(value: state.value, changedAt: state.changedAt, device: state.device, rev: rev)
    }

    public var fieldState: FieldState { FieldState(value: value, changedAt: changedAt, device: device) }

    enum CodingKeys: String, CodingKey {
        case value, device, rev
        case changedAt = "changed_at"
    }
}

/// A state-only change in a pull page.
public struct StateChange: Codable, Sendable, Hashable {
    public var id: String
    public var field: StateField
    public var value: Bool
    public var changedAt: Timestamp
    public var device: String
    public var rev: Int64

    public init(id: String, field: StateField, record: StateRecord) {
        self.id = id
        self.field = field
        self.value = record.value
        self.changedAt = record.changedAt
        self.device = record.device
        self.rev = record.rev
    }

    public var record: StateRecord { StateRecord(value: value, changedAt: changedAt, device: device, rev: rev) }

    enum CodingKeys: String, CodingKey {
        case id, field, value, device, rev
        case changedAt = "changed_at"
    }
}

extension FeedItem {
    /// JSON Feed's rule for an item's body: `content_html` or `content_text` (or both); a `summary` alone is
    /// not one. The one check for it — pull pages, plain feeds, imports and the mock server's seeds.
    public func requireContent() throws(MalformedData) {
        guard contentHTML != nil || contentText != nil else {
            throw MalformedData("item '\(TerminalText.clip(id))' has neither content_html nor content_text")
        }
    }
}
