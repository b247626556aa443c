import Foundation
import Logging
import BriefingModel
import BriefingProtocol
import BriefingStore
import BriefingText

/// What one sync did; `briefing sync --json` prints it.
public struct SyncReport: Hashable, Sendable {
    /// Marks the server settled (applied, duplicate, conflict or gone).
    public var pushed = 0
    /// Articles inserted or updated to a newer revision.
    public var pulled = 0
    /// State changes adopted from the server (other devices' marks).
    public var states = 0
    /// Articles removed because the server deleted them.
    public var deleted = 0
    /// Starred articles the server deleted, kept here as archived.
    public var archived = 0
    public var conflicts = 0
    public var pages = 0
    /// Push requests sent (batches of at most `Endpoint.maxMutationsPerPush` marks), retries not counted.
    public var pushRequests = 0
    /// Whether the pull started again from the beginning (after a 410, or `--full`).
    public var fullResync = false
    /// A plain feed answered 304 Not Modified.
    public var notModified = false
    /// Plain feed: the items its documents held, how many were stored, and how many were skipped.
    public var feedItems = 0
    public var feedItemsKept = 0
    public var feedItemsSkipped = 0
    public var feedFieldsDropped = 0
    /// Plain feed: what was left out and why (fields dropped, items skipped, backfill pages not read) —
    /// the first `maxWarnings` of them; `warningCount` counts them all.
    public var warnings: [FeedWarning] = []
    public var warningCount = 0
    public static let maxWarnings = 1_000
    public init() {}
}

/// What a running sync reports as it goes: an app updates its UI from these, the CLI its progress line.
public enum SyncEvent: Sendable {
    /// A batch of marks was pushed and the server's verdicts committed; `report` is the sync so far.
    case pushSettled(marks: Int, report: SyncReport)
    /// A page of changes and the change token after it were committed together.
    case pageCommitted(articles: Int, report: SyncReport)
    /// A pending mark met a different value on the server and the field's rule judged between them (also
    /// kept in the conflict log).
    case conflictJudged(ConflictRecord)
    /// Something the user should know that did not stop the sync: for a plain feed, each field dropped,
    /// item skipped or backfill page not read (`SyncReport.warnings` keeps them). The text quotes feed
    /// content: make it safe before it reaches a terminal.
    case warning(String)
}

/// Runs one sync of a store against its server: push pending marks, then pull changes page by page.
///
/// Create one with the store, a `Transport` (libcurl in the CLI, URLSession in an app, anything in tests)
/// and the bearer token, then `await run(full:)`. The engine holds no state between syncs: everything it
/// needs to resume — the change token, pending marks, the clock — is in the store, committed page by page.
/// Cancelling the calling Task stops the sync between pages (or push batches) with `SyncError.cancelled`;
/// what was committed stays, and the next sync resumes from there. One sync runs per store at a time, in
/// this process or another: a second one gets `SyncError.busy`.
public struct SyncEngine: Sendable {
    public let store: BriefingStore
    let transport: any Transport
    let bearerToken: String?
    let logger: Logger
    /// Pages as large as the protocol allows: fewer requests and transactions, and still only two pages in
    /// memory at once (the one being written and the one fetched ahead).
    public var pageSize = Endpoint.maxLimit
    public var pushBatchSize = Endpoint.maxMutationsPerPush
    /// Receives every `SyncEvent`, on the Task running the sync.
    public var events: (@Sendable (SyncEvent) -> Void)?
    public var now: @Sendable () -> Timestamp = { .now }
    /// What this sync's responses said about the server's clock.
    let clockReadings = ServerClockReadings()

    public init(store: BriefingStore, transport: any Transport, bearerToken: String?,
                logger: Logger = Logger(label: "briefing.sync")) {
        self.store = store
        self.transport = transport
        self.bearerToken = bearerToken
        self.logger = logger
    }

    public func run(full: Bool = false) async throws(SyncError) -> SyncReport {
        let lease = try acquireLease()
        defer { lease.release() }
        let settings = try load()
        guard let server = settings.serverURL, let base = URL(string: server) else {
            throw .notConfigured("store has no server")
        }
        var report = SyncReport()
        if settings.serverKind == .feed {
            try await FeedFollower(client: client, store: store, feedURL: base, settings: settings,
                                   unconditional: full, now: now, events: events, logger: logger).run(&report)
        } else {
            try storeCall { () throws(StoreError) in try store.releaseAllInFlight() }
            try await push(base: base, settings: settings, &report)
            try await pull(base: base, full: full, &report)
            if try storeCall({ () throws(StoreError) in try store.pendingMarks().isEmpty }) == false {
                try await push(base: base, settings: try load(), &report)
            }
            // Only a sync that completed records its clock reading: a failed one leaves the store as it was.
            if let warning = try recordClockOffset() { events?(.warning(warning)) }
        }
        try storeCall { () throws(StoreError) in try store.recordSync(at: now(), warnings: report.warningCount) }
        return report
    }

