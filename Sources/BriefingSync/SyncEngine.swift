import Foundation
import Logging
import BriefingModel
import BriefingProtocol
import BriefingStore

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
    public var pageSize = 500
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
            try FeedFollower(engine: self, feedURL: base, settings: settings).run(&report)
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
                return PushVerdict(mutationID: result.mutationID, status: .init(result.status),
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
        while true {
            var components = URLComponents(url: Self.endpoint(base, Endpoint.changes), resolvingAgainstBaseURL: true)!
            var query = [URLQueryItem(name: Endpoint.limitParameter, value: String(pageSize))]
            if let token { query.append(URLQueryItem(name: Endpoint.tokenParameter, value: token)) }
            components.queryItems = query
            let response = try send(HTTPRequest(url: components.url!, headers: [("Accept", "application/feed+json, application/json")] + authorization))
            if response.status == 410 {
                guard token != nil else { throw .malformed("server answered 410 to a pull from the beginning") }
                logger.info("change token expired; resyncing from the beginning")
                try startResync(&report)
                token = nil
                resyncing = true
                visited = []
                continue
            }
            try check(response, during: "pull")
            let (page, info) = try PageDecoding.briefingPage(from: response.body)
            if info.hasMore && !visited.insert(info.nextToken).inserted {
                throw .malformed("malformed page: has_more with a change token this sync already pulled from (a loop)")
            }
            let tally = try wrap { () throws(StoreError) in try store.applyPage(page, now: now()) }
            add(tally, to: &report)
            report.pages += 1
            token = info.nextToken
            progress?(SyncProgress(phase: .pull, report: report))
            if !info.hasMore { break }
        }
        if resyncing {
            let tally = try wrap { () throws(StoreError) in try store.finishFullResync(now: now()) }
            add(tally, to: &report)
        }
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
        return ": " + PageDecoding.clip(body.error)
    }

    static func describe(_ error: TransportError, url: URL) -> String {
        let host = url.host.map { "\($0)\(url.port.map { ":\($0)" } ?? "")" } ?? "server"
        switch error {
        case .unreachable(let detail): return "server \(host) unreachable: \(PageDecoding.clip(detail))"
        case .timedOut(let detail): return "server \(host) timed out: \(PageDecoding.clip(detail))"
        case .interrupted(let detail): return "connection to \(host) interrupted: \(PageDecoding.clip(detail))"
        case .tls(let detail): return "TLS error with \(host): \(PageDecoding.clip(detail))"
        case .responseTooLarge(let limit): return "response from \(host) larger than \(limit) bytes"
        case .refused(let detail): return "request to \(host) refused: \(PageDecoding.clip(detail))"
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

extension PushVerdict.Status {
    init(_ status: MutationStatus) {
        switch status {
        case .applied: self = .applied
        case .duplicate: self = .duplicate
        case .conflict: self = .conflict
        case .gone: self = .gone
        }
    }
}
