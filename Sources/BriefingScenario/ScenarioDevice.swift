import BriefingCurl
import BriefingKit
import Foundation
import Synchronization

/// A device's wall clock: real time shifted by an offset the scenario sets (`clock`, `skew`) and moves
/// (`advance`).
/// A clock can also be frozen at one instant (`skew: {freeze: …}`), so two devices can write the very same
/// changed_at and the tie-break by device shows.
final class DeviceClock: Sendable {
    private struct Setting { var offset: Int64; var frozen: Timestamp? }
    private let setting: Mutex<Setting>

    init(offsetMs: Int64) { setting = Mutex(Setting(offset: offsetMs, frozen: nil)) }

    /// The offset from real time right now (what `BRIEFING_CLOCK_SKEW_MS` gives the `briefing` binary).
    var offsetMs: Int64 { now().milliseconds - Timestamp.now.milliseconds }
    func set(_ ms: Int64) { setting.withLock { $0 = Setting(offset: ms, frozen: nil) } }
    func freeze(at time: Timestamp) { setting.withLock { $0.frozen = time } }
    func advance(_ ms: Int64) {
        setting.withLock { setting in
            if let frozen = setting.frozen { setting.frozen = Timestamp(milliseconds: frozen.milliseconds + ms) }
            setting.offset += ms
        }
    }
    func now() -> Timestamp {
        setting.withLock { $0.frozen ?? Timestamp(milliseconds: Timestamp.now.milliseconds + $0.offset) }
    }
}

/// What one sync reported besides its `SyncReport`: retries, warnings.
final class SyncNotes: Sendable {
    private let lines = Mutex<[(kind: TimelineEvent.Kind, text: String)]>([])
    func add(_ kind: TimelineEvent.Kind, _ text: String) { lines.withLock { $0.append((kind, text)) } }
    var all: [(kind: TimelineEvent.Kind, text: String)] { lines.withLock { $0 } }
}

/// A device of a scenario: its own store file and clock, synced in this process through `BriefingClient`
/// on the CLI's libcurl transport, or (for `kill`) by the real `briefing` binary on the same store.
final class ScenarioDevice {
    let name: String
    let storePath: String
    let store: BriefingStore
    let clock: DeviceClock
    var online = true
    /// Every warning its syncs reported, in order.
    private(set) var warnings: [String] = []
    /// changed_at of the marks this device made, with whether the hybrid clock raised it above the
    /// device's own wall clock — so a conflict line can say `HLC`.
    private(set) var marks: [String: (changedAt: Timestamp, raised: Bool)] = [:]
    private let seed: UInt64

    init(spec: DeviceSpec, directory: URL, seed: UInt64) throws {
        name = spec.name
        storePath = directory.appendingPathComponent("\(spec.name).sqlite").path
        clock = DeviceClock(offsetMs: spec.clockOffsetMs)
        self.seed = seed
        store = try BriefingStore.open(path: storePath, create: true)
    }

    /// Points the store at the server, with the device's name and conflict policy.
    func connect(to server: URL, policy: [StateField: ConflictRule]) async throws {
        var settings = SyncSettings(device: name)
        settings.policy = ConflictPolicy(policy)
        let client = BriefingClient(store: store, transport: transport(timeout: 5, budget: 5, notes: nil), clock: clockFunction)
        switch try await client.connect(to: server, settings: settings) {
        case .connected: break
        case .refusedPopulated: throw ScenarioRunError("\(name): the store refused the server")
        }
    }

    private var clockFunction: @Sendable () -> Timestamp {
        let clock = self.clock
        return { clock.now() }
    }

