import BriefingModel
import Foundation

/// The server's clock for `Briefing-Server-Time` and `server_time`: the wall clock, except that it never
/// goes backwards, so a client's hybrid clock only ever moves forward when it observes it.
// @unchecked Sendable is safe: `latest`, the only mutable state, is touched only while `lock` is held;
// `wallClock` is an immutable `@Sendable` closure.
public final class ServerClock: @unchecked Sendable {
    private let lock = NSLock()
    private var latest: Int64 = 0
    private let wallClock: @Sendable () -> Timestamp

    public init(wallClock: @escaping @Sendable () -> Timestamp = { Timestamp.now }) {
        self.wallClock = wallClock
    }

    /// The current time: the wall clock, or the last time handed out when the wall clock stepped back.
    public func now() -> Timestamp {
        let wall = wallClock().milliseconds
        lock.lock()
        defer { lock.unlock() }
        latest = max(latest, wall)
        return Timestamp(milliseconds: latest)
    }
}
