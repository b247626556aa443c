import Foundation
import Testing
import BriefingTestSupport

/// Sync through the real `briefing` binary against the real `briefing-mock-server` process.
@Suite(.serialized)
struct SyncEndToEndTests {
    @Test func firstSyncPullsEverySeedAndStatusMatchesTheServer() throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("phone", server: server)
        let report = try device.syncReport()
        let live = try server.liveIDs()
        #expect(report["pulled"] as? Int == live.count)
        let status = try device.store.object("status")
        #expect(status["articles"] as? Int == live.count)
        #expect(status["unread"] as? Int == live.count)
        #expect(status["pending"] as? Int == 0)
        #expect(Set(try device.store.list("--all").compactMap { $0["id"] as? String }) == Set(live))
        let again = try device.syncReport()
        #expect(again["pulled"] as? Int == 0)
    }

    @Test func anOfflineMarkWaitsAndReachesTheServerOnceItIsBack() throws {
        let data = try TemporaryDirectory()
        var server = try MockServerProcess.seeded(["--data", data.path("server.sqlite")])
        let port = server.port
        let device = try Device("train", server: server)
        _ = try device.syncReport()
        let id = try #require(try server.liveIDs().first)
        server.stop()
        try device.mark("read", id)
        let offline = try device.sync()
        #expect(offline.status == 69)
        #expect(offline.err.hasPrefix("briefing: error: "))
        #expect(try device.store.object("status")["pending"] as? Int == 1)
        server = try MockServerProcess.seeded(["--data", data.path("server.sqlite")], port: port)
        let report = try device.syncReport()
        #expect(report["pushed"] as? Int == 1)
        let state = try #require(try server.serverArticle(id)?["read"] as? [String: Any])
        #expect(state["value"] as? Bool == true)
        #expect(state["device"] as? String == "train")
        #expect(try device.store.object("status")["pending"] as? Int == 0)
    }

    @Test func anEditIsPulledAloneAndAStateChangeArrivesWithoutBodies() throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("phone", server: server)
        _ = try device.syncReport()
        let ids = try server.liveIDs()
        try server.admin("articles", ["id": ids[0], "title": "Edited title", "content_text": "Edited body."])
        let edited = try device.syncReport()
        #expect(edited["pulled"] as? Int == 1)
        #expect(try device.article(ids[0])?["title"] as? String == "Edited title")
        try server.admin("state", ["id": ids[1], "field": "read", "value": true,
                                   "changed_at": rfc3339(Date()), "device": "tablet"])
        let stateOnly = try device.syncReport()
        #expect(stateOnly["pulled"] as? Int == 0)
        #expect(stateOnly["states"] as? Int == 1)
        #expect(try device.article(ids[1])?["read"] as? Bool == true)
    }

    @Test func aServerDeleteRemovesTheArticleButKeepsAStarredOneArchived() throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("phone", server: server)
        _ = try device.syncReport()
        let ids = try server.liveIDs()
        try device.mark("star", ids[1])
        _ = try device.syncReport()
        try server.admin("delete", ["ids": [ids[0], ids[1]]])
        let report = try device.syncReport()
        #expect(report["deleted"] as? Int == 1)
        #expect(try device.article(ids[0]) == nil)
        #expect(try device.article(ids[1])?["archived"] as? Bool == true)
        let log = try #require(try device.store.json("conflicts") as? [[String: Any]])
        #expect(log.contains { $0["article_id"] as? String == ids[1] })
    }

    @Test func expiredTokensTriggerAFullResyncAndPendingMarksReachTheServerOnce() throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("phone", server: server)
        _ = try device.syncReport()
        let ids = try server.liveIDs()
        try device.mark("read", ids[0], ids[1])
        try server.admin("expire-tokens", [:])
        try server.admin("delete", ["ids": [ids[2]]])
        let report = try device.syncReport()
        #expect(report["full_resync"] as? Bool == true)
        #expect(try device.article(ids[2]) == nil)
        #expect(try server.value(ids[0], "read") == true)
        #expect(try server.value(ids[1], "read") == true)
        #expect(try server.state()["mutations_applied"] as? Int == 2)
        _ = try device.syncReport()
        #expect(try server.state()["mutations_applied"] as? Int == 2)
    }

    @Test func aLaterReadOnAnotherDeviceBeatsAnEarlierLocalUnread() throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("phone", server: server)
        _ = try device.syncReport()
        let id = try server.liveIDs()[0]
        try device.mark("read", id)
        _ = try device.syncReport()
        try device.mark("unread", id)
        try server.admin("state", ["id": id, "field": "read", "value": true,
                                   "changed_at": rfc3339(Date().addingTimeInterval(3600)), "device": "tablet"])
        let report = try device.syncReport()
        #expect(report["conflicts"] as? Int == 1)
        #expect(try device.article(id)?["read"] as? Bool == true)
        #expect(try server.value(id, "read") == true)
        let log = try #require(try device.store.json("conflicts") as? [[String: Any]])
        #expect(log.first?["winner"] as? String == "server")
        #expect(log.first?["rule"] as? String == "last-writer-wins")
    }

    @Test func aLaterLocalUnreadBeatsAnEarlierReadOnAnotherDevice() throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("phone", server: server)
        _ = try device.syncReport()
        let id = try server.liveIDs()[0]
        try device.mark("read", id)
        _ = try device.syncReport()
        try server.admin("state", ["id": id, "field": "read", "value": true,
                                   "changed_at": rfc3339(Date().addingTimeInterval(-3600)), "device": "tablet"])
        try device.mark("unread", id)
        _ = try device.syncReport()
        #expect(try device.article(id)?["read"] as? Bool == false)
        #expect(try server.value(id, "read") == false)
    }

    @Test func readWinsOnOneDeviceKeepsItsReadWhateverTheTimes() throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("reader", server: server, extra: ["--policy", "read=read-wins"])
        _ = try device.syncReport()
        let id = try server.liveIDs()[0]
        try device.mark("read", id)
        try server.admin("state", ["id": id, "field": "read", "value": false,
                                   "changed_at": rfc3339(Date().addingTimeInterval(7200)), "device": "tablet"])
        _ = try device.syncReport()
        #expect(try device.article(id)?["read"] as? Bool == true)
        #expect(try server.value(id, "read") == true)
    }

    @Test func aDeviceTwoDaysSlowStillWinsWithAMarkMadeAfterItSynced() throws {
        let server = try MockServerProcess.seeded()
        let slow = try Device("slow", server: server, environment: ["BRIEFING_CLOCK_SKEW_MS": String(-2 * 86_400_000)])
        let id = try server.liveIDs()[0]
        try server.admin("state", ["id": id, "field": "read", "value": true,
                                   "changed_at": rfc3339(Date()), "device": "tablet"])
        _ = try slow.syncReport()
        #expect(try slow.article(id)?["read"] as? Bool == true)
        try slow.mark("unread", id)
        _ = try slow.syncReport()
        #expect(try server.value(id, "read") == false)
        #expect(try slow.article(id)?["read"] as? Bool == false)
    }

    @Test func twoDevicesMarkingOfflineConvergeInEitherOrder() throws {
        for order in [["a", "b"], ["b", "a"]] {
            let server = try MockServerProcess.seeded()
            let devices = ["a": try Device("device-a", server: server), "b": try Device("device-b", server: server)]
            for device in devices.values { _ = try device.syncReport() }
            let ids = try server.liveIDs()
            try devices["a"]!.mark("read", ids[0], ids[1])
            try devices["a"]!.mark("star", ids[2])
            try devices["b"]!.mark("read", ids[3])
            try devices["b"]!.mark("star", ids[4])
            for name in order + order { _ = try devices[name]!.syncReport() }
            let listA = try devices["a"]!.store.briefing("list", "--all", "--json")
            let listB = try devices["b"]!.store.briefing("list", "--all", "--json")
            #expect(listA.out == listB.out, "order \(order)")
            #expect(try server.value(ids[3], "read") == true)
        }
    }

    @Test func theBearerTokenIsRequiredAndNeverPrinted() throws {
        let secret = "s3cret-token-\(UUID().uuidString)"
        let server = try MockServerProcess.seeded(["--token", secret])
        let store = try CLIStore()
        var outputs: [String] = []
        let refused = try store.briefing("init", "--server", server.baseURL.absoluteString)
        #expect(refused.status == 77)
        outputs += [refused.out, refused.err]
        let tokenFile = store.directory.path("token")
        try Data((secret + "\n").utf8).write(to: URL(fileURLWithPath: tokenFile))
        let initialised = try store.briefing("init", "--server", server.baseURL.absoluteString, "--token-file", tokenFile)
        #expect(initialised.status == 0)
        outputs += [initialised.out, initialised.err]
        for arguments in [["sync"], ["sync", "--json"], ["status"], ["status", "--json"], ["list"], ["conflicts"]] {
            let result = try store.briefing(arguments)
            #expect(result.status == 0, "\(arguments): \(result.err)")
            outputs += [result.out, result.err]
        }
        try Data("wrong\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
        let wrong = try store.briefing("sync")
        #expect(wrong.status == 77)
        outputs += [wrong.out, wrong.err, server.stderrText]
        let database = try Data(contentsOf: URL(fileURLWithPath: store.db))
        #expect(!outputs.contains { $0.contains(secret) })
        #expect(database.range(of: Data(secret.utf8)) == nil)
    }

    @Test func aSecondConcurrentSyncExits75AtOnce() throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("phone", server: server)
        try server.admin("faults", ["kind": "delay", "delay_ms": 3000, "count": 1])
        let first = Process()
        first.executableURL = productsDirectory.appendingPathComponent("briefing")
        first.arguments = ["sync"]
        first.environment = ProcessInfo.processInfo.environment.merging(device.store.environment) { $1 }
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        Thread.sleep(forTimeInterval: 0.8)
        let started = Date()
        let second = try device.sync()
        #expect(second.status == 75)
        #expect(Date().timeIntervalSince(started) < 2.5)
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
    }

    @Test func syncBeforeInitExits78() throws {
        let store = try CLIStore()
        try store.importFeed(feed([item("a", title: "A")]))
        #expect(try store.briefing("sync").status == 78)
    }

    @Test func initRefusesPlainHTTPToOtherHostsAndSwitchingAPopulatedStore() throws {
        let store = try CLIStore()
        #expect(try store.briefing("init", "--server", "http://example.com/").status == 64)
        let one = try MockServerProcess.seeded()
        let two = try MockServerProcess.seeded()
        let device = try Device("phone", server: one)
        _ = try device.syncReport()
        #expect(try device.store.briefing("init", "--server", two.baseURL.absoluteString).status == 78)
        #expect(try device.store.briefing("init", "--server", two.baseURL.absoluteString, "--force").status == 0)
        #expect(try device.store.object("status")["articles"] as? Int == 0)
    }
}

