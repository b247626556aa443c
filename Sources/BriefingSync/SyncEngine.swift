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
    public init() {}
}

/// Progress for a terminal: called after each pushed batch and each pulled page.
public struct SyncProgress: Sendable {
    public enum Phase: String, Sendable { case push, pull }
    public var phase: Phase
    public var report: SyncReport
}

/// Runs one sync of a store against its server: push pending marks, then pull changes page by page.
///
/// Create one per sync with the store, a `Transport` (libcurl in the CLI, anything in tests) and the
/// bearer token, then call `run(full:)`. The engine holds no state between syncs: everything it needs to
/// resume — the change token, pending marks, the clock — is in the store, committed page by page.
public final class SyncEngine {
    public let store: BriefingStore
    let transport: Transport
    let bearerToken: String?
    let logger: Logger
    /// Pages as large as the protocol allows: fewer requests and transactions, and still only two pages in
    /// memory at once (the one being written and the one fetched ahead).
    public var pageSize = Endpoint.maxLimit
    public var pushBatchSize = Endpoint.maxMutationsPerPush
    public var progress: ((SyncProgress) -> Void)?
    public var now: () -> Timestamp = { .now }

    public init(store: BriefingStore, transport: Transport, bearerToken: String?,
                logger: Logger = Logger(label: "briefing.sync")) {
        self.store = store
        self.transport = transport
        self.bearerToken = bearerToken
        self.logger = logger
    }

    public func run(full: Bool = false) throws(SyncError) -> SyncReport {
        let settings = try load()
        guard let server = settings.serverURL, let base = URL(string: server) else {
            throw .notConfigured("store is not initialised: run 'briefing init --server URL'")
        }
        var report = SyncReport()
        if settings.serverKind == .feed {
            try FeedFollower(engine: self, feedURL: base, settings: settings, unconditional: full).run(&report)
        } else {
            try wrap { () throws(StoreError) in try store.releaseAllInFlight() }
            try push(base: base, settings: settings, &report)
            try pull(base: base, full: full, &report)
            if try wrap({ () throws(StoreError) in try store.pendingMarks().isEmpty }) == false {
                try push(base: base, settings: try load(), &report)
            }
        }
        try wrap { () throws(StoreError) in try store.recordSync(at: now()) }
        return report
    }

    // MARK: Push

    func push(base: URL, settings: SyncSettings, _ report: inout SyncReport) throws(SyncError) {
        let url = Self.endpoint(base, Endpoint.mutations)
        while true {
            let marks = try wrap { () throws(StoreError) in try store.takeForPush(limit: pushBatchSize) }
            if marks.isEmpty { return }
            let request = PushRequest(mutations: marks.map { mark in
                Mutation(mutationID: mark.mutationID, articleID: mark.articleID, field: mark.field,
                         value: mark.state.value, changedAt: mark.state.changedAt, device: settings.device,
                         baseRev: mark.baseRev, rule: settings.policy.rule(for: mark.field))
            })
            let outcome: PushResponse
            do {
                let body = try WireCoding.encoder().encode(request)
                var headers = [("Content-Type", "application/json"),
                               (Endpoint.idempotencyKeyHeader, UUID().uuidString.lowercased())]
                headers += authorization
                let response = try send(HTTPRequest(method: "POST", url: url, headers: headers, body: body))
                report.pushRequests += 1
                try check(response, during: "push")
                do {
                    outcome = try WireCoding.decoder().decode(PushResponse.self, from: response.body)
                } catch {
                    throw SyncError.malformed("malformed push response from the server")
                }
            } catch {
                try? store.releaseInFlight(marks.map(\.mutationID))
                throw (error as? SyncError) ?? .malformed("could not encode the push: \(error)")
            }
            let rules = Dictionary(marks.map { ($0.mutationID, settings.policy.rule(for: $0.field)) }) { a, _ in a }
            let verdicts = outcome.results.compactMap { result -> PushVerdict? in
                guard let rule = rules[result.mutationID] else { return nil }
                return PushVerdict(mutationID: result.mutationID, status: result.status,
                                   server: result.state.map { ServerState(state: $0.fieldState, rev: $0.rev) },
                                   rule: result.rule ?? rule)
            }
            let tally = try wrap { () throws(StoreError) in
                try store.settlePush(verdicts, serverTime: outcome.serverTime, now: now())
            }
            // Marks the server did not answer for go back in the queue for the next sync.
            let answered = Set(verdicts.map(\.mutationID))
            try wrap { () throws(StoreError) in
                try store.releaseInFlight(marks.map(\.mutationID).filter { !answered.contains($0) })
            }
            report.pushed += tally.acknowledged + tally.conflicts + tally.gone
            report.conflicts += tally.conflicts
            progress?(SyncProgress(phase: .push, report: report))
            logger.debug("pushed batch", metadata: ["marks": "\(marks.count)", "conflicts": "\(tally.conflicts)"])
            if answered.count < marks.count { return }
        }
    }

