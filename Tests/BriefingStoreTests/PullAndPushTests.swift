import Foundation
import Testing
import BriefingModel
import BriefingProtocol
@testable import BriefingStore

struct PullTests {
    @Test func aPageAndItsTokenLandTogether() throws {
        let fixture = try StoreFixture()
        try fixture.add([article("a"), article("b")], token: "after-b")
        #expect(try fixture.store.settings()?.changeToken == "after-b")
        #expect(try fixture.store.status().articles == 2)
    }

    @Test func aContentUpdateKeepsLocalReadState() throws {
        let fixture = try StoreFixture()
        try fixture.add([article("a", title: "Old")])
        try fixture.store.mark(.read, ["a"])
        let tally = try fixture.add([article("a", title: "New", revision: 2)])
        let stored = try fixture.store.article("a")
        #expect(tally.pulled == 1)
        #expect(stored.article.title == "New")
        #expect(stored.summary.read)
    }

    @Test func aReplayedRevisionChangesNothing() throws {
        let fixture = try StoreFixture()
        try fixture.add([article("a", title: "Same")])
        let tally = try fixture.add([article("a", title: "Same")])
        #expect(tally.pulled == 0)
    }

    @Test func aLaterServerStateBeatsAnEarlierPendingMarkAndIsLogged() throws {
        let fixture = try StoreFixture()
        try fixture.add([article("a")])
        try fixture.store.mark(.read, ["a"], wallClock: Timestamp(milliseconds: 100))
        try fixture.store.mark(.unread, ["a"], wallClock: Timestamp(milliseconds: 100))
        let tally = try fixture.store.applyPage(PulledPage(
            states: [PulledState(articleID: "a", field: .read, server: server(true, at: 5_000, rev: 7))], nextToken: "t2"))
        #expect(tally.conflicts == 1)
        #expect(try fixture.store.pendingMarks().isEmpty)
        #expect(try fixture.store.article("a").summary.read)
        let log = try fixture.store.conflicts()
        #expect(log.first?.winner == .server)
        #expect(log.first?.rule == "last-writer-wins")
    }

    @Test func aLaterPendingMarkSurvivesAnEarlierServerState() throws {
        let fixture = try StoreFixture()
        try fixture.add([article("a")])
        try fixture.store.mark(.read, ["a"], wallClock: Timestamp(milliseconds: 9_000))
        try fixture.store.applyPage(PulledPage(
            states: [PulledState(articleID: "a", field: .read, server: server(false, at: 5_000, rev: 7))], nextToken: "t2"))
        #expect(try fixture.store.pendingMarks().count == 1)
        #expect(try fixture.store.article("a").summary.read)
        #expect(try fixture.store.conflicts().first?.winner == .local)
    }

    @Test func aMarkReplacingAPendingOneIsBasedOnTheServerStateSeenSince() throws {
        let fixture = try StoreFixture(policy: ConflictPolicy([.read: .readWins]))
        try fixture.add([article("a")])
        try fixture.store.mark(.read, ["a"], wallClock: Timestamp(milliseconds: 9_000))
        try fixture.store.applyPage(PulledPage(
            states: [PulledState(articleID: "a", field: .read, server: server(true, at: 5_000, rev: 7))], nextToken: "t2"))
        try fixture.store.mark(.unread, ["a"], wallClock: Timestamp(milliseconds: 10_000))
        // Made after rev 7 was seen: the server must not judge it concurrent with rev 7 (read-wins would
        // then keep "read" and lose the reader's deliberate "unread").
        #expect(try fixture.store.pendingMarks().map(\.baseRev) == [7])
    }

    @Test func readWinsKeepsAPendingReadAgainstALaterUnread() throws {
        let fixture = try StoreFixture(policy: ConflictPolicy([.read: .readWins]))
        try fixture.add([article("a")])
        try fixture.store.mark(.read, ["a"], wallClock: Timestamp(milliseconds: 100))
        try fixture.store.applyPage(PulledPage(
            states: [PulledState(articleID: "a", field: .read, server: server(false, at: 9_000, rev: 7))], nextToken: "t2"))
        #expect(try fixture.store.article("a").summary.read)
        #expect(try fixture.store.pendingMarks().count == 1)
    }

    @Test func aServerDeleteRemovesAnArticleButArchivesAStarredOne() throws {
        let fixture = try StoreFixture()
        try fixture.add([article("plain"), article("starred")])
        try fixture.store.mark(.star, ["starred"])
        let tally = try fixture.store.applyPage(PulledPage(deleted: ["plain", "starred"], nextToken: "t2"))
        #expect((tally.deleted, tally.archived) == (1, 1))
        #expect(try fixture.store.list(.all).map(\.id) == ["starred"])
        #expect(try fixture.store.list(.all)[0].archived)
        #expect(try fixture.store.pendingMarks().isEmpty)
        #expect(try fixture.store.conflicts().contains { $0.field == "article" && $0.articleID == "starred" })
    }