/// Faults injected by the mock server, observed through the real client.
@Suite(.serialized)
struct FaultEndToEndTests {
    @Test func twoRetryAfter503sAreWaitedOutAndTheSyncSucceeds() throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("phone", server: server)
        try server.admin("faults", ["kind": "status", "status": 503, "retry_after": 1, "count": 2])
        let started = Date()
        let result = try device.sync()
        #expect(result.status == 0, "\(result.err)")
        #expect(Date().timeIntervalSince(started) >= 2)
        #expect(try device.store.object("status")["articles"] as? Int == (try server.liveIDs().count))
    }

    @Test(arguments: [
        ["kind": "delay", "delay_ms": 3000, "count": 1] as [String: any Sendable],
        ["kind": "drop", "count": 1],
    ])
    func aSlowOrDroppedRequestIsRetried(_ fault: [String: any Sendable]) throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("phone", server: server)
        try server.admin("faults", fault)
        let result = try device.store.briefing("sync", "--timeout", "1", "--retry-budget", "20")
        #expect(result.status == 0, "\(result.err)")
    }

    @Test(arguments: [
        ["kind": "delay", "delay_ms": 3000, "count": 100] as [String: any Sendable],
        ["kind": "drop", "count": 100],
        ["kind": "status", "status": 503, "count": 100],
    ])
    func aPersistentFaultEndsWithExit69(_ fault: [String: any Sendable]) throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("phone", server: server)
        try server.admin("faults", fault)
        let result = try device.store.briefing("sync", "--timeout", "1", "--retry-budget", "2")
        #expect(result.status == 69)
        #expect(result.err.hasPrefix("briefing: error: "))
    }

    @Test(arguments: ["malformed", "truncate"])
    func aBadPageExits65AndLeavesTheStoreAsItWas(_ kind: String) throws {
        let server = try MockServerProcess.seeded(["--page-size", "5"])
        let device = try Device("phone", server: server)
        _ = try device.syncReport()
        let id = try server.liveIDs()[0]
        try server.admin("articles", ["id": id, "title": "Changed", "content_text": "Changed."])
        let before = try device.dump()
        try server.admin("faults", ["kind": kind, "count": 100, "path": "/v1/changes"])
        let result = try device.store.briefing("sync", "--timeout", "2", "--retry-budget", "1")
        #expect(kind == "malformed" ? result.status == 65 : [65, 69].contains(result.status), "\(result.status) \(result.err)")
        #expect(try device.dump() == before)
        try server.admin("faults", ["clear": true])
        _ = try device.syncReport()
        #expect(try device.article(id)?["title"] as? String == "Changed")
    }
}
