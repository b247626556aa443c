import BriefingCurl
import BriefingKit
import BriefingTestSupport
import Foundation
import Testing

/// The facade as an app uses it: a sync in a Task, cancelled mid-pull, resumed; one sync per store.
@Suite(.serialized)
struct CancellationTests {
    static let articleCount = 20_000
    static let pageSize = 200

    /// A mock server holding `count` generated articles.
    static func server(articles count: Int, in directory: TemporaryDirectory) throws -> MockServerProcess {
        let items = (1...count).map { index in
            ["id": String(format: "gen-%05d", index), "title": "Generated article \(index)",
             "content_html": "<p>Paragraph of article \(index).</p>",
             "date_published": String(format: "2026-11-%02dT08:00:00Z", 1 + index % 28)]
        }
        let feed: [String: Any] = ["version": "https://jsonfeed.org/version/1.1", "title": "Generated", "items": items]
        try FileManager.default.createDirectory(atPath: directory.path("seeds"), withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: feed).write(to: URL(fileURLWithPath: directory.path("seeds/feed.json")))
        return try MockServerProcess(arguments: ["--seeds", directory.path("seeds")])
    }

    static func client(_ path: String, _ server: MockServerProcess) async throws -> BriefingClient {
        let client = try BriefingClient.open(at: path, transport: RetryingTransport(CurlTransport()))
        guard case .connected(.briefing) = try await client.connect(to: server.baseURL, settings: SyncSettings(device: "phone"))
        else { throw TestError("could not connect") }
        return client
    }

    @Test func cancellingASyncMidPullKeepsTheStoreWholeAndTheNextSyncFetchesOnlyTheRest() async throws {
        let directory = try TemporaryDirectory()
        let server = try Self.server(articles: Self.articleCount, in: directory)
        defer { server.stop() }
        let client = try await Self.client(directory.path("phone.sqlite"), server)
        let totalPages = Self.articleCount / Self.pageSize

        let syncing = Task { try await client.sync(pageSize: Self.pageSize) }
        // Mark an article of the first page while the pull goes on, then cancel after ten pages.
        var marked: String?
        for await event in client.events {
            guard case .pageCommitted(_, let report) = event else { continue }
            if marked == nil, let first = try client.list(.all, limit: 1).first {
                try client.mark(.star, [first.id])
                marked = first.id
            }
            if report.pages >= 10 {
                syncing.cancel()
                break
            }
        }
        await #expect(throws: SyncError.cancelled) { try await syncing.value }

        // Whole pages only, the store sound, the mark made during the sync still pending.
        #expect(try client.store.integrityCheck() == "ok")
        let status = try client.status()
        let committedPages = status.articles / Self.pageSize
        #expect(status.articles == committedPages * Self.pageSize)
        #expect(committedPages >= 10 && committedPages < totalPages)
        #expect(status.pending == 1)
        let star = try #require(marked)
        #expect(try client.article(star).summary.starred)

        // The lease was given back (nothing of the cancelled sync is left running), and the next sync
        // pushes the mark and fetches exactly the pages that had not landed.
        let report = try await client.sync(pageSize: Self.pageSize)
        // The articles not yet committed, plus the pushed star: a state change the server sequences after them.
        let remainingChanges = Self.articleCount - committedPages * Self.pageSize + 1
        #expect(report.pages == (remainingChanges + Self.pageSize - 1) / Self.pageSize)
        #expect(report.pulled == Self.articleCount - committedPages * Self.pageSize)
        #expect(report.pushed == 1)
        #expect(try client.status().articles == Self.articleCount)
        #expect(try client.status().pending == 0)
        let state = try #require(try server.admin("state") as? [String: Any])
        let articles = try #require(state["articles"] as? [[String: Any]])
        let starred = articles.first { $0["id"] as? String == star }?["starred"] as? [String: Any]
        #expect(starred?["value"] as? Bool == true)
    }

    @Test func aSecondSyncOnTheSameStoreIsBusyInProcessAndAcrossProcesses() async throws {
        let directory = try TemporaryDirectory()
        let server = try Self.server(articles: 50, in: directory)
        defer { server.stop() }
        let path = directory.path("phone.sqlite")
        let client = try await Self.client(path, server)
        // Every pull waits 3 s at the server, so the first sync holds the store for a while.
        _ = try server.admin("faults", ["kind": "delay", "delay_ms": 3_000, "count": 5, "path": "/v1/changes"])
        let first = Task { try await client.sync() }
        try await Task.sleep(for: .milliseconds(800))

        let other = try BriefingClient.open(at: path, transport: CurlTransport())
        await #expect(throws: SyncError.busy(StoreError.syncInProgress.description)) { try await other.sync() }
        let cli = try run("briefing", ["sync", "--db", path])
        #expect(cli.status == 75)
        #expect(cli.err.contains("another sync is running"))

        let report = try await first.value
        #expect(report.pulled == 50)
        #expect(try await other.sync().pulled == 0)
    }
}
