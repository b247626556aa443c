import Foundation
@_exported import BriefingModel
@_exported import BriefingStore
@_exported import BriefingSync

/// A Briefing store and the sync engine that keeps it in step with its server: the one type an app needs.
///
/// Open a client on a store file with the transport your platform provides (URLSession on Apple platforms,
/// libcurl on Linux) and the bearer token from wherever you keep secrets. Everything but `connect` and
/// `sync` works offline, on the local SQLite file:
/// ```swift
/// let client = try BriefingClient.open(at: storeURL.path, transport: URLSessionTransport(), bearerToken: token)
/// _ = try await client.connect(to: serverURL, device: "phone")
/// Task { for await event in client.events { render(event) } }
/// let report = try await client.sync()
/// try client.mark(.read, ["article-id"])    // offline; pushed by the next sync
/// ```
/// `sync` runs in the calling Task: cancel the Task and the sync stops between pages, with every committed
/// page kept; the next sync resumes after the last one. Only one sync runs per store at a time, in this
/// process or any other: a second gets `SyncError.busy`.
public final class BriefingClient: Sendable {
    /// The local store; every call below reads or writes it.
    public let store: BriefingStore
    /// Everything every sync of this client reports, in order: pushes settled, pages committed, conflicts
    /// judged, warnings. One stream per client, for one consumer; the newest 1,000 events wait for it.
    public let events: AsyncStream<SyncEvent>
    private let continuation: AsyncStream<SyncEvent>.Continuation
    private let transport: any Transport
    private let bearerToken: String?
    private let clock: @Sendable () -> Timestamp

    /// Opens (and with `create`, makes) the store at `path`. `clock` is the device's wall clock; tests and
    /// tools may shift it.
    public static func open(at path: String, transport: any Transport, bearerToken: String? = nil,
                            create: Bool = true, clock: @escaping @Sendable () -> Timestamp = { .now })
        throws(StoreError) -> BriefingClient {
        let store = try BriefingStore.open(path: path, create: create)
        return BriefingClient(store: store, transport: transport, bearerToken: bearerToken, clock: clock)
    }

    public init(store: BriefingStore, transport: any Transport, bearerToken: String? = nil,
                clock: @escaping @Sendable () -> Timestamp = { .now }) {
        self.store = store
        self.transport = transport
        self.bearerToken = bearerToken
        self.clock = clock
        (events, continuation) = AsyncStream.makeStream(of: SyncEvent.self, bufferingPolicy: .bufferingNewest(1_000))
    }

    deinit { continuation.finish() }

    // MARK: Server

    /// The outcome of pointing the store at a server.
    public enum Connection: Equatable, Sendable {
        case connected(ServerKind)
        /// The store holds articles from another server; connect again with `replacingContent` to empty it.
        case refusedPopulated(articles: Int, server: String?)
    }

    /// Asks `server` what it is (a Briefing server or a plain JSON Feed) and points the store at it. Re-
    /// connecting to the same server keeps the sync progress; another server needs `replacingContent`.
    public func connect(to server: URL, settings: SyncSettings, replacingContent: Bool = false)
        async throws(SyncError) -> Connection {
        var settings = settings
        settings.serverURL = server.absoluteString
        settings.serverKind = try await ServerProbe.kind(of: server, transport: transport, bearerToken: bearerToken)
        let outcome: BriefingStore.ConfigureOutcome
        do {
            outcome = try store.configure(settings, force: replacingContent)
        } catch {
            throw .store(error)
        }
        switch outcome {
        case .configured: return .connected(settings.serverKind ?? .briefing)
        case .refusedPopulated(let articles, let server): return .refusedPopulated(articles: articles, server: server)
        }
    }

    // MARK: Sync

    /// Pushes pending marks, then pulls what changed since the last sync (everything with `full`).
    public func sync(full: Bool = false, pageSize: Int? = nil) async throws(SyncError) -> SyncReport {
        try await engine(pageSize: pageSize).run(full: full)
    }

    /// Pushes pending marks and nothing else: for when the app is about to go to the background.
    public func pushPendingMarks() async throws(SyncError) -> SyncReport {
        try await engine(pageSize: nil).pushOnly()
    }

    private func engine(pageSize: Int?) -> SyncEngine {
        var engine = SyncEngine(store: store, transport: transport, bearerToken: bearerToken)
        engine.now = clock
        if let pageSize { engine.pageSize = max(1, min(pageSize, engine.pageSize)) }
        let continuation = self.continuation
        engine.events = { event in continuation.yield(event) }
        return engine
    }

    // MARK: Reading and marking (offline)

    /// Articles newest first: unread by default.
    public func list(_ filter: ListFilter = .unread, tag: String? = nil, limit: Int? = nil) throws(StoreError) -> [ArticleSummary] {
        try store.list(filter, tag: tag, limit: limit)
    }

    /// Full-text search over title, summary and body, best match first (FTS5 query syntax).
    public func search(_ query: String, limit: Int? = nil) throws(StoreError) -> [ArticleSummary] {
        try store.search(query, limit: limit)
    }

    /// One article by id or local handle.
    public func article(_ reference: String) throws(StoreError) -> StoredArticle {
        try store.article(reference)
    }

    /// Marks articles (ids or handles; nil = all) at once, offline; the next sync pushes the marks.
    /// Returns how many changed.
    @discardableResult
    public func mark(_ action: MarkAction, _ references: [String]?) throws(StoreError) -> Int {
        try store.mark(action, references, wallClock: clock())
    }

    public func status() throws(StoreError) -> StoreStatus {
        try store.status()
    }

    /// The conflict log, newest first.
    public func conflicts(limit: Int? = nil) throws(StoreError) -> [ConflictRecord] {
        try store.conflicts(limit: limit)
    }

    /// Removes read, unstarred articles older than `days`; never unread or starred ones.
    @discardableResult
    public func prune(olderThanDays days: Int, vacuum: Bool = false) throws(StoreError) -> Int {
        let removed = try store.prune(olderThanDays: days, now: clock())
        if vacuum { try store.vacuum() }
        return removed
    }
}
