import Foundation
import Testing
import BriefingTestSupport

private let day: Int64 = 86_400_000
private let fastClock = ["BRIEFING_CLOCK_SKEW_MS": String(day)]
private let warning = "briefing: warning: this device's clock is 1 d 0 h ahead of the server's; marks are stamped with the server's time"

/// A device whose clock runs a day fast, against one whose clock is right, through the real binaries. The
/// bound (ε, `--max-clock-offset`, default 60 s) makes the later mark in real time win; with ε of ten days
/// the old wrong outcome comes back, which shows these tests can fail.
@Suite(.serialized)
struct ClockOffsetEndToEndTests {
    @Test(arguments: [(nil, false), ("864000", true)] as [(String?, Bool)])
    func aCorrectDevicesLaterUnreadBeatsAFastDevicesEarlierRead(maxClockOffset: String?, serverKeepsRead: Bool) throws {
        let server = try MockServerProcess.seeded(maxClockOffset.map { ["--max-clock-offset", $0] } ?? [])
        let fast = try Device("fast", server: server, environment: fastClock)
        let ok = try Device("ok", server: server)
        _ = try fast.syncReport()
        _ = try ok.syncReport()
        let id = try server.liveIDs()[0]
        try ok.mark("read", id)  // offline: so that ok can mark it unread later

        try fast.mark("read", id)
        #expect(try fast.sync().status == 0)
        Thread.sleep(forTimeInterval: 1)
        try ok.mark("unread", id)
        let report = try ok.syncReport()

        #expect(try server.value(id, "read") == serverKeepsRead)
        #expect(try ok.article(id)?["read"] as? Bool == serverKeepsRead)
        #expect(report["conflicts"] as? Int == (serverKeepsRead ? 1 : 0))
    }

    @Test(arguments: [(nil, false), ("864000", true)] as [(String?, Bool)])
    func aClockThatJumpsADayAheadOfflineIsRebasedAndTheLaterRealMarkWins(maxClockOffset: String?, serverKeepsRead: Bool) throws {
        let server = try MockServerProcess.seeded(maxClockOffset.map { ["--max-clock-offset", $0] } ?? [])
        let fast = try Device("fast", server: server)
        let ok = try Device("ok", server: server)
        _ = try fast.syncReport()
        _ = try ok.syncReport()
        let id = try server.liveIDs()[0]

        // Offline, both mark — fast first in real time, its clock now a day ahead and not yet measured.
        try ok.mark("read", id)  // so that ok can mark it unread later
        fast.store.environment.merge(fastClock) { _, new in new }
        try fast.mark("read", id)
        Thread.sleep(forTimeInterval: 1)
        try ok.mark("unread", id)
        let fastSync = try fast.sync()
        #expect(fastSync.status == 0)
        _ = try ok.syncReport()

        #expect(try server.value(id, "read") == serverKeepsRead)
        #expect(try server.state()["mutations_clock_adjusted"] as? Int == (serverKeepsRead ? 0 : 1))
        _ = try fast.syncReport()
        #expect(try fast.article(id)?["read"] as? Bool == serverKeepsRead)

        // Measured now: fast's next mark is stamped with the server's time, not a day ahead (its hybrid
        // clock, which issued the day-ahead stamp, is held to server time + ε too).
        try fast.mark("star", id)
        let ahead = try stampedAhead(fast, id, "starred")
        #expect(serverKeepsRead ? ahead > 86_000 : ahead < 62, "stamped \(ahead) s ahead")
    }

    @Test(arguments: [(nil, false), ("864000", true)] as [(String?, Bool)])
    func aCorrectDeviceThatPullsADayAheadTimeDoesNotStartStampingADayAhead(maxClockOffset: String?, adoptsIt: Bool) throws {
        // A state a day ahead is on the server from before it bounded clocks (a run with ε of ten days);
        // then the server runs on the same data with `maxClockOffset`.
        let data = try TemporaryDirectory()
        let dataArguments = ["--data", data.path("server.sqlite")]
        let lenient = try MockServerProcess.seeded(dataArguments + ["--max-clock-offset", "864000"])
        let fast = try Device("fast", server: lenient, environment: fastClock)
        _ = try fast.syncReport()
        let id = try lenient.liveIDs()[0]
        try fast.mark("read", id)
        _ = try fast.syncReport()
        lenient.stop()

        let server = try MockServerProcess.seeded(dataArguments + (maxClockOffset.map { ["--max-clock-offset", $0] } ?? []))
        let ok = try Device("ok", server: server)
        _ = try ok.syncReport()
        #expect(try ok.article(id)?["read"] as? Bool == true)
        try ok.mark("unread", id)
        let ahead = try stampedAhead(ok, id, "read")
        if adoptsIt {
            #expect(ahead > 86_000, "stamped \(ahead) s ahead")
        } else {
            #expect(ahead < 62, "stamped \(ahead) s ahead")
        }
    }

    @Test func theDeviceWithTheFastClockIsWarnedBySyncAndStatus() throws {
        let server = try MockServerProcess.seeded()
        let fast = try Device("fast", server: server, environment: fastClock)
        let ok = try Device("ok", server: server)

        let synced = try fast.sync()
        #expect(synced.status == 0)
        #expect(synced.err.split(separator: "\n").map(String.init) == [warning], "\(synced.err)")
        let status = try fast.store.briefing("status")
        #expect(status.out.contains("clock     this device's clock is 1 d 0 h ahead of the server's; marks are stamped with the server's time"),
                "\(status.out)")
        let offset = try #require(try fast.store.object("status")["clock_offset_ms"] as? Int)
        #expect(abs(offset - Int(day)) < 5_000)

        let okSync = try ok.sync()
        #expect(okSync.status == 0 && okSync.err.isEmpty, "\(okSync.err)")
        let okOffset = try #require(try ok.store.object("status")["clock_offset_ms"] as? Int)
        #expect(abs(okOffset) < 5_000)
        #expect(try ok.store.briefing("status").out.contains("clock     within 60 s of the server's"))
    }
}

/// How many seconds ahead of the real time the device stamped its state of `field` (from `export`).
private func stampedAhead(_ device: Device, _ id: String, _ field: String) throws -> TimeInterval {
    let exported = try #require(try device.store.object("export")["articles"] as? [[String: Any]])
    let state = try #require(exported.first { $0["id"] as? String == id }?[field] as? [String: Any])
    let stamped = try #require((state["changed_at"] as? String).flatMap(parseRFC3339))
    return stamped.timeIntervalSinceNow
}

private func parseRFC3339(_ text: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: text)
}
