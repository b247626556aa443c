import Foundation

/// A `Transport` that tries a request again while the failure looks temporary, within a `RetryPolicy`.
///
/// Wrap the real transport once and hand the wrapper to the sync engine:
/// ```swift
/// let transport = RetryingTransport(CurlTransport())
/// ```
/// Transient transport errors and the policy's statuses (408, 429, 5xx gateway errors) are retried, waiting
/// as `Retry-After` asks on 429/503 and with jittered exponential backoff otherwise. When the next wait would
/// end past the policy's budget (or the request's shorter `retryBudget`), or the attempts run out, the last
/// outcome is handed back as it is: the last HTTP response for a status failure, so the caller can map it,
/// or the last `TransportError`. Everything
/// else — TLS failures, refusals, oversized bodies, other statuses — comes back at once.
/// Every method is retried: the sync engine makes pushes safe to repeat with an `Idempotency-Key`.
/// The waits are `Task.sleep`s: cancelling the calling Task ends a wait at once with `.cancelled`.
public struct RetryingTransport: Transport {
    /// What the retry loop decided after an attempt, for a trace or a verbose log.
    public struct Decision: Sendable {
        public var request: TransportRequest
        /// 1 for the first attempt.
        public var attempt: Int
        /// Status of the attempt, or nil when it got no response.
        public var status: Int?
        public var error: TransportError?
        /// Seconds to wait before the next attempt; nil when this outcome is handed back.
        public var retryAfter: TimeInterval?
    }

    public let policy: RetryPolicy
    private let base: any Transport
    private let now: @Sendable () -> Date
    private let sleep: @Sendable (TimeInterval) async throws -> Void
    private let random: @Sendable () -> Double
    private let observe: (@Sendable (Decision) -> Void)?

    /// `now`, `sleep` and `random` (0..<1) exist so tests can run the policy on a fake clock; `observe`
    /// sees every decision (a trace, `--verbose`).
    public init(_ base: any Transport, policy: RetryPolicy = RetryPolicy(), now: @escaping @Sendable () -> Date = { Date() },
                sleep: @escaping @Sendable (TimeInterval) async throws -> Void = { try await Task.sleep(for: .seconds($0)) },
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
                observe: (@Sendable (Decision) -> Void)? = nil) {
        self.base = base
        self.policy = policy
        self.now = now
        self.sleep = sleep
        self.random = random
        self.observe = observe
    }

    public func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        let start = now()
        var attempts = 0
        while true {
            let outcome: Result<TransportResponse, TransportError>
            do {
                outcome = .success(try await base.send(request))
            } catch {
                outcome = .failure(error)
            }
            attempts += 1
            var wait = attempts < policy.maxAttempts ? self.wait(after: outcome, failures: attempts) : nil
            let budget = min(policy.budget, request.retryBudget ?? policy.budget)
            if let pause = wait, now().timeIntervalSince(start) + pause > budget { wait = nil }
            if Task.isCancelled { wait = nil }
            observe?(Decision(request: request, attempt: attempts, status: try? outcome.get().status,
                              error: outcome.failureValue, retryAfter: wait))
            guard let wait else { return try outcome.get() }
            do {
                try await sleep(wait)
            } catch {
                throw .cancelled
            }
        }
    }

    /// The pause before the next attempt, or nil when this outcome is final.
    private func wait(after outcome: Result<TransportResponse, TransportError>, failures: Int) -> TimeInterval? {
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

extension Result {
    fileprivate var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