    // MARK: Pull

    func pull(base: URL, full: Bool, _ report: inout SyncReport) throws(SyncError) {
        var settings = try load()
        if full || settings.changeToken == nil && !settings.resyncInProgress && settings.lastSync != nil {
            try startResync(&report)
            settings = try load()
        }
        var token = settings.changeToken
        var resyncing = settings.resyncInProgress
        // Every token this pull has stood on: a server that hands one back with has_more would loop us forever.
        var visited: Set<String> = token.map { [$0] } ?? []
        var fetched = try fetchPage(base: base, token: token)
        let fetcher = PageFetcher()
        defer { fetcher.stop() }
        while true {
            guard case .page(let body) = fetched else {
                guard token != nil else { throw .malformed("server answered 410 to a pull from the beginning") }
                logger.info("change token expired; resyncing from the beginning")
                try startResync(&report)
                token = nil
                resyncing = true
                visited = []
                fetched = try fetchPage(base: base, token: nil)
                continue
            }
            // The next page is requested on another thread as soon as this page's token is known, while
            // this one is decoded and written: the server's work overlaps ours. Nothing of the next page
            // touches the store before this page and its token have landed, so a failure still resumes
            // from the last committed page, and a 410 for the next token is handled as if it came later.
            let link = FastPageReader.pageLink(from: body)
            var ahead = link.flatMap { link in
                link.hasMore ? fetcher.start { () throws(SyncError) in try self.fetchPage(base: base, token: link.nextToken) } : nil
            }
            let tally: PullTally
            let info: PageInfo
            do throws(SyncError) {
                let page: PulledPage
                (page, info) = try SyncError.decoding { () throws(MalformedData) in try PageDecoder.briefingPage(from: body) }
                if info.hasMore && !visited.insert(info.nextToken).inserted {
                    throw .malformed("malformed page: has_more with a change token this sync already pulled from (a loop)")
                }
                if link?.nextToken != info.nextToken || link?.hasMore != info.hasMore {
                    // The quick look disagreed with the full decoding (or found nothing): follow the latter.
                    _ = ahead?.result()
                    ahead = info.hasMore ? fetcher.start { () throws(SyncError) in
                        try self.fetchPage(base: base, token: info.nextToken)
                    } : nil
                }
                tally = try wrap { () throws(StoreError) in try store.applyPage(page, now: now()) }
            } catch {
                _ = ahead?.result()
                throw error
            }
            add(tally, to: &report)
            report.pages += 1
            token = info.nextToken
            progress?(SyncProgress(phase: .pull, report: report))
            guard let ahead else { break }
            fetched = try ahead.result().get()
        }
        if resyncing {
            let tally = try wrap { () throws(StoreError) in try store.finishFullResync(now: now()) }
            add(tally, to: &report)
        }
    }

    /// What one pull request brought: a page's body, or 410 Gone for the token it was made with.
    enum FetchedPage {
        case page(Data)
        case gone
    }

    /// Requests the page after `token`; touches nothing but the transport, so it may run on another thread
    /// than the one writing the store.
    func fetchPage(base: URL, token: String?) throws(SyncError) -> FetchedPage {
        var components = URLComponents(url: Self.endpoint(base, Endpoint.changes), resolvingAgainstBaseURL: true)!
        var query = [URLQueryItem(name: Endpoint.limitParameter, value: String(pageSize))]
        if let token { query.append(URLQueryItem(name: Endpoint.tokenParameter, value: token)) }
        components.queryItems = query
        let response = try send(HTTPRequest(url: components.url!, headers: [Endpoint.acceptFeed] + authorization))
        if response.status == 410 { return .gone }
        try check(response, during: "pull")
        return .page(response.body)
    }

    func startResync(_ report: inout SyncReport) throws(SyncError) {
        try wrap { () throws(StoreError) in try store.beginFullResync() }
        report.fullResync = true
    }

    func add(_ tally: PullTally, to report: inout SyncReport) {
        report.pulled += tally.pulled
        report.states += tally.states
        report.deleted += tally.deleted
        report.archived += tally.archived
        report.conflicts += tally.conflicts
    }

    // MARK: HTTP

    var authorization: [(String, String)] {
        bearerToken.map { [("Authorization", "Bearer \($0)")] } ?? []
    }