    @Test func anArchivedArticleTheServerPublishesAgainTakesTheServersStateNotMarksMadeWhileArchived() throws {
        let fixture = try StoreFixture()
        try fixture.add([article("a", states: [.starred: server(true, at: 1_000, rev: 3)])])
        try fixture.store.applyPage(PulledPage(deleted: ["a"], nextToken: "t2"))
        try fixture.store.mark(.unstar, ["a"])
        try fixture.store.mark(.read, ["a"])
        try fixture.add([article("a", revision: 2, states: [.starred: server(true, at: 1_000, rev: 3)])], token: "t3")
        let summary = try fixture.store.article("a").summary
        #expect((summary.archived, summary.starred, summary.read) == (false, true, false))
        #expect(try fixture.store.pendingMarks().isEmpty)
    }

    @Test func aFullResyncRemovesWhatTheServerNoLongerHasAndKeepsPendingMarks() throws {
        let fixture = try StoreFixture()
        try fixture.add([article("kept"), article("gone"), article("gone-starred")])
        try fixture.store.mark(.read, ["kept"])
        try fixture.store.mark(.star, ["gone-starred"])
        try fixture.store.beginFullResync()
        try fixture.add([article("kept")], token: "fresh")
        let tally = try fixture.store.finishFullResync()
        #expect((tally.deleted, tally.archived) == (1, 1))
        #expect(Set(try fixture.store.list(.all).map(\.id)) == ["kept", "gone-starred"])
        #expect(try fixture.store.pendingMarks().map(\.articleID) == ["kept"])
        #expect(try fixture.store.settings()?.resyncInProgress == false)
    }
}

struct PushTests {
    @Test func takingMarksFlagsThemInFlightAndReleasingPutsThemBack() throws {
        let fixture = try StoreFixture()
        try fixture.add([article("a"), article("b")])
        try fixture.store.mark(.read, ["a", "b"])
        #expect(try fixture.store.takeForPush(limit: 10).count == 2)
        #expect(try fixture.store.takeForPush(limit: 10).isEmpty)
        try fixture.store.releaseAllInFlight()
        #expect(try fixture.store.takeForPush(limit: 1).count == 1)
    }

    @Test func batchesTakeEachMarkOnceOldestFirstAndSettleOnlyTheirOwn() throws {
        let fixture = try StoreFixture()
        try fixture.add(["a", "b", "c", "d", "e"].map { article($0) })
        for id in ["c", "a", "e", "b", "d"] { try fixture.store.mark(.read, [id]) }
        try fixture.store.mark(.star, ["c"])
        let first = try fixture.store.takeForPush(limit: 2)
        let second = try fixture.store.takeForPush(limit: 2)
        #expect(first.map(\.articleID) == ["c", "a"])
        #expect(second.map(\.articleID) == ["e", "b"])
        // Settling the second batch leaves the first in flight and the rest queued.
        let tally = try fixture.store.settlePush(second.map {
            PushVerdict(mutationID: $0.mutationID, status: .applied, server: ServerState(state: $0.state, rev: 5),
                        rule: .lastWriterWins)
        }, serverTime: nil)
        #expect(tally.acknowledged == 2)
        #expect(try fixture.store.takeForPush(limit: 10).map { "\($0.articleID)/\($0.field.rawValue)" } == ["d/read", "c/starred"])
        try fixture.store.releaseAllInFlight()
        #expect(try fixture.store.pendingMarks().map(\.articleID) == ["c", "a", "d", "c"])
    }

    @Test func aMarkMadeWhileItsPushWasInFlightIsNotLost() throws {
        let fixture = try StoreFixture()
        try fixture.add([article("a")])
        try fixture.store.mark(.read, ["a"])
        let sent = try fixture.store.takeForPush(limit: 10)
        try fixture.store.mark(.unread, ["a"])
        _ = try fixture.store.settlePush([PushVerdict(mutationID: sent[0].mutationID, status: .applied,
                                                      server: ServerState(state: sent[0].state, rev: 3), rule: .lastWriterWins)],
                                         serverTime: nil)
        let pending = try fixture.store.pendingMarks()
        #expect(pending.count == 1)
        #expect(pending.first?.state.value == false)
    }

    @Test func aDuplicateWithoutAServerStateLeavesTheFieldUnset() throws {
        let fixture = try StoreFixture()
        try fixture.add([article("a")])
        try fixture.store.mark(.read, ["a"])
        let marks = try fixture.store.takeForPush(limit: 10)
        // The first delivery was judged `gone` and its answer lost; the article is back, with no read state.
        let tally = try fixture.store.settlePush(
            [PushVerdict(mutationID: marks[0].mutationID, status: .duplicate, server: nil, rule: .lastWriterWins)],
            serverTime: nil)
        #expect(tally.acknowledged == 1)
        #expect(try fixture.store.pendingMarks().isEmpty)
        #expect(try fixture.store.article("a").summary.read == false)
    }

    @Test func aConflictVerdictAdoptsTheServerWinnerAndIsLogged() throws {
        let fixture = try StoreFixture()
        try fixture.add([article("a")])
        try fixture.store.mark(.read, ["a"])
        let sent = try fixture.store.takeForPush(limit: 10)
        let tally = try fixture.store.settlePush([PushVerdict(mutationID: sent[0].mutationID, status: .conflict,
                                                              server: server(false, at: 99_999_999_999_999, rev: 9),
                                                              rule: .lastWriterWins)], serverTime: nil)
        #expect(tally.conflicts == 1)
        #expect(try fixture.store.article("a").summary.read == false)
        #expect(try fixture.store.pendingMarks().isEmpty)
        #expect(try fixture.store.conflicts().first?.winner == .server)
    }
}
