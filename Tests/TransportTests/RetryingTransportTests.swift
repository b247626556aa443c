import BriefingCurl
import BriefingSync
import Foundation
import Testing

/// Answers with a fixed script of outcomes (repeating the last one) and counts the calls.
///
/// `@unchecked Sendable`: its mutable fields are only touched under `lock`.
final class ScriptedTransport: Transport, @unchecked Sendable {
    private let lock = NSLock()
    private var script: [Result<TransportResponse, TransportError>]
    private var _calls = 0
    var calls: Int { lock.withLock { _calls } }

    init(_ script: [Result<TransportResponse, TransportError>]) {
        self.script = script
    }

    func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        let outcome = lock.withLock {
            _calls += 1
            return script.count > 1 ? script.removeFirst() : script[0]
        }
        return try outcome.get()
    }
}

/// A clock that only moves when the code under test sleeps, so waits can be read off exactly.
///
/// `@unchecked Sendable`: its mutable fields are only touched under `lock`.
final class FakeClock: @unchecked Sendable {
    private let lock = NSLock()
    private var _now: Date
    private var _waits: [TimeInterval] = []
    var now: Date { lock.withLock { _now } }
    var waits: [TimeInterval] { lock.withLock { _waits } }

    init(now: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        _now = now
    }

    func sleep(_ seconds: TimeInterval) {
        lock.withLock {
            _waits.append(seconds)
            _now += seconds
        }
    }
}

private func status(_ code: Int, _ headers: [String: String] = [:]) -> Result<TransportResponse, TransportError> {
    .success(TransportResponse(status: code, headers: headers))
}

private let anyRequest = TransportRequest(url: URL(string: "https://briefing.example/pull")!)

struct RetryingTransportTests {
    let clock = FakeClock()

    private func retrying(_ base: Transport, policy: RetryPolicy = RetryPolicy(), random: Double = 0.5) -> RetryingTransport {
        RetryingTransport(base, policy: policy, now: { [clock] in clock.now }, sleep: { [clock] in clock.sleep($0) },
                          random: { random })
    }

    @Test func retryAfterSecondsFromARealServerAreWaitedOutBeforeSuccess() async throws {
        let server = try FaultServer()
        let transport = RetryingTransport(CurlTransport())
        let started = Date()
        let response = try await transport.send(TransportRequest(url: server.url("/retry-after?key=real&count=2&seconds=1")))
        #expect(response.status == 200)
        #expect(response.body == Data("ok after 3\n".utf8))
        #expect(Date().timeIntervalSince(started) >= 2)
    }

    @Test func httpDateRetryAfterFromARealServerIsHonoured() async throws {
        let server = try FaultServer()
        let clock = FakeClock()
        // Real time, so the server's date means something, plus every wait that was skipped.
        let now: @Sendable () -> Date = { Date().addingTimeInterval(clock.waits.reduce(0, +)) }
        let transport = RetryingTransport(CurlTransport(), now: now, sleep: { clock.sleep($0) })
        let response = try await transport.send(TransportRequest(url: server.url("/retry-date?key=date&count=1&seconds=3")))
        #expect(response.status == 200)
        // The date has whole seconds, so "3 s from now" lands between 2 and 3 s ahead of the server's
        // clock, minus however long the answer took to arrive (on a loaded machine, possibly all of it).
        try #require(clock.waits.count == 1)
        #expect((0.0...3.0).contains(clock.waits[0]))
    }

    @Test func httpDateRetryAfterIsWaitedToTheSecond() async throws {
        let clock = FakeClock(now: Date(timeIntervalSince1970: 1_795_163_200))  // Fri, 20 Nov 2026 08:26:40 GMT
        let base = ScriptedTransport([status(429, ["retry-after": "Fri, 20 Nov 2026 08:26:52 GMT"]), status(200)])
        let transport = RetryingTransport(base, now: { clock.now }, sleep: { clock.sleep($0) }, random: { 0.5 })
        #expect(try await transport.send(anyRequest).status == 200)
        #expect(clock.waits == [12])
    }

    @Test(arguments: [0.0, 0.25, 0.999])
    func backoffDoublesFromHalfASecondUpToTheCapScaledByJitter(random: Double) async throws {
        let base = ScriptedTransport(Array(repeating: status(502), count: 7) + [status(200)])
        #expect(try await retrying(base, random: random).send(anyRequest).status == 200)
        let ceilings: [TimeInterval] = [0.5, 1, 2, 4, 8, 8, 8]
        #expect(clock.waits == ceilings.map { $0 * random })
        #expect(base.calls == 8)
    }