    func send(_ request: HTTPRequest) throws(SyncError) -> HTTPResponse {
        do {
            return try transport.send(request)
        } catch {
            throw .unavailable(Self.describe(error, url: request.url))
        }
    }

    /// Maps a non-2xx answer to the error the user should see.
    func check(_ response: HTTPResponse, during phase: String) throws(SyncError) {
        let status = response.status
        if (200..<300).contains(status) { return }
        let detail = Self.serverMessage(response)
        switch status {
        case 401, 403:
            throw .unauthorized("server refused the credentials (\(status))\(detail); check --token-file or BRIEFING_TOKEN")
        case 404:
            throw .notConfigured("no Briefing server at the configured URL (404 on \(phase))")
        case 400..<500:
            throw .malformed("server rejected the \(phase) (\(status))\(detail)")
        default:
            throw .unavailable("server failing (\(status) on \(phase))\(detail)")
        }
    }

    static func serverMessage(_ response: HTTPResponse) -> String {
        guard let body = try? WireCoding.decoder().decode(ErrorBody.self, from: response.body) else { return "" }
        return ": " + TerminalText.clip(body.error)
    }

    static func describe(_ error: TransportError, url: URL) -> String {
        let host = url.host.map { "\($0)\(url.port.map { ":\($0)" } ?? "")" } ?? "server"
        // Transport details name the cause and the request ("... self-signed certificate (GET https://…)"):
        // worth a longer line than server-supplied text gets.
        func clip(_ detail: String) -> String { TerminalText.clip(detail, to: 200) }
        switch error {
        case .unreachable(let detail): return "server \(host) unreachable: \(clip(detail))"
        case .timedOut(let detail): return "server \(host) timed out: \(clip(detail))"
        case .interrupted(let detail): return "connection to \(host) interrupted: \(clip(detail))"
        case .tls(let detail): return "TLS error with \(host): \(clip(detail))"
        case .responseTooLarge(let limit): return "response from \(host) larger than \(limit) bytes"
        case .refused(let detail): return "request to \(host) refused: \(clip(detail))"
        }
    }

    /// `base` joined with a relative protocol path, whether or not `base` ends in a slash.
    public static func endpoint(_ base: URL, _ path: String) -> URL {
        let text = base.absoluteString
        let root = text.hasSuffix("/") ? text : text + "/"
        return URL(string: root + path)!
    }

    func load() throws(SyncError) -> SyncSettings {
        guard let settings = try wrap({ () throws(StoreError) in try store.settings() }), settings.isConfigured else {
            throw .notConfigured("store is not initialised: run 'briefing init --server URL'")
        }
        return settings
    }

    func wrap<T>(_ body: () throws(StoreError) -> T) throws(SyncError) -> T {
        do {
            return try body()
        } catch {
            throw .store(error)
        }
    }
}

/// The one thread a pull loop fetches ahead on. One long-lived thread rather than one per page: glibc
/// gives each new thread's allocations an arena of its own, and a thread per page left peak RSS growing
/// with the number of pages instead of staying at about two pages' worth.
final class PageFetcher: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queued: [() -> Void] = []
    private var stopping = false

    init() {
        let thread = Thread { [self] in run() }
        thread.start()
    }

    /// Runs `work` on the fetcher's thread and returns at once; collect what it produced with the result.
    func start<Value>(_ work: @escaping () throws(SyncError) -> Value) -> Prefetch<Value> {
        let prefetch = Prefetch<Value>()
        condition.lock()
        queued.append { prefetch.finish(Result { () throws(SyncError) -> Value in try work() }) }
        condition.signal()
        condition.unlock()
        return prefetch
    }

    /// Lets the thread end once the work already queued is done.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while queued.isEmpty && !stopping { condition.wait() }
            if queued.isEmpty {
                condition.unlock()
                return
            }
            let work = queued.removeFirst()
            condition.unlock()
            work()
        }
    }
}

/// Work running on a `PageFetcher`, whose result is collected later by one consumer.
final class Prefetch<Value>: @unchecked Sendable {
    // Written once by the fetcher thread before `done` is signalled; read only after waiting on `done`.
    private var outcome: Result<Value, SyncError>?
    private let done = DispatchSemaphore(value: 0)
    private var collected = false

    fileprivate func finish(_ outcome: Result<Value, SyncError>) {
        self.outcome = outcome
        done.signal()
    }

    /// Waits for the work to finish (once) and returns what it produced or threw.
    func result() -> Result<Value, SyncError> {
        if !collected {
            done.wait()
            collected = true
        }
        return outcome!
    }
}
