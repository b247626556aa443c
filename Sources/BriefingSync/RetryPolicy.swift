import Foundation

/// When and how long to wait before trying a request again, for failures that tend to heal by themselves.
///
/// The defaults are what a person waiting on a phone accepts: first retry within half a second, waits
/// doubling up to 8 s, and giving up after a minute in total. Hand one to `RetryingTransport`:
/// ```swift
/// let transport = RetryingTransport(CurlTransport(), policy: RetryPolicy(budget: 20))
/// ```
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in total, the first one included; 1 turns retrying off.
    public var maxAttempts: Int
    /// The backoff ceiling before the first retry, in seconds.
    public var baseDelay: TimeInterval
    /// How much the backoff ceiling grows with each further retry.
    public var factor: Double
    /// The highest backoff ceiling, in seconds. A server's `Retry-After` may ask for longer and is honoured.
    public var maxDelay: TimeInterval
    /// Seconds from the first attempt after which no further wait starts.
    public var budget: TimeInterval
    /// Statuses that mean "busy or briefly broken, ask again": timeout, rate limit, gateway and server errors.
    public var retriedStatuses: Set<Int>

    public init(maxAttempts: Int = 8, baseDelay: TimeInterval = 0.5, factor: Double = 2, maxDelay: TimeInterval = 8,
                budget: TimeInterval = 60, retriedStatuses: Set<Int> = [408, 429, 500, 502, 503, 504]) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.factor = factor
        self.maxDelay = maxDelay
        self.budget = budget
        self.retriedStatuses = retriedStatuses
    }

    /// The upper bound of the wait after the `failures`-th failed attempt (1-based): exponential, capped.
    public func backoffCeiling(afterFailures failures: Int) -> TimeInterval {
        min(maxDelay, baseDelay * pow(factor, Double(max(0, failures - 1))))
    }

    /// "Full jitter": a uniformly random wait below the ceiling, so many clients that failed together do
    /// not come back together. `random` is in 0..<1.
    public func backoff(afterFailures failures: Int, random: Double) -> TimeInterval {
        backoffCeiling(afterFailures: failures) * min(max(random, 0), 1)
    }

    /// Whether a server's `Retry-After` is taken as the wait for this status; RFC 9110 gives it meaning
    /// after 429 and 503.
    public func honoursRetryAfter(status: Int) -> Bool {
        status == 429 || status == 503
    }
}

/// Reads a `Retry-After` header value (RFC 9110 §10.2.3).
///
/// `RetryAfter.delay("120", now: now)` and `RetryAfter.delay("Wed, 21 Oct 2026 07:28:00 GMT", now: now)`
/// both give seconds to wait from `now`; a date in the past gives 0, anything unreadable gives nil.
public enum RetryAfter {
    public static func delay(_ value: String, now: Date) -> TimeInterval? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.allSatisfy(\.isASCIIDigit) {
            return TimeInterval(text)
        }
        guard let date = HTTPDate.parse(text) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}

/// IMF-fixdate, the one date format HTTP senders must produce: `Sun, 06 Nov 1994 08:49:37 GMT`.
/// Parsed by hand so the result depends on neither locale nor the platform's date formatter.
enum HTTPDate {
    static func parse(_ text: String) -> Date? {
        let fields = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 6, fields[0].count == 4, fields[0].hasSuffix(","), fields[5] == "GMT",
              weekdays.contains(String(fields[0].dropLast())),
              let day = number(fields[1], digits: 2), let month = months.firstIndex(of: fields[2]),
              let year = number(fields[3], digits: 4), let time = clock(fields[4])
        else { return nil }
        var parts = DateComponents()
        (parts.year, parts.month, parts.day) = (year, month + 1, day)
        (parts.hour, parts.minute, parts.second) = time
        guard parts.isValidDate(in: gregorianGMT) else { return nil }
        return gregorianGMT.date(from: parts)
    }

    private static let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static let gregorianGMT: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "GMT")!
        return calendar
    }()

    private static func clock(_ text: String) -> (Int, Int, Int)? {
        let pieces = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard pieces.count == 3, let hour = number(pieces[0], digits: 2), let minute = number(pieces[1], digits: 2),
              let second = number(pieces[2], digits: 2), hour < 24, minute < 60, second < 60
        else { return nil }
        return (hour, minute, second)
    }

    private static func number(_ text: String, digits: Int) -> Int? {
        guard text.count == digits, text.allSatisfy(\.isASCIIDigit) else { return nil }
        return Int(text)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
