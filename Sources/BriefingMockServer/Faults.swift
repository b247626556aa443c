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
    }

    public var kind: Kind
    public var status: Int?
    public var retryAfter: Int?
    public var delayMs: Int?
    public var count: Int?
    public var path: String?

    enum CodingKeys: String, CodingKey {
        case kind, status, count, path
        case retryAfter = "retry_after"
        case delayMs = "delay_ms"
    }

    /// The path prefix a request must have to be hit; any protocol request by default.
    var pathPrefix: String { path ?? "/v1/" }
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
