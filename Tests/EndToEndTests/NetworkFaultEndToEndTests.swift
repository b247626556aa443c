import Foundation
import Testing
import BriefingTestSupport

/// The network-level faults of the mock server (`hang`, `slow`, `reset`, `latency`, `apply-then-drop`)
/// seen from the real `briefing` binary, over libcurl and URLSession.
@Suite(.serialized)
struct NetworkFaultEndToEndTests {
    static let transports = ["curl", "urlsession"]

    @Test(arguments: transports)
    func aHungRequestTimesOutIsRetriedAndTheSyncCompletes(_ transport: String) throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("phone", server: server, environment: ["BRIEFING_TRANSPORT": transport])
        try server.admin("faults", ["kind": "hang", "count": 1, "path": "/v1/changes"])
        let trace = device.store.directory.path("trace.jsonl")
        let result = try device.store.briefing("sync", "--timeout", "1", "--retry-budget", "20", "--trace", trace)
        #expect(result.status == 0, "\(result.err)")
        let attempts = try traceLines(trace)
        let hung = try #require(attempts.first, "no attempt traced")
        #expect(hung["status"] is NSNull && hung["decision"] as? String == "retry")
        let error = (hung["error"] as? String ?? "").lowercased()
        #expect(error.contains("timed out") || error.contains("timedout"), "\(hung)")
        #expect(try device.store.object("status")["articles"] as? Int == (try server.liveIDs().count))
    }

    @Test func aRequestHungOnEveryAttemptExits69WithinTheRetryBudget() throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("phone", server: server)
        try server.admin("faults", ["kind": "hang", "count": 100])
        let started = Date()
        let result = try device.store.briefing("sync", "--timeout", "1", "--retry-budget", "3")
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status == 69)
        #expect(result.err.hasPrefix("briefing: error: ") && result.err.contains("timed out"), "\(result.err)")
        // The budget bounds the waits; the last attempt may start just inside it and run its full timeout.
        #expect(elapsed >= 2 && elapsed < 3 + 1 + 4, "took \(elapsed) s")
    }

    @Test func aSlowServerGivesASlowButCompleteTransfer() throws {
        let seeds = try TemporaryDirectory()
        try writeGeneratedFeed(count: 400, prefix: "slow", to: seeds.url.path)
        let server = try MockServerProcess(arguments: ["--seeds", seeds.url.path])
        let device = try Device("phone", server: server)
        // The page as libcurl receives it (gzip), so the rate can be set for about two seconds of transfer.
        let size = try run("/usr/bin/curl", ["-s", "-o", "/dev/null", "--compressed", "-w", "%{size_download}",
                                             server.url("/v1/changes?limit=1000").absoluteString]).out
        let bytes = try #require(Int(size))
        try server.admin("faults", ["kind": "slow", "bytes_per_second": max(1, bytes / 2), "path": "/v1/changes"])
        let started = Date()
        let report = try device.syncReport("--timeout", "30")
        let elapsed = Date().timeIntervalSince(started)
        #expect(report["pulled"] as? Int == 400)
        #expect(elapsed >= 1.5, "\(bytes) bytes took \(elapsed) s")
        #expect(try device.store.list("--all").count == 400)
    }

    @Test(arguments: transports)
    func aConnectionResetMidBodyIsRetriedAndTheSyncSucceeds(_ transport: String) throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("phone", server: server, environment: ["BRIEFING_TRANSPORT": transport])
        try server.admin("faults", ["kind": "reset", "count": 1, "path": "/v1/changes"])
        let trace = device.store.directory.path("trace.jsonl")
        let result = try device.store.briefing("sync", "--timeout", "5", "--retry-budget", "20", "--trace", trace)
        #expect(result.status == 0, "\(result.err)")
        let first = try #require(try traceLines(trace).first)
        #expect(first["status"] is NSNull && first["decision"] as? String == "retry", "\(first)")
        #expect(try device.store.object("status")["articles"] as? Int == (try server.liveIDs().count))
    }

    @Test func latencyWithJitterSlowsTheSyncButItSucceeds() throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("phone", server: server)
        try server.admin("faults", ["kind": "latency", "delay_ms": 600, "jitter_ms": 200, "count": 3])
        let started = Date()
        let result = try device.store.briefing("sync", "--timeout", "5")
        #expect(result.status == 0, "\(result.err)")
        #expect(Date().timeIntervalSince(started) >= 0.4)
        #expect(try device.store.object("status")["articles"] as? Int == (try server.liveIDs().count))
    }

    @Test(arguments: transports)
    func aPushAppliedThenDroppedIsRetriedWithTheSameKeyAndCountedOnce(_ transport: String) throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("phone", server: server, environment: ["BRIEFING_TRANSPORT": transport])
        _ = try device.syncReport()
        let id = try server.liveIDs()[0]
        try device.mark("read", id)
        try server.admin("faults", ["kind": "apply-then-drop"])
        let trace = device.store.directory.path("trace.jsonl")
        let result = try device.store.briefing("sync", "--timeout", "5", "--retry-budget", "20", "--trace", trace)
        #expect(result.status == 0, "\(result.err)")
        let pushes = try traceLines(trace).filter { $0["method"] as? String == "POST" }
        #expect(pushes.count == 2, "\(pushes)")
        #expect(pushes.first?["status"] is NSNull && pushes.last?["status"] as? Int == 200)
        let state = try server.state()
        // Applied by the first delivery; the retry got the stored answer (same Idempotency-Key), so nothing
        // was judged again, not even as a duplicate.
        #expect(state["mutations_applied"] as? Int == 1)
        #expect(state["mutations_duplicate"] as? Int == 0)
        #expect(try server.value(id, "read") == true)
        #expect(try device.store.object("status")["pending"] as? Int == 0)
    }
}

/// The JSON lines of a `--trace` file.
func traceLines(_ path: String) throws -> [[String: Any]] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    return try text.split(separator: "\n").map { line in
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }
}
