/// Issues `changed_at` times that are never earlier than anything this replica has seen.
///
/// A device whose wall clock runs slow would otherwise lose every last-writer-wins conflict, even for a
/// mark made after it saw the other device's. The clock remembers the latest time observed — the server's
/// time on every response and the `changed_at` of every pulled state — and each new time is
/// `max(wall clock, latest observed + 1 ms)`.
public struct HybridClock: Hashable, Sendable {
    /// The latest time issued or observed.
    public private(set) var latest: Timestamp

    public init(latest: Timestamp = Timestamp(milliseconds: 0)) { self.latest = latest }

    /// A new time, strictly after every time this clock has issued or observed.
    public mutating func tick(wallClock: Timestamp) -> Timestamp {
        let next = max(wallClock, Timestamp(milliseconds: latest.milliseconds + 1))
        latest = next
        return next
    }

    /// Takes note of a time seen elsewhere (the server's clock, another device's mark).
    public mutating func observe(_ time: Timestamp) {
        if time > latest { latest = time }
    }
}
