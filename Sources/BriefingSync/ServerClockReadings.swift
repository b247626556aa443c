import Foundation
import BriefingModel
import BriefingProtocol

/// What the responses of one sync said about the clocks: this device's offset from the server's and the
/// server's maximum clock offset ε.
///
/// A response's offset is the device's wall clock when it arrived minus its `Briefing-Server-Time`. The
/// server stamps the time as it answers, so each reading runs late by the time the answer took to arrive;
/// the sync keeps the smallest reading, the one least delayed (as NTP does), which is off by at most a round
/// trip — milliseconds on a LAN, nothing next to ε.
// @unchecked Sendable is safe: `offset` and `bound`, the only mutable state, are touched only while `lock`
// is held; `wallClock` is an immutable `@Sendable` closure.
final class ServerClockReadings: @unchecked Sendable {
    private let lock = NSLock()
    private var offset: Int64?
    private var bound: ClockOffsetBound?

    /// Notes the server's clock reading of one response received at `wallClock` (this device's clock).
    func take(_ response: TransportResponse, receivedAt wallClock: Timestamp) {
        guard let serverTime = response.header(Endpoint.serverTimeHeader).flatMap(Timestamp.init(rfc3339:)) else { return }
        let announced = response.header(Endpoint.maxClockOffsetHeader).flatMap(Int64.init)
            .map { ClockOffsetBound(milliseconds: $0 * 1000) }
        lock.withLock {
            let reading = wallClock.milliseconds - serverTime.milliseconds
            offset = min(offset ?? reading, reading)
            if let announced { bound = announced }
        }
    }

    /// The best offset measured and the server's ε if it announced one; nil when no response had a time.
    var latest: (offset: Int64, bound: ClockOffsetBound?)? {
        lock.withLock { offset.map { ($0, bound) } }
    }
}
