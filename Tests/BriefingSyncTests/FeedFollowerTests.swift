import Foundation
import Testing
@testable import BriefingSync
import BriefingModel
import BriefingStore

/// A transport that answers from a script and remembers every request.
///
/// `@unchecked Sendable`: both mutable fields are only touched under `lock`.
final class ScriptedTransport: Transport, @unchecked Sendable {
    private let lock = NSLock()
    private var _answers: [String: [TransportResponse]] = [:]
    private var _requests: [TransportRequest] = []

    var answers: [String: [TransportResponse]] {
        get { lock.withLock { _answers } }
        set { lock.withLock { _answers = newValue } }
    }
    var requests: [TransportRequest] { lock.withLock { _requests } }

    func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        lock.withLock {
            _requests.append(request)
            let key = request.url.absoluteString
            guard var queue = _answers[key], !queue.isEmpty else { return TransportResponse(status: 404) }
            let answer = queue.count > 1 ? queue.removeFirst() : queue[0]
            _answers[key] = queue
            return answer
        }
    }

    func header(_ name: String, of index: Int) -> String? {
        requests[index].headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// A value shared with a `@Sendable` closure.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&value) } }
}

/// The plain-feed half of `SyncEngine`: conditional requests, validators, pages, loops.
struct FeedFollowerTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("feed-\(UUID().uuidString)")
    let feedURL = "http://127.0.0.1:9/feed.json"

    func store() throws -> BriefingStore {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try BriefingStore.open(path: directory.appendingPathComponent("b.sqlite").path, create: true)
        var settings = SyncSettings(device: "here")
        settings.serverURL = feedURL
        settings.serverKind = .feed
        try store.saveSettings(settings)
        return store
    }

    static func feedBody(_ ids: [String], next: String? = nil, modified: String = "2026-11-01T10:00:00Z") -> Data {
        let items = ids.map { #"{"id": "\#($0)", "content_text": "Body \#($0)", "date_modified": "\#(modified)"}"# }
        let nextMember = next.map { #", "next_url": "\#($0)""# } ?? ""
        return Data(#"{"version": "https://jsonfeed.org/version/1.1", "title": "T"\#(nextMember), "items": [\#(items.joined(separator: ","))]}"#.utf8)
    }

    @Test func validatorsFromTheFirst200AreSentBackAndA304ParsesNothing() async throws {
        let store = try store()
        let transport = ScriptedTransport()
        transport.answers[feedURL] = [
            TransportResponse(status: 200, headers: ["etag": "\"v1\"", "last-modified": "Sun, 29 Nov 2026 00:00:00 GMT"],
                         body: Self.feedBody(["a", "b"])),
            TransportResponse(status: 304, headers: ["etag": "\"v1b\""], body: Data("not json at all".utf8)),
        ]
        let engine = SyncEngine(store: store, transport: transport, bearerToken: nil)
        let first = try await engine.run()
        #expect(first.pulled == 2 && !first.notModified)
        #expect(transport.header("If-None-Match", of: 0) == nil)
        let second = try await engine.run()
        #expect(second.notModified && second.pulled == 0 && second.pages == 0)
        #expect(transport.header("If-None-Match", of: 1) == "\"v1\"")
        #expect(transport.header("If-Modified-Since", of: 1) == "Sun, 29 Nov 2026 00:00:00 GMT")
        let settings = try #require(try store.settings())
        #expect(settings.feedETag == "\"v1b\"")
        #expect(settings.feedLastModified == "Sun, 29 Nov 2026 00:00:00 GMT")
    }

    @Test func fullSyncFetchesWithoutValidators() async throws {
        let store = try store()
        let transport = ScriptedTransport()
        transport.answers[feedURL] = [TransportResponse(status: 200, headers: ["etag": "\"v1\""], body: Self.feedBody(["a"]))]
        let engine = SyncEngine(store: store, transport: transport, bearerToken: nil)
        _ = try await engine.run()
        let report = try await engine.run(full: true)
        #expect(transport.header("If-None-Match", of: 1) == nil && !report.notModified && report.pages == 1)
    }

    @Test func a200WithoutValidatorsForgetsTheOldOnes() async throws {
        let store = try store()
        let transport = ScriptedTransport()
        transport.answers[feedURL] = [
            TransportResponse(status: 200, headers: ["etag": "\"v1\""], body: Self.feedBody(["a"])),
            TransportResponse(status: 200, body: Self.feedBody(["a"])),
        ]
        let engine = SyncEngine(store: store, transport: transport, bearerToken: nil)
        _ = try await engine.run()
        _ = try await engine.run()
        #expect(try store.settings()?.feedETag == nil)
    }

    @Test func nextURLPagesAreFollowedAndTheTokenStaysWithTheFeedsOrigin() async throws {
        let store = try store()
        let transport = ScriptedTransport()
        transport.answers[feedURL] = [TransportResponse(status: 200, body: Self.feedBody(["a"], next: "page2.json"))]
        transport.answers["http://127.0.0.1:9/page2.json"] = [
            TransportResponse(status: 200, body: Self.feedBody(["b"], next: "http://localhost:9/page3.json"))]
        transport.answers["http://localhost:9/page3.json"] = [TransportResponse(status: 200, body: Self.feedBody(["c"]))]
        let report = try await SyncEngine(store: store, transport: transport, bearerToken: "secret").run()
        #expect(report.pages == 3 && report.pulled == 3)
        #expect(transport.header("Authorization", of: 1) == "Bearer secret")
        #expect(transport.header("Authorization", of: 2) == nil)
    }

    @Test func aNextURLLoopEndsTheBackfillWithAWarningAndKeepsEveryPage() async throws {
        let store = try store()
        let transport = ScriptedTransport()
        transport.answers[feedURL] = [TransportResponse(status: 200, headers: ["etag": "\"v1\""],
                                                   body: Self.feedBody(["a"], next: "page2.json"))]
        transport.answers["http://127.0.0.1:9/page2.json"] = [
            TransportResponse(status: 200, body: Self.feedBody(["b"], next: "feed.json#top"))]
        let report = try await SyncEngine(store: store, transport: transport, bearerToken: nil).run()
        #expect(transport.requests.count == 2)
        #expect(report.pulled == 2 && report.pages == 2)
        #expect(report.warnings.count == 1 && report.warnings[0].item == nil && report.warnings[0].reason.contains("loops back"))
        #expect(try store.settings()?.feedETag == "\"v1\"", "the feed document itself landed: its validators are kept")
        #expect(try store.status().lastSyncWarnings == 1)
    }

    @Test func aFailingBackfillPageKeepsTheFeedAndIsAWarning() async throws {
        let store = try store()
        let transport = ScriptedTransport()
        transport.answers[feedURL] = [TransportResponse(status: 200, body: Self.feedBody(["a", "b"], next: "page2.json"))]
        transport.answers["http://127.0.0.1:9/page2.json"] = [TransportResponse(status: 503)]
        let report = try await SyncEngine(store: store, transport: transport, bearerToken: nil).run()
        #expect(report.pulled == 2 && report.warningCount == 1)
        #expect(report.warnings.first?.reason.contains("503") == true)
        #expect(transport.requests[1].retryBudget == FeedFollower.backfillRetryBudget)
        #expect(try store.status().articles == 2)
    }

    @Test func backfillFollowsNextURLOnTheFirstSyncAndThenOnlyWhileAPageWasAllNew() async throws {
        let store = try store()
        let transport = ScriptedTransport()
        let page2 = "http://127.0.0.1:9/page2.json"
        transport.answers[feedURL] = [
            TransportResponse(status: 200, body: Self.feedBody(["a", "b"], next: "page2.json")),
            // Second sync: one new item beside an old one; the page behind it is not read again.
            TransportResponse(status: 200, body: Self.feedBody(["new1", "a"], next: "page2.json")),
            // Third sync: only new items, as after a burst of posts: the backfill goes on behind them.
            TransportResponse(status: 200, body: Self.feedBody(["new2", "new3"], next: "page2.json")),
        ]
        transport.answers[page2] = [TransportResponse(status: 200, body: Self.feedBody(["c"]))]
        let engine = SyncEngine(store: store, transport: transport, bearerToken: nil)
        let first = try await engine.run()
        #expect(first.pages == 2 && first.pulled == 3)
        let second = try await engine.run()
        #expect(second.pages == 1 && second.pulled == 1)
        let third = try await engine.run()
        #expect(third.pages == 2 && third.pulled == 2)
        #expect(transport.requests.filter { $0.url.absoluteString == page2 }.count == 2)
    }

    @Test func warningsReachTheReportTheEventsAndTheStore() async throws {
        let store = try store()
        let transport = ScriptedTransport()
        let items = (0..<100).map { i in i % 40 == 7 ? #"["broken \#(i)"]"# : #"{"id": "i\#(i)", "content_text": "x"}"# }
        transport.answers[feedURL] = [TransportResponse(status: 200, body: Data(
            #"{"version": "https://jsonfeed.org/version/1.1", "items": [\#(items.joined(separator: ","))]}"#.utf8))]
        let seen = Locked<[String]>([])
        var engine = SyncEngine(store: store, transport: transport, bearerToken: nil)
        engine.events = { event in if case .warning(let text) = event { seen.withLock { $0.append(text) } } }
        let report = try await engine.run()
        #expect(report.feedItems == 100 && report.feedItemsKept == 97 && report.feedItemsSkipped == 3)
        #expect(report.warnings.map(\.item) == ["#8", "#48", "#88"])
        #expect(seen.withLock { $0 } == ["item '#8' skipped: not a JSON object", "item '#48' skipped: not a JSON object",
                                         "item '#88' skipped: not a JSON object"])
        #expect(try store.status().articles == 97 && store.status().lastSyncWarnings == 3)
    }

    @Test func aChangedDateModifiedUpdatesTheItemAndKeepsItsReadState() async throws {
        let store = try store()
        let transport = ScriptedTransport()
        transport.answers[feedURL] = [
            TransportResponse(status: 200, body: Self.feedBody(["a", "b"])),
            TransportResponse(status: 200, body: Self.feedBody(["a"], modified: "2026-11-02T10:00:00")),
        ]
        let engine = SyncEngine(store: store, transport: transport, bearerToken: nil)
        _ = try await engine.run()
        try store.mark(.read, ["a"])
        let report = try await engine.run()
        #expect(report.pulled == 1)
        let status = try store.status()
        #expect(status.articles == 2 && status.unread == 1 && status.pending == 0)
    }
}
