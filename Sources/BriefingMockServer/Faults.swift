import Foundation

/// A failure the admin API arms for the next `count` protocol requests whose path starts with `path`.
public struct Fault: Codable, Sendable, Equatable {
    /// How the request fails.
    public enum Kind: String, Codable, Sendable {
        /// Answer with `status` (and `Retry-After` when `retryAfter` is set) and an error body.
        case status
        /// Sleep `delayMs`, then answer normally.
        case delay
        /// Close the connection without any response.
        case drop
        /// Announce the full Content-Length, send part of the body, close.
        case truncate
        /// Answer 200 with a body that is not JSON.
        case malformed
        /// Accept the request and never answer; the connection is held until the client closes it, or
        /// `holdMs` (default 600000) passes, so the client's request timeout fires.
        case hang
        /// Send the whole answer, paced at `bytesPerSecond` (default 65536) in small chunks.
        case slow
        /// Send the headers and `afterBytes` bytes of the body (default: half), then a TCP reset (RST).
        case reset
        /// Wait `delayMs` ± a uniformly random `jitterMs` (default 0), then answer normally.
        case latency
        /// Handle the request as usual (a push is judged and committed, its answer stored under its
        /// Idempotency-Key), then close the connection without answering.
        case applyThenDrop = "apply-then-drop"
    }

    public var kind: Kind
    public var status: Int?
    public var retryAfter: Int?
    public var delayMs: Int?
    public var count: Int?
    public var path: String?
    public var holdMs: Int?
    public var bytesPerSecond: Int?
    public var afterBytes: Int?
    public var jitterMs: Int?

    enum CodingKeys: String, CodingKey {
        case kind, status, count, path
        case retryAfter = "retry_after"
        case delayMs = "delay_ms"
        case holdMs = "hold_ms"
        case bytesPerSecond = "bytes_per_second"
        case afterBytes = "after_bytes"
        case jitterMs = "jitter_ms"
    }

    public init(kind: Kind, status: Int? = nil, retryAfter: Int? = nil, delayMs: Int? = nil, count: Int? = nil,
                path: String? = nil, holdMs: Int? = nil, bytesPerSecond: Int? = nil, afterBytes: Int? = nil,
                jitterMs: Int? = nil) {
        self.kind = kind
        self.status = status
        self.retryAfter = retryAfter
        self.delayMs = delayMs
        self.count = count
        self.path = path
        self.holdMs = holdMs
        self.bytesPerSecond = bytesPerSecond
        self.afterBytes = afterBytes
        self.jitterMs = jitterMs
    }

    /// The path prefix a request must have to be hit: any protocol request by default, pushes for
    /// `apply-then-drop` (the only requests it means something for).
    var pathPrefix: String { path ?? (kind == .applyThenDrop ? "/v1/mutations" : "/v1/") }

    /// Why the fault cannot be armed as given, if it cannot.
    public var problem: String? {
        for (name, value) in [("delay_ms", delayMs), ("hold_ms", holdMs), ("after_bytes", afterBytes),
                              ("jitter_ms", jitterMs), ("retry_after", retryAfter)] {
            if let value, value < 0 { return "\(name) must not be negative, got \(value)" }
        }
        if let bytesPerSecond, bytesPerSecond < 1 { return "bytes_per_second must be at least 1, got \(bytesPerSecond)" }
        return nil
    }
}

/// The armed faults, in the order they were armed; each request takes the first one matching its path.
// @unchecked Sendable is safe: `armed`, the only mutable state, is read and written only while `lock` is
// held (every method takes it for its whole body), and `lock` itself is never replaced.
public final class FaultQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var armed: [(fault: Fault, remaining: Int)] = []

    public init() {}

    public func arm(_ fault: Fault) {
        lock.lock()
        defer { lock.unlock() }
        armed.append((fault, fault.count ?? 1))
    }

    public func clear() {
        lock.lock()
        defer { lock.unlock() }
        armed.removeAll()
    }

    /// How many requests the armed faults will still hit.
    public var pending: Int {
        lock.lock()
        defer { lock.unlock() }
        return armed.reduce(0) { $0 + $1.remaining }
    }

    /// Takes one use of the first armed fault matching `path`, if any.
    public func take(forPath path: String) -> Fault? {
        lock.lock()
        defer { lock.unlock() }
        guard let index = armed.firstIndex(where: { path.hasPrefix($0.fault.pathPrefix) }) else { return nil }
        let fault = armed[index].fault
        armed[index].remaining -= 1
        if armed[index].remaining <= 0 { armed.remove(at: index) }
        return fault
    }
}
