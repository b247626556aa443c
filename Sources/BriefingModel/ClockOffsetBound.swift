/// The largest difference between a device's clock and the server's that Briefing takes at face value: ε,
/// the maximum clock offset of a hybrid logical clock (Kulkarni et al.). One value, used by the server when
/// it judges a mark's `changed_at` and by the client when it stamps marks and adopts times it is told.
///
/// A clock further off than ε no longer decides conflicts: the server rebases (or clamps) the times such a
/// device sends, the device stamps its marks with its estimate of the server's time, and no replica's
/// hybrid clock adopts a time more than ε past the server's. So a device whose clock runs a day fast
/// cannot win every last-writer-wins conflict for a day, nor drag other devices' clocks a day ahead.
public struct ClockOffsetBound: Hashable, Sendable {
    /// ε when nobody says otherwise: a minute, far more than a synchronised clock drifts and far less than
    /// the hours a wrong time zone or a dead clock battery makes.
    public static let `default` = ClockOffsetBound(milliseconds: 60_000)

    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = max(0, milliseconds) }

    /// Whether an offset (device clock − server clock, in ms) is beyond the bound.
    public func isExceeded(by offset: Int64) -> Bool { abs(offset) > milliseconds }

    /// The latest time a replica may adopt from others while the server's clock reads `serverTime`.
    public func ceiling(serverTime: Timestamp) -> Timestamp {
        Timestamp(milliseconds: serverTime.milliseconds + milliseconds)
    }

    /// This device's estimate of the server's clock: the wall clock less the measured offset when that is
    /// beyond the bound; within it (or unmeasured) the wall clock as it is.
    public func corrected(_ wallClock: Timestamp, offset: Int64?) -> Timestamp {
        guard let offset, isExceeded(by: offset) else { return wallClock }
        return Timestamp(milliseconds: wallClock.milliseconds - offset)
    }

    /// The time the server judges a mark at, and how far it moved it (judged − sent, in ms; 0 when not).
    ///
    /// With the client's clock reading (`clientTime`, sent with the push) more than ε from `serverNow`, the
    /// mark is rebased by that offset: a mark a fast device made offline lands at the real time it was made.
    /// Then, rebased or not, a time still more than ε past `serverNow` is clamped to `serverNow`: no mark
    /// can claim to be from the future.
    public func judgedTime(of changedAt: Timestamp, clientTime: Timestamp?, serverNow: Timestamp)
        -> (time: Timestamp, adjustment: Int64) {
        var time = changedAt
        if let clientTime {
            let offset = clientTime.milliseconds - serverNow.milliseconds
            if isExceeded(by: offset) { time = Timestamp(milliseconds: time.milliseconds - offset) }
        }
        if time > ceiling(serverTime: serverNow) { time = serverNow }
        return (time, time.milliseconds - changedAt.milliseconds)
    }

    /// What to tell the user of a device whose clock is `offset` ms off the server's, or nil when it is
    /// within the bound: `this device's clock is 1 d 0 h ahead of the server's; marks are stamped with the
    /// server's time`.
    public func warning(offset: Int64) -> String? {
        guard isExceeded(by: offset) else { return nil }
        let seconds = abs(offset) / 1000
        let amount = switch seconds {
        case 86_400...: "\(seconds / 86_400) d \(seconds % 86_400 / 3600) h"
        case 3600...: "\(seconds / 3600) h \(seconds % 3600 / 60) min"
        default: "\(seconds / 60) min \(seconds % 60) s"
        }
        return "this device's clock is \(amount) \(offset > 0 ? "ahead of" : "behind") the server's; "
            + "marks are stamped with the server's time"
    }
}