    /// Pushes pending marks without pulling: what an app (or `sync --watch` stopping) does to get the
    /// user's marks out quickly.
    public func pushOnly() async throws(SyncError) -> SyncReport {
        let lease = try acquireLease()
        defer { lease.release() }
        let settings = try load()
        guard settings.serverKind != .feed, let server = settings.serverURL, let base = URL(string: server) else {
            return SyncReport()
        }
        var report = SyncReport()
        try storeCall { () throws(StoreError) in try store.releaseAllInFlight() }
        try await push(base: base, settings: settings, &report)
        return report
    }

    var client: ProtocolClient {
        ProtocolClient(transport: transport, bearerToken: bearerToken, clockReadings: clockReadings, wallClock: now)
    }

    /// Keeps the offset this sync measured; returns the warning for a clock beyond the bound.
    func recordClockOffset() throws(SyncError) -> String? {
        guard let (offset, bound) = clockReadings.latest else { return nil }
        try storeCall { () throws(StoreError) in try store.recordClockOffset(offset, bound: bound, wallClock: now()) }
        if let bound { return bound.warning(offset: offset) }
        return try load().clockBound.warning(offset: offset)
    }

    // MARK: Push

    /// Pushes the outbox in batches of `pushBatchSize`. Each batch is sent once the server has answered
    /// the one before, so the server judges marks in the order they were taken, as it would one request at
    /// a time; but the answer to a batch is settled in the store while the next batch is on the wire and
    /// being judged, so the client's work and the server's overlap. A batch's marks are settled by their
    /// mutation ids only: a mark replaced while its push was out stays queued for a later batch.
    func push(base: URL, settings: SyncSettings, _ report: inout SyncReport) async throws(SyncError) {
        let url = ProtocolClient.endpoint(base, Endpoint.mutations)
        if Task.isCancelled { throw .cancelled }
        var batch = try takeBatch()
        if batch.isEmpty { return }
        var answer = try await send(batch, to: url, settings: settings)
        report.pushRequests += 1
        while true {
            let sent = Set(batch.map(\.mutationID))
            let complete = Set(answer.results.lazy.map(\.mutationID).filter(sent.contains)).count == sent.count
            let next = complete && !Task.isCancelled ? try takeBatch() : []
            if next.isEmpty {
                try settle(batch, answer, settings: settings, &report)
                if Task.isCancelled { throw .cancelled }
                return
            }
            let sending = Task { () async throws(SyncError) -> PushResponse in
                try await send(next, to: url, settings: settings)
            }
            do throws(SyncError) {
                try settle(batch, answer, settings: settings, &report)
            } catch {
                // Whatever becomes of the next batch, its marks stay queued (in flight until the next sync
                // re-sends them under the same mutation ids, which the server recognises).
                sending.cancel()
                _ = try? await sending.value
                throw error
            }
            do {
                answer = try await withTaskCancellationHandler {
                    try await sending.value
                } onCancel: {
                    sending.cancel()
                }
            } catch let error as SyncError {
                throw error
            } catch {
                throw .cancelled
            }
            report.pushRequests += 1
            batch = next
        }
    }

    func takeBatch() throws(SyncError) -> [PendingMark] {
        try storeCall { () throws(StoreError) in try store.takeForPush(limit: pushBatchSize) }
    }

    /// Sends one batch; when no answer comes back, its marks go back in the queue.
    func send(_ marks: [PendingMark], to url: URL, settings: SyncSettings) async throws(SyncError) -> PushResponse {
        let request = PushRequest(mutations: marks.map { mark in
            Mutation(mutationID: mark.mutationID, articleID: mark.articleID, field: mark.field,
                     value: mark.state.value, changedAt: mark.state.changedAt, device: settings.device,
                     baseRev: mark.baseRev, rule: settings.policy.rule(for: mark.field))
        })
        do throws(SyncError) {
            return try await client.push(request, to: url, clientTime: settings.markClock(now()))
        } catch {
            try? store.releaseInFlight(marks.map(\.mutationID))
            throw error
        }
    }

    /// Commits the server's verdicts on one batch; marks it did not answer for go back in the queue.
    func settle(_ marks: [PendingMark], _ outcome: PushResponse, settings: SyncSettings,
                _ report: inout SyncReport) throws(SyncError) {
        let rules = Dictionary(marks.map { ($0.mutationID, settings.policy.rule(for: $0.field)) }) { a, _ in a }
        let verdicts = outcome.results.compactMap { result -> PushVerdict? in
            guard let rule = rules[result.mutationID] else { return nil }
            return PushVerdict(mutationID: result.mutationID, status: result.status,
                               server: result.state.map { ServerState(state: $0.fieldState, rev: $0.rev) },
                               rule: result.rule ?? rule)
        }
        let tally = try storeCall { () throws(StoreError) in
            try store.settlePush(verdicts, serverTime: outcome.serverTime, now: now(),
                                 maxClockOffset: clockReadings.latest?.bound)
        }
        let answered = Set(verdicts.map(\.mutationID))
        try storeCall { () throws(StoreError) in
            try store.releaseInFlight(marks.map(\.mutationID).filter { !answered.contains($0) })
        }
        report.pushed += tally.acknowledged + tally.conflicts + tally.gone
        report.conflicts += tally.conflicts
        for record in tally.conflictRecords { events?(.conflictJudged(record)) }
        events?(.pushSettled(marks: marks.count, report: report))
        logger.debug("pushed batch", metadata: ["marks": "\(marks.count)", "conflicts": "\(tally.conflicts)"])
    }

