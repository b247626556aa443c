import ArgumentParser
import Foundation
import Logging
import BriefingText

/// How much `briefing` says on stderr besides its output and errors: `-q` errors only, `-v` everything.
struct VerbosityOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Say more on stderr: debug messages with times and sources, retry decisions.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "Say nothing on stderr but errors.")
    var quiet = false

    func validate() throws {
        if verbose && quiet { throw ValidationError("give --verbose or --quiet, not both") }
    }

    var level: Logger.Level { verbose ? .debug : quiet ? .error : .info }
}

/// The CLI's messages: swift-log records from the sync core become `briefing: note: …` and
/// `briefing: warning: …` lines, made terminal-safe; `--verbose` adds the time and the logger's label.
enum Messages {
    private static let state = MessageState()

    /// Routes every `Logger` of the process here; called once, before a command runs.
    static func bootstrap(level: Logger.Level, detailed: Bool) {
        state.configure(level: level, detailed: detailed)
        LoggingSystem.bootstrap { label in MessageHandler(label: label, state: state) }
    }

    static var isQuiet: Bool { state.level > .info }
    static var isVerbose: Bool { state.level <= .debug }

    /// Notes and warnings printed so far (without the `briefing: ` prefix), for `sync` to keep with the
    /// last sync's record.
    static var recorded: [String] { state.recorded }

    static func debug(_ text: String) { Logger(label: "briefing").debug("\(text)") }
    static func note(_ text: String) { Logger(label: "briefing").info("\(text)") }
    static func warning(_ text: String) { Logger(label: "briefing").warning("\(text)") }
}

/// What `Messages` was configured with, and what it printed; shared by every handler.
private final class MessageState: @unchecked Sendable {
    private let lock = NSLock()
    private var _level: Logger.Level = .info
    private var _detailed = false
    private var _recorded: [String] = []

    func configure(level: Logger.Level, detailed: Bool) {
        lock.withLock { (_level, _detailed) = (level, detailed) }
    }

    var level: Logger.Level { lock.withLock { _level } }
    var detailed: Bool { lock.withLock { _detailed } }
    var recorded: [String] { lock.withLock { _recorded } }

    func write(_ line: String, record: String?) {
        lock.withLock {
            if let record { _recorded.append(record) }
            writeStandardError(line)
        }
    }
}

private struct MessageHandler: LogHandler {
    let label: String
    let state: MessageState
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    var logLevel: Logger.Level {
        get { state.level }
        set {}
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let kind = switch event.level {
        case .trace, .debug: "debug"
        case .info, .notice: "note"
        case .warning: "warning"
        case .error, .critical: "error"
        }
        var text = event.message.description
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        if !merged.isEmpty {
            text += " (" + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + ")"
        }
        var prefix = "briefing: \(kind): "
        if state.detailed {
            prefix += "[\(Self.clock()) \(label)] "
        }
        let safe = TerminalText.sanitize(text, singleLine: true)
        let kept = event.level >= .info && event.level < .error ? "\(kind): \(safe)" : nil
        state.write(prefix + safe + "\n", record: kept)
    }

    /// `HH:MM:SS.mmm` UTC: enough to read the gaps between retries.
    private static func clock() -> String {
        let milliseconds = Int64(Date().timeIntervalSince1970 * 1000)
        let day = milliseconds % 86_400_000
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let fraction = String(day % 1000)
        return "\(two(day / 3_600_000)):\(two(day / 60_000 % 60)):\(two(day / 1000 % 60))."
            + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
