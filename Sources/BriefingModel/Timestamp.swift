import Foundation

/// A point in time with millisecond precision, as every replica writes it: RFC 3339 UTC with milliseconds
/// (`2026-11-29T08:15:00.123Z`). Comparing two timestamps compares their milliseconds, so the text form
/// and the ordering agree.
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public init(_ date: Date) {
        self.milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    public static var now: Timestamp { Timestamp(Date()) }

    public var date: Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, always UTC, always three fraction digits.
    public var rfc3339: String {
        let (days, msOfDay) = milliseconds.floorDivided(by: 86_400_000)
        let (y, m, d) = Self.civil(fromDays: days)
        let h = msOfDay / 3_600_000, mi = (msOfDay / 60_000) % 60, s = (msOfDay / 1000) % 60, ms = msOfDay % 1000
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2)).\(pad(ms, 3))Z"
    }

    public var description: String { rfc3339 }

    /// Parses RFC 3339: `T` or space separator, optional seconds, any number of fraction digits (kept to
    /// milliseconds), and `Z` or `±HH:MM`. A date without a zone is taken as UTC.
    public init?(rfc3339 text: String) {
        var scanner = DateScanner(Array(text.utf8))
        guard let year = scanner.number(digits: 4), scanner.skip("-"),
              let month = scanner.number(digits: 2), scanner.skip("-"),
              let day = scanner.number(digits: 2), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var msOfDay: Int64 = 0
        if scanner.skip("T") || scanner.skip("t") || scanner.skip(" ") {
            guard let hour = scanner.number(digits: 2), scanner.skip(":"),
                  let minute = scanner.number(digits: 2), hour < 24, minute < 60 else { return nil }
            var second: Int64 = 0
            if scanner.skip(":") {
                guard let s = scanner.number(digits: 2), s <= 60 else { return nil }
                second = min(s, 59)
            }
            var fraction: Int64 = 0
            if scanner.skip(".") || scanner.skip(",") {
                var digits = 0
                while let digit = scanner.digit() {
                    if digits < 3 { fraction = fraction * 10 + digit }
                    digits += 1
                }
                guard digits > 0 else { return nil }
                var scale = digits
                while scale < 3 { fraction *= 10; scale += 1 }
            }
            msOfDay = ((hour * 60 + minute) * 60 + second) * 1000 + fraction
            if scanner.skip("Z") || scanner.skip("z") {
            } else if let sign = scanner.sign() {
                guard let zh = scanner.number(digits: 2) else { return nil }
                _ = scanner.skip(":")
                guard let zm = scanner.number(digits: 2), zh < 24, zm < 60 else { return nil }
                msOfDay -= sign * (zh * 60 + zm) * 60_000
            }
        }
        guard scanner.atEnd else { return nil }
        self.milliseconds = Self.days(fromCivil: year, month, day) * 86_400_000 + msOfDay
    }

    /// Parses a date as real feeds write one: RFC 3339 and its relaxations (`Timestamp(rfc3339:)`:
    /// `2022-07-26 13:01:01`, no seconds, no zone, `+0100` without a colon) or RFC 822/1123 style
    /// (`Tue, 26 Jul 2022 13:01:01 +0100`, `26 Jul 22 13:01 GMT`, `EST`). The one date reader for feed
    /// content; nil when the text is neither.
    public init?(feedDate text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let parsed = Timestamp(rfc3339: trimmed) ?? Timestamp(rfc822: trimmed) { self = parsed } else { return nil }
    }

    /// RFC 822 (and RFC 1123/2822) dates: an optional weekday, day, English month abbreviation, a 2- or
    /// 4-digit year, `HH:MM[:SS]`, and a zone (`GMT`, `UT`, `Z`, US zones, military letters, `±HHMM`,
    /// `±HH:MM`); a missing zone is UTC, as in RFC 3339 here.
    public init?(rfc822 text: String) {
        var fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if let first = fields.first, first.first?.isLetter == true {
            // A weekday, with or without its comma; it says nothing the date does not.
            guard Self.weekdays.contains(String(first.lowercased().prefix(3))) else { return nil }
            fields.removeFirst()
        }
        guard fields.count == 4 || fields.count == 5,
              let day = Int64(fields[0]), (1...31).contains(day),
              let monthIndex = Self.months.firstIndex(of: String(fields[1].lowercased().prefix(3))),
              fields[1].allSatisfy(\.isLetter),
              var year = Int64(fields[2]), fields[2].count == 2 || fields[2].count == 4
        else { return nil }
        if fields[2].count == 2 { year += year < 50 ? 2000 : 1900 }
        let clock = fields[3].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 2 || clock.count == 3,
              let hour = Int64(clock[0]), let minute = Int64(clock[1]), hour < 24, minute < 60,
              clock.allSatisfy({ $0.count == 2 }) else { return nil }
        let second = clock.count == 3 ? Int64(clock[2]) : 0
        guard let second, second <= 60 else { return nil }
        var offsetMinutes: Int64 = 0
        if fields.count == 5 {
            guard let offset = Self.zoneOffset(fields[4]) else { return nil }
            offsetMinutes = offset
        }
        let msOfDay = ((hour * 60 + minute) * 60 + min(second, 59)) * 1000 - offsetMinutes * 60_000
        self.milliseconds = Self.days(fromCivil: year, Int64(monthIndex + 1), day) * 86_400_000 + msOfDay
    }

    private static let weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// Minutes east of UTC for an RFC 822 zone.
    private static func zoneOffset(_ zone: String) -> Int64? {
        let named: [String: Int64] = ["gmt": 0, "ut": 0, "utc": 0, "z": 0, "est": -300, "edt": -240, "cst": -360,
                                      "cdt": -300, "mst": -420, "mdt": -360, "pst": -480, "pdt": -420]
        if let offset = named[zone.lowercased()] { return offset }
        guard let sign = zone.first, sign == "+" || sign == "-" else {
            // Military single letters other than Z are ambiguous in practice (RFC 2822 §4.3): read as UTC.
            return zone.count == 1 && zone.first!.isLetter ? 0 : nil
        }
        let digits = zone.dropFirst().filter { $0 != ":" }
        guard digits.count == 4, digits.allSatisfy(\.isNumber), let hours = Int64(digits.prefix(2)),
              let minutes = Int64(digits.suffix(2)), hours < 24, minutes < 60 else { return nil }
        return (sign == "-" ? -1 : 1) * (hours * 60 + minutes)
    }

    // Howard Hinnant's civil-calendar algorithms: exact for the proleptic Gregorian calendar, no Calendar.
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = Timestamp(rfc3339: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not an RFC 3339 time: \(text.prefix(40))"))
        }
        self = parsed
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339)
    }
}

private func pad(_ value: Int64, _ width: Int) -> String {
    let text = String(value)
    return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> (Int64, Int64) {
        let q = self >= 0 ? self / divisor : (self - divisor + 1) / divisor
        return (q, self - q * divisor)
    }
}

private struct DateScanner {
    let bytes: [UInt8]
    var index = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var atEnd: Bool { index == bytes.count }

    mutating func skip(_ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(character.value) else { return false }
        index += 1
        return true
    }

    mutating func digit() -> Int64? {
        guard index < bytes.count, (48...57).contains(bytes[index]) else { return nil }
        defer { index += 1 }
        return Int64(bytes[index] - 48)
    }

    mutating func number(digits: Int) -> Int64? {
        var value: Int64 = 0
        for _ in 0..<digits {
            guard let d = digit() else { return nil }
            value = value * 10 + d
        }
        return value
    }

    mutating func sign() -> Int64? {
        if skip("+") { return 1 }
        if skip("-") { return -1 }
        return nil
    }
}
