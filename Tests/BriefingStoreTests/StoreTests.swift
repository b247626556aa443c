import Foundation
import Testing
import BriefingModel
@testable import BriefingStore

struct OpeningTests {
    @Test func migratesAnEmptyStoreAndReopensIt() throws {
        let fixture = try StoreFixture()
        try fixture.add([article("a")])
        let reopened = try BriefingStore.open(path: fixture.path)
        #expect(try reopened.status().articles == 1)
        #expect(try reopened.integrityCheck() == "ok")
    }

    @Test func newStoreFilesAreReadableOnlyByTheirOwner() throws {
        let fixture = try StoreFixture()
        let mode = try FileManager.default.attributesOfItem(atPath: fixture.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func aStoreFromANewerBriefingIsRefusedAndLeftUntouched() throws {
        let fixture = try StoreFixture()
        try fixture.store.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('999_from_the_future')")
        }
        _ = try fixture.store.integrityCheck()
        let before = try Data(contentsOf: URL(fileURLWithPath: fixture.path))
        #expect(throws: StoreError.newerSchema(path: fixture.path, unknown: ["999_from_the_future"])) {
            try BriefingStore.open(path: fixture.path)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.path)) == before)
    }

    @Test func aFileThatIsNotADatabaseIsRefusedAndLeftUntouched() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("garbage-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let garbage = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
        _ = FileManager.default.createFile(atPath: path, contents: garbage)
        #expect {
            try BriefingStore.open(path: path)
        } throws: { error in
            if case .corrupt = error as? StoreError { return true }
            return false
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == garbage)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test func aMissingStoreIsNotInitialised() {
        #expect(throws: StoreError.notInitialised(path: "/nonexistent/briefing.sqlite")) {
            try BriefingStore.open(path: "/nonexistent/briefing.sqlite")
        }
    }

    @Test func theEmbeddedMigrationsMatchSchemaFolder() throws {
        let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Schema/client").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: schema.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.map { String($0.dropLast(4)) } == ClientSchema.migrations.map(\.name))
        for (file, migration) in zip(files, ClientSchema.migrations) {
            let sql = try String(contentsOf: schema.appendingPathComponent(file), encoding: .utf8)
            #expect(sql.trimmingCharacters(in: .newlines) == migration.sql, "run Tools/embed-sql after editing \(file)")
        }
    }
}

struct MarkTests {
    @Test func markingChangesStatusAndQueuesOnePendingRow() throws {
        let fixture = try StoreFixture()
        try fixture.add([article("a"), article("b")])
        try fixture.store.mark(.read, ["a"])
        try fixture.store.mark(.star, ["b"])
        var status = try fixture.store.status()
        #expect((status.unread, status.starred, status.pending) == (1, 1, 2))
        try fixture.store.mark(.unread, ["a"])
        try fixture.store.mark(.unstar, ["b"])
        status = try fixture.store.status()
        #expect((status.unread, status.starred, status.pending) == (2, 0, 2))
    }

    @Test func markingTheSameFieldAgainCoalescesToTheLatestValue() throws {
        let fixture = try StoreFixture()
        try fixture.add([article("a")])
        try fixture.store.mark(.read, ["a"], wallClock: Timestamp(milliseconds: 10))
        try fixture.store.mark(.unread, ["a"], wallClock: Timestamp(milliseconds: 20))
        try fixture.store.mark(.read, ["a"], wallClock: Timestamp(milliseconds: 30))
        let pending = try fixture.store.pendingMarks()
        #expect(pending.count == 1)
        #expect(pending.first?.state.value == true)
        #expect(pending.first?.state.changedAt == Timestamp(milliseconds: 30))
    }

    @Test func anUnknownReferenceChangesNothing() throws {
        let fixture = try StoreFixture()
        try fixture.add([article("a")])
        #expect(throws: StoreError.unknownArticle("nope")) { try fixture.store.mark(.read, ["a", "nope"]) }
        #expect(try fixture.store.status().pending == 0)
    }

    @Test func handlesResolveLikeIDs() throws {
        let fixture = try StoreFixture()
        try fixture.add([article("https://example.com/long/id")])
        let handle = try fixture.store.list(.all)[0].handle
        try fixture.store.mark(.star, [String(handle)])
        #expect(try fixture.store.article("https://example.com/long/id").summary.starred)
    }

    @Test func marksOnAPlainFeedStayLocal() throws {
        let fixture = try StoreFixture(kind: .feed)
        try fixture.add([article("a")])
        #expect(try fixture.store.mark(.read, ["a"]) == 1)
        #expect(try fixture.store.status().pending == 0)
        #expect(try fixture.store.status().unread == 0)
    }

    @Test func marksUseTheHybridClock() throws {
        let fixture = try StoreFixture()
        try fixture.store.applyPage(PulledPage(articles: [article("a")], nextToken: "t",
                                               serverTime: Timestamp(milliseconds: 1_000_000)))
        try fixture.store.mark(.read, ["a"], wallClock: Timestamp(milliseconds: 5))
        #expect(try fixture.store.pendingMarks()[0].state.changedAt > Timestamp(milliseconds: 1_000_000))
    }
}

struct SearchTests {
    @Test func findsWordsFromTitleAndBodyAndRanksATitleHitFirst() throws {
        let fixture = try StoreFixture()
        try fixture.add([
            article("body", title: "Farm news", body: "Canola growers worry about tariffs this season."),
            article("title", title: "Tariffs on canola", body: "Growers met in Regina.", day: 0),
            article("none", title: "Weather", body: "Rain."),
        ])
        let hits = try fixture.store.search("tariffs")
        #expect(hits.map(\.id) == ["title", "body"])
        #expect(try fixture.store.search("regina").map(\.id) == ["title"])
    }

    @Test func aMalformedQueryIsABadQuery() throws {
        let fixture = try StoreFixture()
        try fixture.add([article("a")])
        #expect {
            try fixture.store.search("\"unbalanced")
        } throws: { error in
            if case .badQuery = error as? StoreError { return true }
            return false
        }
    }

    @Test func anUpdatedArticleIsSearchableByItsNewWordsOnly() throws {
        let fixture = try StoreFixture()
        try fixture.add([article("a", body: "glacier")])
        try fixture.add([article("a", body: "semiconductor", revision: 2)])
        #expect(try fixture.store.search("glacier").isEmpty)
        #expect(try fixture.store.search("semiconductor").map(\.id) == ["a"])
    }
}

struct PruneTests {
    @Test func pruneKeepsUnreadStarredAndRecentArticles() throws {
        let fixture = try StoreFixture()
        try fixture.add([article("old-read", day: 1), article("old-unread", day: 1), article("old-starred", day: 1),
                         article("new-read", day: 20_000)])
        try fixture.store.mark(.read, ["old-read", "old-starred", "new-read"])
        try fixture.store.mark(.star, ["old-starred"])
        try fixture.store.releaseInFlight([])
        // Pending marks protect an article; acknowledge them as a push would.
        let pending = try fixture.store.pendingMarks()
        _ = try fixture.store.settlePush(pending.map {
            PushVerdict(mutationID: $0.mutationID, status: .applied, server: ServerState(state: $0.state, rev: 1), rule: .lastWriterWins)
        }, serverTime: nil)
        let removed = try fixture.store.prune(olderThanDays: 30, now: Timestamp(milliseconds: 20_001 * 86_400_000))
        #expect(removed == 1)
        #expect(Set(try fixture.store.list(.all).map(\.id)) == ["old-unread", "old-starred", "new-read"])
    }
}
