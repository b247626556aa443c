/// Issues `changed_at` times that are never earlier than anything this replica has seen.
///
/// A device whose wall clock runs slow would otherwise lose every last-writer-wins conflict, even for a
/// mark made after it saw the other device's. The clock remembers the latest time observed — the server's
/// time on every response and the `changed_at` of every pulled state — and each new time is
/// `max(wall clock, latest observed + 1 ms)`.
///
/// A time from another device is adopted only up to the server's time plus the `ClockOffsetBound`
/// (`observe(_:serverTime:bound:)`): a device whose clock runs a day fast must not make every replica that
/// hears from it run a day fast too.
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

    /// Takes note of a time seen elsewhere while the server's clock read `serverTime`, adopting at most
    /// `serverTime` + ε: a later time says the other clock runs fast, not that it is later.
    public mutating func observe(_ time: Timestamp, serverTime: Timestamp, bound: ClockOffsetBound) {
        observe(min(time, bound.ceiling(serverTime: serverTime)))
    }
}
