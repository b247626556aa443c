/// A briefing article as the client keeps it: the JSON Feed 1.1 item fields Briefing uses, plus the
/// server's content revision. Reader state (read, starred) lives in `FieldState`s beside it.
public struct Article: Hashable, Sendable {
    public var id: String
    public var url: String?
    public var externalURL: String?
    public var title: String?
    public var summary: String?
    public var contentHTML: String?
    public var contentText: String?
    public var image: String?
    public var datePublished: Timestamp?
    public var dateModified: Timestamp?
    public var authors: [Author]
    public var tags: [String]
    public var language: String?
    /// The server's content revision; a pulled item with a revision not above this one is a replay.
    public var revision: Int64

    public init(id: String, url: String? = nil, externalURL: String? = nil, title: String? = nil,
                summary: String? = nil, contentHTML: String? = nil, contentText: String? = nil,
                image: String? = nil, datePublished: Timestamp? = nil, dateModified: Timestamp? = nil,
                authors: [Author] = [], tags: [String] = [], language: String? = nil, revision: Int64 = 0) {
        self.id = id
        self.url = url
        self.externalURL = externalURL
        self.title = title
        self.summary = summary
        self.contentHTML = contentHTML
        self.contentText = contentText
        self.image = image
        self.datePublished = datePublished
        self.dateModified = dateModified
        self.authors = authors
        self.tags = tags
        self.language = language
        self.revision = revision
    }
}

/// A JSON Feed author: every member optional, at least one present in a valid feed.
public struct Author: Hashable, Codable, Sendable {
    public var name: String?
    public var url: String?
    public var avatar: String?

    public init(name: String? = nil, url: String? = nil, avatar: String? = nil) {
        self.name = name
        self.url = url
        self.avatar = avatar
    }
}
