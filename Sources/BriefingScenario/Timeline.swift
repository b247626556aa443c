import BriefingKit
import BriefingText
import Foundation

/// One thing that happened in a run, on one lane (a device, or the server), in order.
public struct TimelineEvent: Sendable {
    public enum Kind: String, Sendable {
        case setup, mark, sync, conflict, retry, warning, fault, kill, clock, network, push, expect, failure
        case server = "admin"
    }

    /// A device name, or "server".
    public var lane: String
    public var kind: Kind
    /// The 1-based step that produced it (0: setup).
    public var step: Int
    public var text: String
    /// When the runner recorded it (real time).
    public var time: Timestamp
    public var failed = false
    /// For a conflict: both sides and the rule.
    public var conflict: ConflictDetail?
}

/// A conflict decision as the timeline shows it: `read on gen-1: tablet's unread (10:02:00.120, HLC) beats
/// phone's read (10:01:59.000) — last-writer-wins`.
public struct ConflictDetail: Sendable {
    public var article: String
    public var field: String
    public var winner: String
    public var loser: String
    public var rule: String
    /// Why the rule picked the winner here, e.g. `later changed_at` or `same changed_at; tablet > phone`.
    public var reason: String?

    public var line: String { "\(field) on \(article): \(winner) beats \(loser) — \(rule)" + (reason.map { " (\($0))" } ?? "") }
}

/// A failed expectation: what was expected, what was found.
public struct Mismatch: Sendable {
    public var subject: String
    public var expected: String
    public var actual: String
}

/// Why a scenario failed, and the steps that led there.
public struct ScenarioFailure: Sendable {
    public var message: String
    public var position: SourcePosition
    public var mismatches: [Mismatch]
    /// "[n] description (FILE:LINE)" for every step up to and including the failing one.
    public var steps: [String]
}

/// Everything a run of one scenario produced.
public struct ScenarioResult: Sendable {
    public var name: String
    public var file: String
    public var summary: String?
    public var devices: [String]
    public var events: [TimelineEvent]
    public var failure: ScenarioFailure?
    public var seconds: Double
    public var passed: Bool { failure == nil }
}

/// Times as the timeline shows them: `10:02:00.120` (UTC).
enum ClockText {
    /// The time of day, or the whole RFC 3339 time when it is on another day than today (a skewed clock).
    static func time(_ timestamp: Timestamp) -> String {
        if timestamp.milliseconds / 86_400_000 != Timestamp.now.milliseconds / 86_400_000 { return timestamp.rfc3339 }
        let ms = ((timestamp.milliseconds % 86_400_000) + 86_400_000) % 86_400_000
        return String(format: "%02d:%02d:%02d.%03d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
    }

    static func duration(_ ms: Int64) -> String {
        let sign = ms < 0 ? "-" : "+"
        let magnitude = abs(ms)
        if magnitude % 86_400_000 == 0, magnitude > 0 { return "\(sign)\(magnitude / 86_400_000)d" }
        if magnitude % 3_600_000 == 0, magnitude > 0 { return "\(sign)\(magnitude / 3_600_000)h" }
        if magnitude % 60_000 == 0, magnitude > 0 { return "\(sign)\(magnitude / 60_000)m" }
        if magnitude % 1000 == 0 { return "\(sign)\(magnitude / 1000)s" }
        return "\(sign)\(magnitude)ms"
    }
}

/// Untrusted text (titles, server messages) made safe for one terminal line.
func safeLine(_ text: String, limit: Int = 200) -> String {
    TerminalText.clip(text, to: limit)
}
