import BriefingKit
import Foundation

/// Where something stands in a scenario file, for error messages and for "the steps that led there".
public struct SourcePosition: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var description: String { "\(file):\(line):\(column)" }
}

/// One conflict case, as a person writes it down in YAML: devices, what the server starts with, and steps.
///
/// Parse a file with `ScenarioParser.parse(file:)`, run it with `ScenarioRunner`. The format is described in
/// Schema/scenarios/README.md and Schema/scenarios/scenario.schema.json.
public struct Scenario: Sendable {
    public var name: String
    public var file: String
    /// What the scenario pins down, in a sentence or two.
    public var summary: String?
    public var server: ServerSetup
    public var devices: [DeviceSpec]
    public var steps: [Step]
}

/// The server a scenario starts from.
public struct ServerSetup: Sendable {
    public var articles: [ArticleSpec] = []
    /// The page size devices ask for (`limit`), so a handful of articles still makes several pages.
    public var pageSize: Int?
    /// The server's own conflict policy (`--policy`); only a server the runner starts can be given one.
    public var policy: [StateField: ConflictRule] = [:]
}

/// An article published by the server (at setup, or by a `publish`/`edit` step).
public struct ArticleSpec: Sendable {
    public var id: String
    public var title: String
    public var text: String?
}

/// A device: its own store, conflict policy and clock.
public struct DeviceSpec: Sendable {
    public var name: String
    public var policy: [StateField: ConflictRule] = [:]
    /// How far this device's wall clock is from real time, in milliseconds (negative: slow).
    public var clockOffsetMs: Int64 = 0
    public var position: SourcePosition
}

/// Where `kill` stops a `briefing sync` process.
public enum KillPoint: Sendable, Hashable {
    /// SIGKILL once this many pulled pages have arrived (the next one is held back by the server meanwhile).
    case afterPages(Int)
    /// SIGKILL while the push is at the server (held there by a delay fault), before its answer arrives.
    case duringPush
}

/// What a `sync` step expects of each device's sync.
public enum SyncOutcome: String, Sendable {
    case ok
    /// The sync must fail (for example a timeout after a `hang`); the error is shown in the timeline.
    case error
}

/// A mutation sent as is by a `push` step (the runner speaks the protocol directly).
public struct RawMutation: Sendable {
    public var mutationID: String
    public var article: String
    public var field: StateField
    public var value: Bool
    public var device: String
    /// Milliseconds from the scenario's start.
    public var offsetMs: Int64
}

/// One step of a scenario, with where it was written.
public struct Step: Sendable {
    public enum Action: Sendable {
        /// nil devices: every online device, in the order they were declared.
        case sync(devices: [String]?, full: Bool, timeout: Double?, retryBudget: Double?, outcome: SyncOutcome?)
        /// nil articles: every article the device holds.
        case mark(device: String, action: MarkAction, articles: [String]?)
        case offline([String])
        case online([String])
        /// Sets the device's clock offset from real time, or freezes it at the scenario's start + `freezeMs`.
        case skew(device: String, offsetMs: Int64?, freezeMs: Int64?)
        /// Moves the device's clock (nil: every device's) on by this much.
        case advance(device: String?, byMs: Int64)
        case kill(device: String, at: KillPoint)
        case publish([ArticleSpec])
        case delete([String])
        /// A mark by a device the runner does not drive, through `POST /admin/state`; `offsetMs` from the
        /// scenario's start.
        case serverMark(device: String, article: String, field: StateField, value: Bool, offsetMs: Int64, baseRev: Int?)
        case expireTokens
        case restart
        /// `POST /admin/faults` with these members, as JSON.
        case fault(JSONValue)
        case clearFaults
        case push(key: String, mutations: [RawMutation], expectStatus: Int?, expectResults: [String]?)
        case sleep(ms: Int64)
        case expect(Expectation)
    }

    public var action: Action
    public var position: SourcePosition
}

/// What must hold at an `expect` step.
public struct Expectation: Sendable {
    public var devices: [(name: String, expectation: DeviceExpectation)] = []
    public var server: ServerExpectation?
    /// Every device holds what the server holds (articles, read, starred) and has nothing pending.
    public var converged: Bool?
}

public enum Presence: String, Sendable {
    case present, archived, absent
}

public struct ArticleExpectation: Sendable {
    public var read: Bool?
    public var starred: Bool?
    public var presence: Presence?
    public var title: String?
    /// Server only: the device whose write holds the field.
    public var readBy: String?
    public var starredBy: String?
    public var revision: Int?
}

public struct ConflictExpectation: Sendable {
    public var article: String
    public var field: String?
    /// A device name, or `local`/`server`.
    public var winner: String?
    public var rule: String?
    /// The winning value.
    public var value: Bool?
}

public struct DeviceExpectation: Sendable {
    public var articles: [(id: String, expectation: ArticleExpectation)] = []
    public var pending: Int?
    /// Entries that must be in the conflict log (each matched by a different entry).
    public var conflicts: [ConflictExpectation]?
    /// How many entries the conflict log holds.
    public var conflictCount: Int?
    /// Texts that must appear in a warning of this device's syncs so far.
    public var warnings: [String]?
    /// No warning at all so far.
    public var noWarnings: Bool?
}

public struct ServerExpectation: Sendable {
    public var articles: [(id: String, expectation: ArticleExpectation)] = []
    /// `mutations_NAME` counters of `GET /admin/state` (applied, duplicate, conflict, …).
    public var counters: [(name: String, value: Int)] = []
}

/// A JSON value, for what the runner passes through to the admin API unchanged.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public var any: Any {
        switch self {
        case .null: NSNull()
        case .bool(let value): value
        case .number(let value): value.rounded() == value && abs(value) < 1e15 ? Int(value) as Any : value
        case .string(let value): value
        case .array(let values): values.map(\.any)
        case .object(let members): members.mapValues(\.any)
        }
    }
}
