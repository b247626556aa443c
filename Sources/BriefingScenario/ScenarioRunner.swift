import BriefingKit
import Foundation

/// Runs scenarios one after another and records a timeline of each.
///
/// ```swift
/// let runner = ScenarioRunner(options: .init(binDirectory: dir))
/// let results = await runner.run(scenarios) { result in print(TextReport.render(result)) }
/// ```
/// Without `serverURL` the runner starts `briefing-mock-server` (from `binDirectory`) per scenario; with it,
/// every scenario runs against that server through the protocol and the admin API alone.
public struct ScenarioRunner: Sendable {
    public struct Options: Sendable {
        /// Where `briefing-mock-server` and `briefing` are (beside the runner's executable).
        public var binDirectory: URL
        public var serverURL: URL?
        /// Seeds the retry jitter of every device.
        public var seed: UInt64
        /// Seconds per request and of retrying, unless a `sync` step says otherwise.
        public var timeout: Double = 5
        public var retryBudget: Double = 5

        public init(binDirectory: URL, serverURL: URL? = nil, seed: UInt64 = 1) {
            self.binDirectory = binDirectory
            self.serverURL = serverURL
            self.seed = seed
        }
    }

    public let options: Options

    public init(options: Options) { self.options = options }

    public func run(_ scenarios: [Scenario], each: (ScenarioResult) -> Void = { _ in }) async -> [ScenarioResult] {
        var results: [ScenarioResult] = []
        for scenario in scenarios {
            let result = await run(scenario)
            each(result)
            results.append(result)
        }
        return results
    }

    public func run(_ scenario: Scenario) async -> ScenarioResult {
        let started = Date()
        let run = ScenarioRun(scenario: scenario, options: options)
        let failure = await run.execute()
        return ScenarioResult(name: scenario.name, file: scenario.file, summary: scenario.summary,
                              devices: scenario.devices.map(\.name), events: run.events, failure: failure,
                              seconds: Date().timeIntervalSince(started))
    }
}

/// The state of one scenario while it runs: the server, the devices and the timeline so far.
final class ScenarioRun {
    let scenario: Scenario
    let options: ScenarioRunner.Options
    private(set) var events: [TimelineEvent] = []
    private(set) var server: ScenarioServer!
    private var devices: [String: ScenarioDevice] = [:]
    private(set) var directory: URL!
    private(set) var stepIndex = 0
    /// The scenario's start, whole seconds: `at` and `freeze` times count from here, so two steps can name
    /// the same instant.
    private let start = Timestamp(milliseconds: Timestamp.now.milliseconds / 1000 * 1000)

    init(scenario: Scenario, options: ScenarioRunner.Options) {
        self.scenario = scenario
        self.options = options
    }

    func record(_ lane: String, _ kind: TimelineEvent.Kind, _ text: String, failed: Bool = false, conflict: ConflictDetail? = nil) {
        events.append(TimelineEvent(lane: lane, kind: kind, step: stepIndex, text: text, time: .now, failed: failed, conflict: conflict))
    }

    /// Runs every step; nil when all passed, else why not.
    func execute() async -> ScenarioFailure? {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("briefing-scenario-\(UUID().uuidString)")
        defer {
            server?.stop()
            devices = [:]
            try? FileManager.default.removeItem(at: directory)
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try await setUp()
        } catch {
            return fail("setup failed: \(error)", at: scenario.devices.first?.position
                        ?? SourcePosition(file: scenario.file, line: 1, column: 1))
        }
        for (index, step) in scenario.steps.enumerated() {
            stepIndex = index + 1
            do {
                if let mismatches = try await perform(step), !mismatches.isEmpty {
                    let text = mismatches.map { "\($0.subject): expected \($0.expected), actual \($0.actual)" }.joined(separator: "; ")
                    record("server", .failure, text, failed: true)
                    return ScenarioFailure(message: "expectation failed at \(step.position)", position: step.position,
                                           mismatches: mismatches, steps: stepsSoFar())
                }
            } catch {
                return fail("step \(stepIndex) (\(describe(step.action))) failed: \(error)", at: step.position)
            }
        }
        return nil
    }

    private func fail(_ message: String, at position: SourcePosition) -> ScenarioFailure {
        record("server", .failure, message, failed: true)
        return ScenarioFailure(message: message, position: position, mismatches: [], steps: stepsSoFar())
    }

    private func stepsSoFar() -> [String] {
        scenario.steps.prefix(stepIndex).enumerated().map { index, step in
            "[\(index + 1)] \(describe(step.action)) (\(step.position))"
        }
    }

