import Foundation
import Testing
import BriefingTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `sync --watch` through the real binary: stopped by a signal mid-sync, and backing off while offline.
@Suite(.serialized)
struct WatchTests {
    @Test func sigtermMidSyncExitsZeroWithTheStoreSoundAndPendingMarksPushed() throws {
        let seeds = try TemporaryDirectory()
        try writeGeneratedFeed(count: 1500, prefix: "watch", to: seeds.url.path)
        let server = try MockServerProcess(arguments: ["--seeds", seeds.url.path])
        let device = try Device("watcher", server: server)
        _ = try device.syncReport()
        // The next sync pulls all 1,500 articles again, 10 per page, each page answered 150 ms late.
        try server.admin("expire-tokens", [:])
        try server.admin("faults", ["kind": "delay", "delay_ms": 150, "count": 10_000, "path": "/v1/changes"])

        let watch = try BackgroundBriefing(device.store, ["sync", "--watch", "--interval", "3600", "--page-size", "10"])
        Thread.sleep(forTimeInterval: 2)
        let marked = ["watch-00007", "watch-00700", "watch-01400"]
        try device.mark("read", marked[0], marked[1], marked[2])   // another process, while the pull runs
        #expect(watch.process.isRunning, "the sync must still be pulling: \(watch.stderrText)")
        kill(watch.process.processIdentifier, SIGTERM)
        let status = watch.wait(timeout: 30)
        #expect(status == 0, "\(watch.stderrText)")
        #expect(watch.stderrText.contains("briefing: note: stopping: pushed 3 pending marks"), "\(watch.stderrText)")

        #expect(try device.store.integrityCheck() == "ok")
        #expect(try device.store.pendingMarks().isEmpty)
        for id in marked {
            #expect(try server.value(id, "read") == true, "\(id)")
        }
        try server.admin("faults", ["clear": true])
        let resumed = try device.syncReport()
        #expect((resumed["pulled"] as? Int ?? 0) < 1500, "the resync resumes after the pages that landed")
        #expect(try device.store.object("status")["articles"] as? Int == 1500)
    }

    @Test func whileTheServerIsDownWatchBacksOffExponentiallyAndSigintStopsIt() throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("watcher", server: server)
        _ = try device.syncReport()
        let id = try #require(try server.liveIDs().first)
        server.stop()
        try device.mark("star", id)
        device.store.environment["BRIEFING_RETRY_BUDGET"] = "0"
        let watch = try BackgroundBriefing(device.store, ["sync", "--watch", "--interval", "1"])
        Thread.sleep(forTimeInterval: 4.5)
        kill(watch.process.processIdentifier, SIGINT)
        #expect(watch.wait(timeout: 20) == 0, "\(watch.stderrText)")
        let warnings = watch.stderrText.split(separator: "\n").filter { $0.hasPrefix("briefing: warning: sync failed: ") }
        #expect(warnings.count >= 2, "\(watch.stderrText)")
        #expect(warnings.first?.hasSuffix("next try in 1 s") == true, "\(watch.stderrText)")
        #expect(warnings.dropFirst().first?.hasSuffix("next try in 2 s") == true, "\(watch.stderrText)")
        #expect(watch.stderrText.contains("briefing: note: stopping: pending marks stay for the next sync"))
        #expect(try device.store.pendingMarks().count == 1)
    }
}