    /// The CLI's transport: libcurl behind the retry policy, with shorter waits so a scenario takes seconds.
    private func transport(timeout: Double, budget: Double, notes: SyncNotes?) -> any Transport {
        let base = CurlTransport(configuration: TransportConfiguration(connectTimeout: min(5, timeout), requestTimeout: timeout))
        let policy = RetryPolicy(baseDelay: 0.05, maxDelay: 0.5, budget: budget)
        let random = SeededRandom(seed: seed &+ name.utf8.reduce(UInt64(0)) { $0 &* 31 &+ UInt64($1) })
        return RetryingTransport(base, policy: policy, random: { random.next() }, observe: { decision in
            guard let notes, let wait = decision.retryAfter else { return }
            let outcome = decision.status.map { "HTTP \($0)" } ?? decision.error.map { "\($0)" } ?? "no answer"
            notes.add(.retry, "\(decision.request.method) \(decision.request.url.path) attempt \(decision.attempt): \(safeLine(outcome, limit: 80)); retrying in \(String(format: "%.3f", wait)) s")
        })
    }

    // MARK: Marks

    /// Marks articles (nil: all) and remembers the changed_at each mark got.
    func mark(_ action: MarkAction, _ articles: [String]?) throws -> (changed: Int, changedAt: Timestamp?, wall: Timestamp, raised: Bool) {
        let wall = clock.now()
        let changed = try store.mark(action, articles, wallClock: wall)
        let pending = try store.pendingMarks().filter { $0.field == action.field && (articles?.contains($0.articleID) ?? true) }
        var latest: Timestamp?
        var raised = false
        for mark in pending where mark.state.device == name {
            let wasRaised = mark.state.changedAt > wall
            marks[key(mark.articleID, action.field, mark.state.changedAt)] = (mark.state.changedAt, wasRaised)
            latest = max(latest ?? mark.state.changedAt, mark.state.changedAt)
            raised = raised || wasRaised
        }
        return (changed, latest, wall, raised)
    }

    /// Whether this device's mark with this changed_at was raised by the hybrid clock.
    func wasRaisedByHybridClock(_ article: String, _ field: String, _ changedAt: Timestamp?) -> Bool {
        guard let changedAt, let field = StateField(rawValue: field) else { return false }
        return marks[key(article, field, changedAt)]?.raised ?? false
    }

    private func key(_ article: String, _ field: StateField, _ time: Timestamp) -> String {
        "\(article)\u{1f}\(field.rawValue)\u{1f}\(time.milliseconds)"
    }

    // MARK: Sync

    /// One sync through `BriefingClient`; the report, the new conflict-log entries (oldest first) and notes.
    func sync(full: Bool, pageSize: Int?, timeout: Double, budget: Double) async
        -> (result: Result<SyncReport, SyncError>, conflicts: [ConflictRecord], notes: [(kind: TimelineEvent.Kind, text: String)]) {
        let before = (try? store.status().conflicts) ?? 0
        let notes = SyncNotes()
        var client: BriefingClient? = BriefingClient(store: store, transport: transport(timeout: timeout, budget: budget, notes: notes),
                                                     clock: clockFunction)
        let events = client!.events
        let drain = Task {
            for await event in events {
                if case .warning(let text) = event { notes.add(.warning, text) }
            }
        }
        let result: Result<SyncReport, SyncError>
        do {
            result = .success(try await client!.sync(full: full, pageSize: pageSize))
        } catch {
            result = .failure(error)
        }
        client = nil
        await drain.value
        for note in notes.all where note.kind == .warning { warnings.append(note.text) }
        return (result, newConflicts(since: before), notes.all)
    }

    func newConflicts(since count: Int) -> [ConflictRecord] {
        let all = (try? store.conflicts()) ?? []
        return Array(all.prefix(max(0, all.count - count)).reversed())
    }

    func conflictCount() -> Int { (try? store.status().conflicts) ?? 0 }

    /// Every article the store holds, by id.
    func articles() throws -> [String: ArticleSummary] {
        var byID: [String: ArticleSummary] = [:]
        for summary in try store.list(.all) { byID[summary.id] = summary }
        return byID
    }
}

/// A small deterministic generator (SplitMix64) for the retry jitter, so `--seed` replays the same waits.
final class SeededRandom: Sendable {
    private let state: Mutex<UInt64>
    init(seed: UInt64) { state = Mutex(seed) }
    func next() -> Double {
        state.withLock { value in
            value &+= 0x9E37_79B9_7F4A_7C15
            var z = value
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Double(z >> 11) / Double(1 << 53)
        }
    }
}
