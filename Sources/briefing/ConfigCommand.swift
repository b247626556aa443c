import ArgumentParser
import Foundation
import BriefingModel
import BriefingStore
import BriefingSync
import BriefingText

struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show or change the store's settings without running init again.",
        discussion: """
            'briefing config' lists every setting; 'briefing config KEY' prints one; 'briefing config KEY \
            VALUE' changes it. Keys:
              device               this device's name in the conflict log (1 to 200 characters)
              policy.read          conflict rule for read: last-writer-wins, server-wins, client-wins, read-wins
              policy.starred       conflict rule for starred (same rules)
              timeout              seconds per request for sync (default: 30)
              retry-budget         seconds of retrying a failing request (default: 60)
              token-file           file holding the bearer token (none: use $BRIEFING_TOKEN)
              ca-file              extra CA certificates (PEM) to trust (none: the system's only)
              allow-insecure-http  true or false: plain http:// to a non-loopback server
              server               read-only here: switching servers needs 'briefing init --server URL --force'
            'default' resets timeout and retry-budget; 'none' clears token-file and ca-file. Flags and \
            $BRIEFING_TIMEOUT/$BRIEFING_RETRY_BUDGET still override the stored timeouts for one sync. \
            A bad value exits 64; changing the server exits 78.
            """)

    @OptionGroup var options: StoreOptions
    @Argument(help: "The setting to show or change.") var key: String?
    @Argument(help: "Its new value.") var value: String?

    func run() async throws {
        try await guarded {
            let (store, settings) = try options.openInitialised()
            guard let key else { return show(settings, keys: ConfigKey.allCases) }
            guard let configKey = ConfigKey(rawValue: key) else {
                throw Failure.usage("unknown setting '\(key)'; one of: \(ConfigKey.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let value else { return show(settings, keys: [configKey]) }
            let change = try configKey.change(to: value, settings: settings)
            let updated = try store.updateSettings(change)
            if options.json {
                show(updated, keys: [configKey])
            } else {
                print(TerminalText.sanitize("\(configKey.rawValue) = \(configKey.display(updated))", singleLine: true))
            }
        }
    }

    private func show(_ settings: SyncSettings, keys: [ConfigKey]) {
        if options.json {
            options.emit(.object(keys.map { ($0.rawValue, $0.json(settings)) }))
        } else if keys.count == 1 {
            print(TerminalText.sanitize(keys[0].display(settings), singleLine: true))
        } else {
            for key in keys {
                print(key.rawValue.padding(toLength: 21, withPad: " ", startingAt: 0)
                      + TerminalText.sanitize(key.display(settings), singleLine: true))
            }
        }
    }
}

/// A setting `briefing config` shows and changes, with how it reads and how a new value is checked.
enum ConfigKey: String, CaseIterable {
    case device
    case policyRead = "policy.read"
    case policyStarred = "policy.starred"
    case timeout
    case retryBudget = "retry-budget"
    case tokenFile = "token-file"
    case caFile = "ca-file"
    case allowInsecureHTTP = "allow-insecure-http"
    case server

    func display(_ settings: SyncSettings) -> String {
        switch self {
        case .device: settings.device
        case .policyRead: settings.policy.rule(for: .read).rawValue
        case .policyStarred: settings.policy.rule(for: .starred).rawValue
        case .timeout: settings.requestTimeout.map(Self.seconds) ?? "default (30)"
        case .retryBudget: settings.retryBudget.map(Self.seconds) ?? "default (60)"
        case .tokenFile: settings.tokenFile ?? "none"
        case .caFile: settings.caFile ?? "none"
        case .allowInsecureHTTP: settings.allowInsecureHTTP ? "true" : "false"
        case .server: (settings.serverURL ?? "none") + (settings.serverKind.map { " (\($0.rawValue))" } ?? "")
        }
    }

    func json(_ settings: SyncSettings) -> JSON {
        switch self {
        case .timeout: settings.requestTimeout.map(JSON.number) ?? .null
        case .retryBudget: settings.retryBudget.map(JSON.number) ?? .null
        case .tokenFile: .optional(settings.tokenFile)
        case .caFile: .optional(settings.caFile)
        case .allowInsecureHTTP: .bool(settings.allowInsecureHTTP)
        case .server: .optional(settings.serverURL)
        default: .string(display(settings))
        }
    }

    /// Checks `text` and returns the change to make; a bad value is a usage failure (64).
    func change(to text: String, settings: SyncSettings) throws -> (inout SyncSettings) -> Void {
        switch self {
        case .device:
            guard !text.isEmpty, text.count <= 200 else { throw Failure.usage("device must be 1 to 200 characters") }
            return { $0.device = text }
        case .policyRead, .policyStarred:
            guard let rule = ConflictRule(name: text) else {
                throw Failure.usage("unknown rule '\(text)'; one of: \(ConflictRule.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let field: StateField = self == .policyRead ? .read : .starred
            return { $0.policy.set(rule, for: field) }
        case .timeout:
            let seconds = try Self.seconds(text, allowZero: false)
            return { $0.requestTimeout = seconds }
        case .retryBudget:
            let seconds = try Self.seconds(text, allowZero: true)
            return { $0.retryBudget = seconds }
        case .tokenFile, .caFile:
            let path: String? = text == "none" ? nil : URL(fileURLWithPath: text).standardizedFileURL.path
            if let path, !FileManager.default.isReadableFile(atPath: path) {
                throw Failure.usage("cannot read \(rawValue) \(text)")
            }
            return self == .tokenFile ? { $0.tokenFile = path } : { $0.caFile = path }
        case .allowInsecureHTTP:
            guard let allow = Bool(text) else { throw Failure.usage("allow-insecure-http is true or false") }
            if !allow, let server = settings.serverURL.flatMap(URL.init(string:)),
               (try? ServerURLPolicy.check(server, allowInsecureHTTP: false)) == nil {
                throw Failure.usage("the server \(server.absoluteString) is plain http:// to a non-loopback host; it needs allow-insecure-http")
            }
            return { $0.allowInsecureHTTP = allow }
        case .server:
            throw Failure.config("changing the server needs 'briefing init --server URL --force' (it empties the store)")
        }
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    private static func seconds(_ text: String, allowZero: Bool) throws -> Double? {
        if text == "default" { return nil }
        guard let value = Double(text), value.isFinite, allowZero ? value >= 0 : value > 0 else {
            throw Failure.usage("expected a number of seconds \(allowZero ? "(0 or more)" : "above 0") or 'default', got '\(text)'")
        }
        return value
    }
}
