import BriefingMockServer
import BriefingModel
import BriefingProtocol
import BriefingTestSupport
import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Pulls through the real router, in process.
@Suite struct PullTests {
    @Test(arguments: StoreKind.allCases) func fullPullPagesThroughEveryArticleExactlyOnce(store: StoreKind) async throws {
        try await InProcessServer.run(store: store, seeds: sampleItems(250), pageSize: 100) { server in
            let (pages, lastToken) = try await server.pullAll()
            #expect(pages.map(\.items.count) == [100, 100, 50])
            #expect(pages.map { $0.briefing!.hasMore } == [true, true, false])
            let ids = pages.flatMap { $0.items.map(\.id) }
            #expect(ids == sampleItems(250).map(\.id))
            #expect(pages.allSatisfy { $0.version == FeedDocument.version1_1 && $0.items.allSatisfy { $0.briefing?.revision == 1 } })

            let after = try await server.pull(token: lastToken)
            #expect(after.items.isEmpty && after.briefing!.deleted.isEmpty && after.briefing!.states.isEmpty)
            #expect(after.briefing!.hasMore == false)
            #expect(after.briefing!.nextToken == lastToken)
        }
    }

    @Test(arguments: StoreKind.allCases) func pullPagesAreServedAsFeedJSONWhilePushAndAdminAnswersStayPlainJSON(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            let page = try await server.request(.get, "/v1/changes?limit=2")
            #expect(page.status == .ok && page.headers[.contentType] == "application/feed+json")
            let push = try await server.push([mark("m-1", "article-0001", time: at(1))])
            #expect(push.headers[.contentType] == "application/json")
            let state = try await server.request(.get, "/admin/state")
            #expect(state.headers[.contentType] == "application/json")
            let refused = try await server.request(.get, "/v1/changes?limit=x")
            #expect(refused.status == .badRequest && refused.headers[.contentType] == "application/json")
        }
    }

    @Test(arguments: StoreKind.allCases) func pullFromTheBeginningHasAnETagAnswered304UntilTheNextChange(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            let first = try await server.request(.get, "/v1/changes?limit=10")
            let etag = try #require(first.headers[.eTag])
            let again = try await server.request(.get, "/v1/changes?limit=10", headers: [.ifNoneMatch: "W/\(etag)"])
            #expect(again.status == .notModified && again.body.readableBytes == 0)
            let otherLimit = try await server.request(.get, "/v1/changes?limit=11", headers: [.ifNoneMatch: etag])
            #expect(otherLimit.status == .ok)
            try await server.admin("articles", ["id": "article-0002", "title": "Edited", "content_html": "<p>New</p>"])
            let changed = try await server.request(.get, "/v1/changes?limit=10", headers: [.ifNoneMatch: etag])
            #expect(changed.status == .ok && changed.headers[.eTag] != etag)
            let withToken = try await server.request(.get, "/v1/changes?token=\(try await server.pull().briefing!.nextToken)")
            #expect(withToken.headers[.eTag] == nil)
        }
    }

    @Test(arguments: StoreKind.allCases) func adminEditIsPulledAsThatItemAloneWithAHigherRevision(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            let (_, token) = try await server.pullAll()
            try await server.admin("articles", ["id": "article-0002", "title": "Edited", "content_html": "<p>New</p>"])
            let page = try await server.pull(token: token)
            #expect(page.items.map(\.id) == ["article-0002"])
            #expect(page.items.first?.briefing?.revision == 2)
            #expect(page.items.first?.title == "Edited")
            #expect(page.briefing!.states.isEmpty && page.briefing!.deleted.isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases) func adminStateChangeIsPulledAsAStateOnlyChangeWithoutABody(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            let (_, token) = try await server.pullAll()
            let answer = try await server.admin("state", ["id": "article-0001", "field": "starred", "value": true,
                                                          "changed_at": at(10).rfc3339, "device": "phone"])
            #expect(answer["status"] as? String == "applied")
            let page = try await server.pull(token: token)
            #expect(page.items.isEmpty)
            let change = try #require(page.briefing!.states.first)
            #expect(page.briefing!.states.count == 1)
            #expect(change.id == "article-0001" && change.field == .starred && change.value && change.device == "phone")
            #expect(change.changedAt == at(10))
            #expect(change.rev == ((answer["state"] as? [String: Any])?["rev"] as? Int).map(Int64.init))
        }
    }

    @Test(arguments: StoreKind.allCases) func itemsCarryTheirCurrentStateOnAFullPull(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            try await server.admin("state", ["id": "article-0003", "field": "read", "value": true,
                                             "changed_at": at(5).rfc3339, "device": "phone"])
            let (pages, _) = try await server.pullAll()
            let item = try #require(pages.flatMap(\.items).first { $0.id == "article-0003" })
            #expect(item.briefing?.read?.value == true && item.briefing?.read?.device == "phone")
            #expect(item.briefing?.starred == nil)
            #expect(pages.allSatisfy { $0.briefing!.states.isEmpty })
        }
    }

    @Test(arguments: StoreKind.allCases) func adminDeleteIsPulledAsATombstoneAndLeavesFullPulls(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            let (_, token) = try await server.pullAll()
            try await server.admin("state", ["id": "article-0004", "field": "read", "value": true,
                                             "changed_at": at(1).rfc3339, "device": "phone"])
            let answer = try await server.admin("delete", ["ids": ["article-0004", "no-such-article"]])
            #expect(answer["deleted"] as? [String] == ["article-0004"])
            #expect(answer["unknown"] as? [String] == ["no-such-article"])
            let page = try await server.pull(token: token)
            #expect(page.items.isEmpty)
            #expect(page.briefing!.deleted == ["article-0004"])
            #expect(page.briefing!.states.isEmpty)
            let (fresh, _) = try await server.pullAll()
            #expect(!fresh.flatMap(\.items).contains { $0.id == "article-0004" })
            #expect(fresh.allSatisfy { $0.briefing!.deleted.isEmpty })
        }
    }

    @Test(arguments: StoreKind.allCases) func republishingADeletedArticleBringsItBack(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            try await server.admin("delete", ["ids": ["article-0000"]])
            let (_, token) = try await server.pullAll()
            let answer = try await server.admin("articles", ["items": [["id": "article-0000", "content_text": "back"]]])
            #expect((answer["articles"] as? [[String: Any]])?.first?["revision"] as? Int == 2)
            let page = try await server.pull(token: token)
            #expect(page.items.map(\.id) == ["article-0000"])
        }
    }

    @Test(arguments: StoreKind.allCases) func expiredTokenAnswers410AndAPullWithoutTokenStillWorks(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            let (_, token) = try await server.pullAll()
            try await server.admin("expire-tokens", [String: Any]())
            let response = try await server.request(.get, "/v1/changes?token=\(token)")
            #expect(response.status == .gone)
            #expect(try response.json()["error"] as? String == "change token expired; resync from the beginning")
            let fresh = try await server.pull()
            #expect(fresh.items.count == 5)
        }
    }

    @Test(arguments: StoreKind.allCases, ["not-a-token", "MTox", ChangeToken(epoch: 1, sequence: 999).description, "%20"])
    func undecodableForeignOrFutureTokensAnswer410(store: StoreKind, token: String) async throws {
        try await InProcessServer.run(store: store) { server in
            let response = try await server.request(.get, "/v1/changes?token=\(token)")
            #expect(response.status == .gone)
        }
    }

    @Test(arguments: StoreKind.allCases) func tokenBeyondTheSequenceOfThisEpochAnswers410(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            let current = try #require(ChangeToken(try await server.pull().briefing!.nextToken))
            let future = ChangeToken(epoch: current.epoch, sequence: current.sequence + 1)
            #expect(try await server.request(.get, "/v1/changes?token=\(future)").status == .gone)
        }
    }

    @Test(arguments: StoreKind.allCases) func limitIsClampedAndANonNumericLimitIs400(store: StoreKind) async throws {
        try await InProcessServer.run(store: store, seeds: sampleItems(3)) { server in
            #expect(try await server.pull(limit: 0).items.count == 1)
            #expect(try await server.pull(limit: 5000).items.count == 3)
            let response = try await server.request(.get, "/v1/changes?limit=ten")
            #expect(response.status == .badRequest)
            #expect(try response.json()["error"] is String)
        }
    }

    @Test(arguments: StoreKind.allCases) func pagesMergeItemsStatesAndTombstonesInSequenceOrder(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            let (_, token) = try await server.pullAll()
            try await server.admin("state", ["id": "article-0000", "field": "read", "value": true,
                                             "changed_at": at(1).rfc3339, "device": "phone"])
            try await server.admin("articles", ["id": "article-0001", "content_text": "edited"])
            try await server.admin("delete", ["ids": ["article-0002"]])
            let first = try await server.pull(token: token, limit: 2)
            #expect(first.briefing!.states.map(\.id) == ["article-0000"])
            #expect(first.items.map(\.id) == ["article-0001"])
            #expect(first.briefing!.deleted.isEmpty && first.briefing!.hasMore)
            let second = try await server.pull(token: first.briefing!.nextToken, limit: 2)
            #expect(second.briefing!.deleted == ["article-0002"] && !second.briefing!.hasMore)
        }
    }

    @Test(arguments: StoreKind.allCases) func gzipIsUsedWhenAskedAndDecodesToTheSamePage(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            let plain = try await server.request(.get, "/v1/changes")
            let zipped = try await server.request(.get, "/v1/changes", headers: [.acceptEncoding: "gzip, deflate"])
            #expect(plain.headers[.contentEncoding] == nil)
            #expect(zipped.headers[.contentEncoding] == "gzip")
            #expect(Array(zipped.body.readableBytesView.prefix(2)) == [0x1f, 0x8b])
            var compressed = zipped.body
            let unzipped = try compressed.decompress(with: .gzip())
            let page = try WireCoding.decoder().decode(FeedDocument.self, from: Data(unzipped.readableBytesView))
            let reference = try WireCoding.decoder().decode(FeedDocument.self, from: plain.data)
            #expect(page.items == reference.items)
            #expect(page.briefing?.nextToken == reference.briefing?.nextToken)
        }
    }

    @Test(arguments: StoreKind.allCases) func everyResponseCarriesAServerTimeThatNeverGoesBackwards(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            var times: [Timestamp] = []
            for uri in ["/v1/changes", "/v1/changes?token=bad", "/admin/state", "/nowhere"] {
                let response = try await server.request(.get, uri)
                let header = try #require(response.headers[HTTPField.Name("Briefing-Server-Time")!])
                times.append(try #require(Timestamp(rfc3339: header)))
            }
            #expect(times == times.sorted())
        }
    }

    @Test func serverClockHoldsStillWhenTheWallClockStepsBack() {
        let wall = WallClockStub(times: [5_000, 9_000, 7_000, 9_500])
        let clock = ServerClock(wallClock: { wall.next() })
        #expect((0..<4).map { _ in clock.now().milliseconds } == [5_000, 9_000, 9_000, 9_500])
    }
}

/// A wall clock that reads a scripted list of times.
// @unchecked Sendable is safe: `times` is touched only while `lock` is held.
final class WallClockStub: @unchecked Sendable {
    private var times: [Int64]
    private let lock = NSLock()
    init(times: [Int64]) { self.times = times }
    func next() -> Timestamp {
        lock.lock()
        defer { lock.unlock() }
        return Timestamp(milliseconds: times.removeFirst())
    }
}