    @Test func givesUpBeforeTheBudgetAndReturnsTheLastResponse() async throws {
        let policy = RetryPolicy(maxAttempts: 100, baseDelay: 4, maxDelay: 4, budget: 10)
        let base = ScriptedTransport([status(503)])
        let response = try await retrying(base, policy: policy, random: 1).send(anyRequest)
        #expect(response.status == 503)
        #expect(clock.waits == [4, 4])  // a third wait would end at 12 s, past the 10 s budget
        #expect(base.calls == 3)
    }

    @Test func retryAfterLongerThanTheBudgetEndsAtOnce() async throws {
        let base = ScriptedTransport([status(503, ["retry-after": "120"]), status(200)])
        let response = try await retrying(base).send(anyRequest)
        #expect(response.status == 503)
        #expect(clock.waits.isEmpty)
    }

    @Test func retryAfterIsNotTakenFromOtherStatuses() async throws {
        let base = ScriptedTransport([status(500, ["retry-after": "30"]), status(200)])
        #expect(try await retrying(base).send(anyRequest).status == 200)
        #expect(clock.waits == [0.25])
    }

    @Test func transientErrorsAreRetriedUntilAttemptsRunOutThenThrown() async throws {
        let base = ScriptedTransport([.failure(.timedOut("slow"))])
        await #expect(throws: TransportError.timedOut("slow")) {
            try await retrying(base, policy: RetryPolicy(maxAttempts: 3)).send(anyRequest)
        }
        #expect(base.calls == 3)
        #expect(clock.waits.count == 2)
    }

    @Test func interruptedThenSuccessReturnsTheSuccess() async throws {
        let base = ScriptedTransport([.failure(.interrupted("reset")), .failure(.unreachable("down")), status(200)])
        #expect(try await retrying(base).send(anyRequest).status == 200)
        #expect(base.calls == 3)
    }

    @Test(arguments: [TransportError.tls("certificate"), .refused("redirects"), .responseTooLarge(limit: 10)])
    func permanentErrorsAreThrownWithoutRetrying(error: TransportError) async throws {
        let base = ScriptedTransport([.failure(error), status(200)])
        await #expect(throws: error) { try await retrying(base).send(anyRequest) }
        #expect(base.calls == 1)
        #expect(clock.waits.isEmpty)
    }

    @Test(arguments: [200, 304, 401, 404, 410, 422])
    func otherStatusesAreReturnedAtOnce(code: Int) async throws {
        let base = ScriptedTransport([status(code), status(200)])
        #expect(try await retrying(base).send(anyRequest).status == code)
        #expect(base.calls == 1)
    }

    @Test func cancellingTheTaskEndsAWaitAtOnceWithCancelled() async throws {
        let base = ScriptedTransport([status(503, ["retry-after": "30"])])
        let transport = RetryingTransport(base)
        let started = Date()
        let task = Task { try await transport.send(anyRequest) }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        await #expect(throws: TransportError.cancelled) { try await task.value }
        #expect(Date().timeIntervalSince(started) < 20)  // the server asked for 30 s
        #expect(base.calls == 1)
    }

    @Test(arguments: [
        ("5", 5.0), (" 7 ", 7), ("0", 0),
        ("Fri, 20 Nov 2026 08:27:40 GMT", 60), ("Thu, 01 Jan 2026 00:00:00 GMT", 0),
    ] as [(String, TimeInterval)])
    func retryAfterValuesAreRead(value: String, seconds: TimeInterval) {
        #expect(RetryAfter.delay(value, now: Date(timeIntervalSince1970: 1_795_163_200)) == seconds)
    }

    @Test(arguments: ["", "soon", "-3", "1.5", "Fri, 20 Nov 2026 08:27:40 UTC", "Friday, 20-Nov-26 08:27:40 GMT",
                      "Fri, 31 Nov 2026 08:27:40 GMT", "Fri, 20 Nov 2026 24:00:00 GMT"])
    func unreadableRetryAfterValuesAreIgnored(value: String) {
        #expect(RetryAfter.delay(value, now: Date()) == nil)
    }
}
