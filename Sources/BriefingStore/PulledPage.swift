import BriefingModel

// The values a pull hands the store, kept free of GRDB so code that only builds or checks pages (the page
// decoder, its fuzz target under Fuzz/) compiles without the database.

/// A field's state as the server holds it, with the server's revision of that field.
public struct ServerState: Hashable, Sendable {
    public var state: FieldState
    public var rev: Int64
    public init(state: FieldState, rev: Int64) {
        self.state = state
        self.rev = rev
    }
}

/// An article as pulled, with the text search indexes and the server's current reader state.
public struct PulledArticle: Hashable, Sendable {
    public var article: Article
    /// What search indexes as the body: content_text, or content_html rendered to text.
    public var bodyText: String
    public var states: [StateField: ServerState]
    public init(article: Article, bodyText: String, states: [StateField: ServerState] = [:]) {
        self.article = article
        self.bodyText = bodyText
        self.states = states
    }
}

/// A state-only change pulled from the server.
public struct PulledState: Hashable, Sendable {
    public var articleID: String
    public var field: StateField
    public var server: ServerState
    public init(articleID: String, field: StateField, server: ServerState) {
        self.articleID = articleID
        self.field = field
        self.server = server
    }
}

/// One page of changes, applied together with the token that follows it.
public struct PulledPage: Hashable, Sendable {
    public var articles: [PulledArticle]
    public var states: [PulledState]
    public var deleted: [String]
    /// The token to resume from after this page; nil keeps the stored one (plain feeds have none).
    public var nextToken: String?
    public var serverTime: Timestamp?
    public init(articles: [PulledArticle] = [], states: [PulledState] = [], deleted: [String] = [],
                nextToken: String? = nil, serverTime: Timestamp? = nil) {
        self.articles = articles
        self.states = states
        self.deleted = deleted
        self.nextToken = nextToken
        self.serverTime = serverTime
    }
}

/// What applying pulled changes did.
public struct PullTally: Hashable, Sendable {
    /// Articles inserted or updated to a newer revision.
    public var pulled = 0
    /// State changes adopted from the server.
    public var states = 0
    /// Articles removed because the server deleted them (or, after a full resync, no longer has them).
    public var deleted = 0
    /// Deleted on the server but kept as archived because they are starred here.
    public var archived = 0
    public var conflicts = 0
    /// Each conflict judged, as logged.
    public var conflictRecords: [ConflictRecord] = []
    public init() {}
}