    private func setUp() async throws {
        if let url = options.serverURL {
            guard scenario.server.policy.isEmpty else {
                throw ScenarioRunError("server.policy needs a server the runner starts (--server \(url.absoluteString) cannot be given a policy)")
            }
            server = ScenarioServer(url: url)
        } else {
            server = try ScenarioServer(executable: options.binDirectory.appendingPathComponent("briefing-mock-server"),
                                        directory: directory, policy: scenario.server.policy)
        }
        try await server.prepare(scenario.server.articles)
        let policy = scenario.server.policy.isEmpty ? "" : ", policy " + policyText(scenario.server.policy)
        let count = scenario.server.articles.count
        record("server", .setup, "\(count) article\(count == 1 ? "" : "s")\(policy)")
        for spec in scenario.devices {
            let device = try ScenarioDevice(spec: spec, directory: directory, seed: options.seed)
            try await device.connect(to: server.baseURL, policy: spec.policy)
            devices[spec.name] = device
            var text = "store \(spec.name).sqlite"
            if !spec.policy.isEmpty { text += ", policy " + policyText(spec.policy) }
            if spec.clockOffsetMs != 0 { text += ", clock \(ClockText.duration(spec.clockOffsetMs))" }
            record(spec.name, .setup, text)
        }
    }

