import Foundation
import Logging

/// What `RetryingTransport` decided after one attempt: logged at debug level and handed to `onDecision`
/// (`briefing sync --trace` writes it beside the exchange).
public enum RetryDecision: Sendable, Equatable {
    /// The outcome goes back to the caller: a success, or a failure that retrying cannot heal.
    case final
    /// Another attempt follows after this many seconds.
    case retry(after: TimeInterval)
    /// Retrying might heal it, but the attempts or the budget ran out: the outcome goes back as it is.
    case giveUp(String)
}

extension RetryDecision: CustomStringConvertible {
    public var description: String {
        switch self {
        case .final: "final"
        case .retry(let wait): "retrying in \(RetryingTransport.seconds(wait)) s"
        case .giveUp(let reason): "giving up: \(reason)"
        }
    }
}

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
    private let logger = Logger(label: "briefing.retry")
    /// Called after every attempt with what happens next; set it before the first request.
    public var onDecision: ((HTTPRequest, RetryDecision) -> Void)?

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
            let decision = decide(after: outcome, attempts: attempts, since: start)
            if case .final = decision {} else {
                logger.debug("\(request.method) \(request.url.path) attempt \(attempts): \(Self.describe(outcome)); \(decision)")
            }
            onDecision?(request, decision)
            guard case .retry(let wait) = decision else { return try outcome.get() }
            sleep(wait)
        }
    }

    private func decide(after outcome: Result<HTTPResponse, TransportError>, attempts: Int, since start: Date) -> RetryDecision {
        guard let wait = wait(after: outcome, failures: attempts) else { return .final }
        if attempts >= policy.maxAttempts { return .giveUp("\(attempts) attempts made") }
        let elapsed = now().timeIntervalSince(start)
        if elapsed + wait > policy.budget {
            return .giveUp("a wait of \(Self.seconds(wait)) s would pass the \(Self.seconds(policy.budget)) s retry budget")
        }
        return .retry(after: wait)
    }

    private static func describe(_ outcome: Result<HTTPResponse, TransportError>) -> String {
        switch outcome {
        case .success(let response): "HTTP \(response.status)"
        case .failure(let error): "\(error)"
        }
    }

    static func seconds(_ value: TimeInterval) -> String { String(format: "%.3f", value) }

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
