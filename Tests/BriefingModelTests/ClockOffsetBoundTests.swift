import Testing
import BriefingModel

private let day: Int64 = 86_400_000
private let now = Timestamp(milliseconds: 1_795_000_000_000)
private func plus(_ ms: Int64) -> Timestamp { Timestamp(milliseconds: now.milliseconds + ms) }

/// ε, the maximum clock offset: how the server judges a mark's time and how a client bounds its clocks.
struct ClockOffsetBoundTests {
    let bound = ClockOffsetBound.default

    @Test func theDefaultBoundIsAMinuteAndOnlyOffsetsBeyondItCount() {
        #expect(bound.milliseconds == 60_000)
        #expect(!bound.isExceeded(by: 60_000) && !bound.isExceeded(by: -60_000))
        #expect(bound.isExceeded(by: 60_001) && bound.isExceeded(by: -60_001))
    }

    @Test func aMarkFromAClockADayFastIsRebasedByTheClientsOffset() {
        let judged = bound.judgedTime(of: plus(day - 5_000), clientTime: plus(day), serverNow: now)
        #expect(judged.time == plus(-5_000))
        #expect(judged.adjustment == -day)
    }

    @Test func aMarkFromAClockADaySlowIsRebasedForward() {
        let judged = bound.judgedTime(of: plus(-day - 5_000), clientTime: plus(-day), serverNow: now)
        #expect(judged.time == plus(-5_000) && judged.adjustment == day)
    }

    @Test func aClientWithinTheBoundIsTakenAtItsWord() {
        let judged = bound.judgedTime(of: plus(30_000), clientTime: plus(30_000), serverNow: now)
        #expect(judged.time == plus(30_000) && judged.adjustment == 0)
    }

    @Test func withoutAClockReadingAFutureTimeIsClampedToTheServersTime() {
        #expect(bound.judgedTime(of: plus(day), clientTime: nil, serverNow: now) == (now, -day))
        #expect(bound.judgedTime(of: plus(60_000), clientTime: nil, serverNow: now) == (plus(60_000), 0))
        #expect(bound.judgedTime(of: plus(-day), clientTime: nil, serverNow: now) == (plus(-day), 0),
                "a time in the past is never moved without a clock reading")
    }

    @Test func aRebasedTimeStillInTheFutureIsClamped() {
        // The device's clock was a day fast when it marked and is two days fast now: rebasing by today's
        // offset is not enough, so the clamp catches it.
        let judged = bound.judgedTime(of: plus(3 * day), clientTime: plus(2 * day), serverNow: now)
        #expect(judged.time == now && judged.adjustment == -3 * day)
    }

    @Test func aHugeBoundTakesEveryClockAtItsWord() {
        let trusting = ClockOffsetBound(milliseconds: 10 * day)
        #expect(trusting.judgedTime(of: plus(day), clientTime: plus(day), serverNow: now) == (plus(day), 0))
    }

    @Test func theMarkClockIsCorrectedOnlyBeyondTheBound() {
        #expect(bound.corrected(plus(day), offset: day) == now)
        #expect(bound.corrected(plus(-day), offset: -day) == now)
        #expect(bound.corrected(plus(30_000), offset: 30_000) == plus(30_000))
        #expect(bound.corrected(plus(day), offset: nil) == plus(day))
    }

    @Test func theHybridClockAdoptsNoTimeBeyondTheServersTimePlusTheBound() {
        var clock = HybridClock(latest: now)
        clock.observe(plus(day), serverTime: now, bound: bound)
        #expect(clock.latest == plus(60_000))
        #expect(clock.tick(wallClock: plus(1_000)) == plus(60_001))
        clock.observe(plus(90_000), serverTime: plus(40_000), bound: bound)
        #expect(clock.latest == plus(90_000), "still takes what lies within the bound")
    }

    @Test func theHybridClockStillFollowsATimeWithinTheBound() {
        var clock = HybridClock(latest: now)
        clock.observe(plus(2_000), serverTime: now, bound: bound)
        #expect(clock.tick(wallClock: now) == plus(2_001))
    }

    @Test func theWarningSaysHowFarAndWhichWay() {
        #expect(bound.warning(offset: day) == "this device's clock is 1 d 0 h ahead of the server's; marks are stamped with the server's time")
        #expect(bound.warning(offset: -(2 * 3_600_000 + 5 * 60_000)) == "this device's clock is 2 h 5 min behind the server's; marks are stamped with the server's time")
        #expect(bound.warning(offset: 90_000) == "this device's clock is 1 min 30 s ahead of the server's; marks are stamped with the server's time")
        #expect(bound.warning(offset: 59_000) == nil)
    }
}