    private func policyText(_ policy: [StateField: ConflictRule]) -> String {
        policy.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value.rawValue)" }.joined(separator: " ")
    }

    private func device(_ name: String) -> ScenarioDevice { devices[name]! }
    func deviceNamed(_ name: String) -> ScenarioDevice { devices[name]! }
    func serverState() async throws -> ServerState { try await server.state() }

    // MARK: Steps

    /// Performs one step; for an `expect` step, the mismatches (empty: it held).
    private func perform(_ step: Step) async throws -> [Mismatch]? {
        switch step.action {
        case .sync(let names, let full, let timeout, let budget, let outcome):
            let chosen = names ?? scenario.devices.map(\.name).filter { device($0).online }
            for name in chosen {
                try await sync(device(name), full: full, timeout: timeout ?? options.timeout,
                               budget: budget ?? options.retryBudget, outcome: outcome)
            }
        case .mark(let name, let action, let articles):
            let device = device(name)
            let outcome = try device.mark(action, articles)
            var text = "\(action.rawValue) \(articles?.joined(separator: ", ") ?? "all") — \(outcome.changed) changed"
            if let changedAt = outcome.changedAt {
                text += ", changed_at \(ClockText.time(changedAt))"
                if outcome.raised { text += " (HLC: device clock says \(ClockText.time(outcome.wall)))" }
            }
            record(name, .mark, text)
        case .offline(let names):
            for name in names {
                device(name).online = false
                record(name, .network, "offline")
            }
        case .online(let names):
            for name in names {
                device(name).online = true
                record(name, .network, "online")
            }
        case .skew(let name, let offset, let freeze):
            if let offset {
                device(name).clock.set(offset)
                record(name, .clock, "clock set to real time \(ClockText.duration(offset)) (now \(ClockText.time(device(name).clock.now())))")
            } else if let freeze {
                device(name).clock.freeze(at: Timestamp(milliseconds: start.milliseconds + freeze))
                record(name, .clock, "clock frozen at \(ClockText.time(device(name).clock.now()))")
            }
        case .advance(let name, let by):
            for target in name.map({ [$0] }) ?? scenario.devices.map(\.name) {
                device(target).clock.advance(by)
                record(target, .clock, "clock advanced \(ClockText.duration(by)) (now \(ClockText.time(device(target).clock.now())))")
            }
        case .kill(let name, let point):
            try await kill(device(name), at: point)
        case .publish(let articles):
            try await server.publish(articles)
            record("server", .server, "publish \(articles.map { "\($0.id) \"\(safeLine($0.title, limit: 60))\"" }.joined(separator: ", "))")
        case .delete(let ids):
            let answer = try await server.admin("POST", "/admin/delete", ["ids": ids]) as? [String: Any]
            let unknown = answer?["unknown"] as? [String] ?? []
            record("server", .server, "delete \(ids.joined(separator: ", "))" + (unknown.isEmpty ? "" : " (unknown: \(unknown.joined(separator: ", ")))"))
        case .serverMark(let name, let article, let field, let value, let offset, let baseRev):
            let changedAt = Timestamp(milliseconds: start.milliseconds + offset)
            var body: [String: Any] = ["id": article, "field": field.rawValue, "value": value,
                                       "changed_at": changedAt.rfc3339, "device": name]
            if let baseRev { body["base_rev"] = baseRev }
            let answer = try await server.admin("POST", "/admin/state", body) as? [String: Any]
            let status = answer?["status"] as? String ?? "?"
            record("server", .server, "\(name) sets \(field.rawValue)=\(value) on \(article) at \(ClockText.time(changedAt)): \(status)")
        case .expireTokens:
            try await server.admin("POST", "/admin/expire-tokens", [String: Any]())
            record("server", .server, "every change token expired")
        case .restart:
            try server.restart()
            record("server", .server, "restarted (data kept) on \(server.baseURL.absoluteString)")
        case .fault(let fault):
            let answer = try await server.admin("POST", "/admin/faults", fault.any) as? [String: Any]
            record("server", .fault, "armed \(faultText(fault)) (pending \(answer?["pending"] as? Int ?? 0))")
        case .clearFaults:
            try await server.admin("DELETE", "/admin/faults")
            record("server", .fault, "faults cleared")
        case .push(let key, let mutations, let expectStatus, let expectResults):
            return try await push(key: key, mutations: mutations, expectStatus: expectStatus, expectResults: expectResults)
        case .sleep(let ms):
            try await Task.sleep(for: .milliseconds(ms))
            record("server", .clock, "waited \(ms) ms")
        case .expect(let expectation):
            let mismatches = try await check(expectation)
            record("server", .expect, mismatches.isEmpty ? "all held" : "\(mismatches.count) failed", failed: !mismatches.isEmpty)
            return mismatches
        }
        return nil
    }

    private func faultText(_ fault: JSONValue) -> String {
        guard case .object(let members) = fault else { return "?" }
        return members.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.plain($0.value))" }.joined(separator: " ")
    }

    private static func plain(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return safeLine(text, limit: 60)
        case .bool(let flag): return String(flag)
        case .number: return "\(value.any)"
        case .null: return "null"
        case .array(let values): return "[" + values.map(plain).joined(separator: ",") + "]"
        case .object: return "{…}"
        }
    }

    private func sync(_ device: ScenarioDevice, full: Bool, timeout: Double, budget: Double, outcome: SyncOutcome?) async throws {
        guard device.online else {
            record(device.name, .sync, "offline: no sync")
            return
        }
        let countersBefore = try await server.state().counters
        let (result, conflicts, notes) = await device.sync(full: full, pageSize: scenario.server.pageSize, timeout: timeout, budget: budget)
        for note in notes { record(device.name, note.kind, safeLine(note.text)) }
        let countersAfter = try await server.state().counters
        switch result {
        case .success(let report):
            var text = "\(full ? "(full) " : "")pushed \(report.pushed), pulled \(report.pulled) (\(report.pages) page\(report.pages == 1 ? "" : "s")), \(report.states) states, deleted \(report.deleted), conflicts \(report.conflicts)"
            if report.archived > 0 { text += ", archived \(report.archived)" }
            if report.fullResync { text += ", full resync" }
            record(device.name, .sync, text, failed: outcome == .error)
            if outcome == .error { throw ScenarioRunError("\(device.name)'s sync succeeded, but the step expected it to fail") }
        case .failure(let error):
            record(device.name, .sync, "failed: \(safeLine(error.description))", failed: outcome != .error)
            if outcome != .error { throw ScenarioRunError("\(device.name)'s sync failed: \(safeLine(error.description))") }
        }
        let moved = countersAfter.filter { $0.value != countersBefore[$0.key] ?? 0 }
            .sorted { $0.key < $1.key }.map { "\($0.key) +\($0.value - (countersBefore[$0.key] ?? 0))" }
        if !moved.isEmpty { record("server", .server, "judged \(device.name)'s push: \(moved.joined(separator: ", "))") }
        for record in conflicts { self.record(device.name, .conflict, conflictDetail(record, on: device).line, conflict: conflictDetail(record, on: device)) }
    }

    /// `tablet's unread (10:02:00.120, HLC)` for each side of a logged conflict.
    private func conflictDetail(_ record: ConflictRecord, on device: ScenarioDevice) -> ConflictDetail {
        func side(_ side: ConflictRecord.Side, local: Bool) -> String {
            let who = side.device ?? (local ? device.name : "the server")
            let what: String
            switch (record.field, side.value) {
            case ("read", "true"): what = "read"
            case ("read", "false"): what = "unread"
            case ("starred", "true"), (_, "starred"): what = "star"
            case ("starred", "false"): what = "unstar"
            case (_, "deleted"): what = "delete"
            default: what = side.value
            }
            var detail: [String] = []
            if let time = side.changedAt { detail.append(ClockText.time(time)) }
            if let author = side.device, let other = devices[author],
               other.wasRaisedByHybridClock(record.articleID, record.field, side.changedAt) { detail.append("HLC") }
            return "\(safeLine(who, limit: 40))'s \(what)" + (detail.isEmpty ? "" : " (\(detail.joined(separator: ", ")))")
        }
        let local = side(record.local, local: true), remote = side(record.server, local: false)
        let (winner, loser) = record.winner == .local ? (local, remote) : (remote, local)
        let sides = record.winner == .local ? (record.local, record.server) : (record.server, record.local)
        return ConflictDetail(article: safeLine(record.articleID, limit: 80), field: record.field, winner: winner, loser: loser,
                              rule: safeLine(record.rule, limit: 40), reason: reason(record.rule, winner: sides.0, loser: sides.1))
    }

    /// Why `rule` preferred `winner`: the comparison it made.
    private func reason(_ rule: String, winner: ConflictRecord.Side, loser: ConflictRecord.Side) -> String? {
        func byTime() -> String? {
            guard let won = winner.changedAt, let lost = loser.changedAt else { return nil }
            if won > lost { return "later changed_at" }
            if won == lost, let a = winner.device, let b = loser.device {
                return "same changed_at; device \(safeLine(a, limit: 40)) sorts after \(safeLine(b, limit: 40))"
            }
            return nil
        }
        switch ConflictRule(name: rule) {
        case .lastWriterWins: return byTime()
        case .readWins: return winner.value != loser.value ? "read beats unread" : byTime().map { "both read; \($0)" }
        case .serverWins: return "a concurrent server state stays"
        case .clientWins: return "the client's write replaces the server's"
        case nil: return nil
        }
    }

    // MARK: Raw push

    private func push(key: String, mutations: [RawMutation], expectStatus: Int?, expectResults: [String]?) async throws -> [Mismatch] {
        let now = start.milliseconds
        let body: [String: Any] = ["mutations": mutations.map { mutation in
            ["mutation_id": mutation.mutationID, "article_id": mutation.article, "field": mutation.field.rawValue,
             "value": mutation.value, "changed_at": Timestamp(milliseconds: now + mutation.offsetMs).rfc3339,
             "device": mutation.device, "base_rev": 0] as [String: Any]
        }]
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        let (status, json, text) = try await server.send("POST", "/v1/mutations", body: data,
                                                         headers: [("Content-Type", "application/json"), ("Idempotency-Key", key)])
        let results = ((json as? [String: Any])?["results"] as? [[String: Any]] ?? []).map { $0["status"] as? String ?? "?" }
        var line = "push key \(safeLine(key, limit: 40)) with \(mutations.map(\.mutationID).joined(separator: ", ")): HTTP \(status)"
        line += results.isEmpty ? " \(safeLine(text, limit: 120))" : " [\(results.joined(separator: ", "))]"
        var mismatches: [Mismatch] = []
        if let expectStatus, expectStatus != status {
            mismatches.append(Mismatch(subject: "push status", expected: String(expectStatus), actual: String(status)))
        }
        if let expectResults, expectResults != results {
            mismatches.append(Mismatch(subject: "push results", expected: expectResults.joined(separator: ", "),
                                       actual: results.isEmpty ? "none" : results.joined(separator: ", ")))
        }
        record("server", .push, line, failed: !mismatches.isEmpty)
        return mismatches
    }

    // MARK: Descriptions

    func describe(_ action: Step.Action) -> String {
        switch action {
        case .sync(let names, let full, _, _, let outcome):
            return "sync \(names?.joined(separator: ", ") ?? "all")\(full ? " (full)" : "")\(outcome == .error ? " (expecting an error)" : "")"
        case .mark(let device, let action, let articles): return "\(device): mark \(action.rawValue) \(articles?.joined(separator: ", ") ?? "all")"
        case .offline(let names): return "offline \(names.joined(separator: ", "))"
        case .online(let names): return "online \(names.joined(separator: ", "))"
        case .skew(let device, let offset, let freeze):
            return "\(device): clock " + (offset.map { ClockText.duration($0) } ?? "frozen at start \(ClockText.duration(freeze ?? 0))")
        case .advance(let device, let by): return "\(device ?? "every device"): clock advances \(ClockText.duration(by))"
        case .kill(let device, let point): return "\(device): kill \(point == .duringPush ? "during the push" : "after pages")"
        case .publish(let articles): return "server: publish \(articles.map(\.id).joined(separator: ", "))"
        case .delete(let ids): return "server: delete \(ids.joined(separator: ", "))"
        case .serverMark(let device, let article, let field, let value, _, _): return "server: \(device) sets \(field.rawValue)=\(value) on \(article)"
        case .expireTokens: return "server: expire tokens"
        case .restart: return "server: restart"
        case .fault(let fault): return "server: fault \(faultText(fault))"
        case .clearFaults: return "server: clear faults"
        case .push(let key, _, _, _): return "push with key \(key)"
        case .sleep(let ms): return "sleep \(ms) ms"
        case .expect: return "expect"
        }
    }
}