    // MARK: Pull

    func pull(base: URL, full: Bool, _ report: inout SyncReport) async throws(SyncError) {
        var settings = try load()
        if full || settings.changeToken == nil && !settings.resyncInProgress && settings.lastSync != nil {
            try startResync(&report)
            settings = try load()
        }
        var token = settings.changeToken
        var resyncing = settings.resyncInProgress
        // Every token this pull has stood on: a server that hands one back with has_more would loop us forever.
        var visited: Set<String> = token.map { [$0] } ?? []
        var fetched: FetchedPage? = try await client.fetchPage(base: base, token: token, limit: pageSize)
        while let current = fetched {
            guard case .page(let body) = current else {
                guard token != nil else { throw .malformed("server answered 410 to a pull from the beginning") }
                logger.info("change token expired; resyncing from the beginning")
                try startResync(&report)
                token = nil
                resyncing = true
                visited = []
                fetched = try await client.fetchPage(base: base, token: nil, limit: pageSize)
                continue
            }
            let (tally, info, next) = try await commit(page: body, base: base, visited: &visited)
            report.add(tally)
            report.pages += 1
            token = info.nextToken
            for record in tally.conflictRecords { events?(.conflictJudged(record)) }
            events?(.pageCommitted(articles: tally.pulled, report: report))
            fetched = next
            // Between pages: this page and its token have landed, so a cancelled sync resumes after it.
            if fetched != nil && Task.isCancelled { throw .cancelled }
        }
        if resyncing {
            let tally = try storeCall { () throws(StoreError) in try store.finishFullResync(now: now()) }
            report.add(tally)
        }
    }

    /// Decodes and commits one page while the next one is fetched in a child task, so the server's work
    /// overlaps ours. Nothing of the next page touches the store before this page and its token have
    /// landed: a failure still resumes from the last committed page, and a 410 for the next token is
    /// handled as if it came later. Returns the next page, or nil after the last.
    func commit(page body: Data, base: URL, visited: inout Set<String>)
        async throws(SyncError) -> (PullTally, PageInfo, FetchedPage?) {
        let client = self.client
        let pageSize = self.pageSize
        let store = self.store
        let now = self.now
        let clockReadings = self.clockReadings
        do {
            return try await withThrowingTaskGroup(of: FetchedPage.self) { group in
                // The quick look at the page's token lets the next request start before this page is decoded.
                let link = FastWireReader.pageLink(from: body)
                if let link, link.hasMore {
                    group.addTask { try await client.fetchPage(base: base, token: link.nextToken, limit: pageSize) }
                }
                let (page, info) = try SyncError.decoding { () throws(MalformedData) in try PageDecoder.briefingPage(from: body) }
                if info.hasMore && !visited.insert(info.nextToken).inserted {
                    throw SyncError.malformed("malformed page: has_more with a change token this sync already pulled from (a loop)")
                }
                if link?.nextToken != info.nextToken || link?.hasMore != info.hasMore {
                    // The quick look disagreed with the full decoding (or found nothing): follow the latter.
                    group.cancelAll()
                    while (try? await group.next()) != nil {}
                    if info.hasMore {
                        group.addTask { try await client.fetchPage(base: base, token: info.nextToken, limit: pageSize) }
                    }
                }
                let tally = try store.applyPage(page, now: now(), maxClockOffset: clockReadings.latest?.bound)
                guard info.hasMore else { return (tally, info, nil) }
                return (tally, info, try await group.next())
            }
        } catch let error as SyncError {
            throw error
        } catch let error as StoreError {
            throw .store(error)
        } catch is CancellationError {
            throw .cancelled
        } catch {
            throw .malformed("\(error)")
        }
    }

    func acquireLease() throws(SyncError) -> SyncLease {
        do {
            return try store.acquireSyncLease()
        } catch .syncInProgress {
            throw .busy(StoreError.syncInProgress.description)
        } catch {
            throw .store(error)
        }
    }

    func startResync(_ report: inout SyncReport) throws(SyncError) {
        try storeCall { () throws(StoreError) in try store.beginFullResync() }
        report.fullResync = true
    }

    func load() throws(SyncError) -> SyncSettings {
        guard let settings = try storeCall({ () throws(StoreError) in try store.settings() }), settings.isConfigured else {
            throw .notConfigured("store is not initialised")
        }
        return settings
    }
}

extension SyncReport {
    mutating func add(_ tally: PullTally) {
        pulled += tally.pulled
        states += tally.states
        deleted += tally.deleted
        archived += tally.archived
        conflicts += tally.conflicts
    }
}

/// Runs a store call, carrying its error as `SyncError.store`.
func storeCall<T>(_ body: () throws(StoreError) -> T) throws(SyncError) -> T {
    do {
        return try body()
    } catch {
        throw .store(error)
    }
}
