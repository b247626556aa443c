import Foundation

/// A `Transport` that tries a request again while the failure looks temporary, within a `RetryPolicy`.
///
/// Wrap the real transport once and hand the wrapper to the sync engine:
/// ```swift
/// let transport = RetryingTransport(CurlTransport())
/// ```
/// Transient transport errors and the policy's statuses (408, 429, 5xx gateway errors) are retried, waiting
/// as `Retry-After` asks on 429/503 and with jittered exponential backoff otherwise. When the next wait would
/// end past the policy's budget, or the attempts run out, the last outcome is handed back as it is: the last
/// HTTP response for a status failure, so the caller can map it, or the last `TransportError`. Everything
/// else — TLS failures, refusals, oversized bodies, other statuses — comes back at once.
/// Every method is retried: the sync engine makes pushes safe to repeat with an `Idempotency-Key`.
public final class RetryingTransport: Transport {
    public let policy: RetryPolicy
    private let base: Transport
    private let now: () -> Date
    private let sleep: (TimeInterval) -> Void
    private let random: () -> Double

    /// `now`, `sleep` and `random` (0..<1) exist so tests can run the policy on a fake clock.
    public init(_ base: Transport, policy: RetryPolicy = RetryPolicy(), now: @escaping () -> Date = Date.init,
                sleep: @escaping (TimeInterval) -> Void = { Thread.sleep(forTimeInterval: $0) },
                random: @escaping () -> Double = { Double.random(in: 0..<1) }) {
        self.base = base
        self.policy = policy
        self.now = now
        self.sleep = sleep
        self.random = random
    }

    public func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        let start = now()
        var attempts = 0
        while true {
            let outcome = Result { () throws(TransportError) in try base.send(request) }
            attempts += 1
            guard attempts < policy.maxAttempts, let wait = wait(after: outcome, failures: attempts),
                  now().timeIntervalSince(start) + wait <= policy.budget
            else { return try outcome.get() }
            sleep(wait)
        }
    }

    /// The pause before the next attempt, or nil when this outcome is final.
    private func wait(after outcome: Result<HTTPResponse, TransportError>, failures: Int) -> TimeInterval? {
        switch outcome {
        case .failure(let error):
            return error.isTransient ? policy.backoff(afterFailures: failures, random: random()) : nil
        case .success(let response):
            guard policy.retriedStatuses.contains(response.status) else { return nil }
            if policy.honoursRetryAfter(status: response.status), let value = response.header("retry-after"),
               let delay = RetryAfter.delay(value, now: now()) {
                return delay
            }
            return policy.backoff(afterFailures: failures, random: random())
        }
    }
}
