import BriefingModel
import BriefingProtocol
import BriefingTestSupport
import Foundation
import Testing

/// The network-level faults (`hang`, `slow`, `reset`, `latency`, `apply-then-drop`) as they look on the wire,
/// against the real `briefing-mock-server` process.
@Suite struct NetworkFaultTests {
    @Test func hangNeverAnswersAndLetsGoAfterHoldMs() throws {
        let server = try seededServer()
        try server.admin("faults", ["kind": "hang"])
        #expect(throws: RawHTTPError.self) { try RawHTTP.get(port: server.port, "/v1/changes", timeout: 0.5) }

        try server.admin("faults", ["kind": "hang", "hold_ms": 400])
        let started = Date()
        let held = try RawHTTP.get(port: server.port, "/v1/changes", timeout: 10)
        let elapsed = Date().timeIntervalSince(started)
        #expect(held.bytes.isEmpty)
        #expect(elapsed >= 0.4 && elapsed < 5, "held \(elapsed) s")
        #expect(try HTTP.get(server.url("/v1/changes")).status == 200)
    }

    @Test func slowSendsTheWholeAnswerAtTheGivenRate() throws {
        let server = try seededServer(items: 40)
        let whole = try RawHTTP.get(port: server.port, "/v1/changes")
        let rate = 8_000
        try server.admin("faults", ["kind": "slow", "bytes_per_second": rate])
        let started = Date()
        let paced = try RawHTTP.get(port: server.port, "/v1/changes")
        let elapsed = Date().timeIntervalSince(started)
        #expect(paced.status == 200 && !paced.wasReset)
        #expect(paced.body.count == whole.body.count)
        #expect(paced.header("Content-Length") == String(paced.body.count))
        let feed = try WireCoding.decoder().decode(FeedDocument.self, from: paced.body)
        #expect(feed.items.count == 40)
        let expected = Double(paced.bytes.count) / Double(rate)
        #expect(elapsed >= expected * 0.8, "\(paced.bytes.count) bytes in \(elapsed) s at \(rate) B/s")
    }

    @Test func resetSendsHeadersAndAfterBytesThenATCPReset() throws {
        let server = try seededServer(items: 10)
        try server.admin("faults", ["kind": "reset", "after_bytes": 100])
        let cut = try RawHTTP.get(port: server.port, "/v1/changes", headers: ["Accept-Encoding": "gzip"])
        #expect(cut.status == 200 && cut.header("Content-Encoding") == nil)
        #expect(cut.body.count == 100)
        #expect((cut.header("Content-Length").flatMap { Int($0) } ?? 0) > 100)
        #expect(cut.wasReset)

        try server.admin("faults", ["kind": "reset"])
        let half = try RawHTTP.get(port: server.port, "/v1/changes")
        let announced = try #require(half.header("Content-Length").flatMap { Int($0) })
        #expect(half.body.count == announced / 2 && half.wasReset)

        try server.admin("faults", ["kind": "truncate"])
        #expect(try RawHTTP.get(port: server.port, "/v1/changes").wasReset == false)
    }

    @Test func latencyWaitsDelayPlusOrMinusJitterThenAnswers() throws {
        let server = try seededServer()
        try server.admin("faults", ["kind": "latency", "delay_ms": 300, "jitter_ms": 100, "count": 4])
        for _ in 0..<4 {
            let started = Date()
            let answer = try HTTP.get(server.url("/v1/changes"))
            let elapsed = Date().timeIntervalSince(started)
            #expect(answer.status == 200)
            #expect(elapsed >= 0.2 && elapsed < 3, "\(elapsed) s")
        }
        let started = Date()
        _ = try HTTP.get(server.url("/v1/changes"))
        #expect(Date().timeIntervalSince(started) < 0.2)
    }

    @Test func applyThenDropCommitsThePushAndItsRetryGetsTheStoredAnswer() throws {
        let server = try seededServer()
        try server.admin("faults", ["kind": "apply-then-drop"])
        #expect(try HTTP.get(server.url("/v1/changes")).status == 200, "a pull is not a push: not hit")
        let body = try WireCoding.encoder().encode(PushRequest(mutations: [mark("m-1", "article-0001", time: at(1))]))
        let headers = ["Idempotency-Key": "drop-1", "Content-Type": "application/json"]
        let dropped = try RawHTTP.send("POST", port: server.port, "/v1/mutations", headers: headers, body: body)
        #expect(dropped.bytes.isEmpty)
        #expect(try counters(server)["mutations_applied"] == 1)

        let retried = try HTTP.send("POST", server.url("/v1/mutations"), body: body, headers: headers)
        #expect(retried.status == 200)
        let results = try WireCoding.decoder().decode(PushResponse.self, from: retried.body).results
        #expect(results.map(\.status) == [.applied])
        #expect(try counters(server) == ["mutations_applied": 1, "mutations_duplicate": 0, "mutations_conflict": 0])
    }

    @Test func newFaultFieldsAreValidated() throws {
        let server = try seededServer()
        for bad in [["kind": "slow", "bytes_per_second": 0], ["kind": "hang", "hold_ms": -1],
                    ["kind": "reset", "after_bytes": -5], ["kind": "latency", "jitter_ms": -1]] as [[String: Any]] {
            #expect(throws: TestError.self) { try server.admin("faults", bad) }
        }
        #expect(throws: TestError.self) { try server.admin("faults", ["kind": "teleport"]) }
    }
}

private func seededServer(items: Int = 3) throws -> MockServerProcess {
    let folder = try TemporaryDirectory()
    try writeFeed(sampleItems(items), to: folder.url.appendingPathComponent("seed.json"))
    let server = try MockServerProcess(arguments: ["--seeds", folder.url.path])
    return server
}

private func counters(_ server: MockServerProcess) throws -> [String: Int] {
    let state = try #require(try server.admin("state") as? [String: Any])
    return ["mutations_applied", "mutations_duplicate", "mutations_conflict"].reduce(into: [:]) { $0[$1] = state[$1] as? Int }
}
