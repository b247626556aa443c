import Foundation
import Testing
import BriefingTestSupport

/// Power loss under the real `briefing mark` and `briefing sync`, simulated by `Tests/Fixtures/powerloss-shim.c`
/// (compiled here with `cc`, loaded with `LD_PRELOAD`): it keeps each store file's content as of its last
/// completed fsync, numbers every write, truncate, unlink and sync of the store, and at a chosen event (or at
/// exit) puts every file back to what was synced and ends the process. A fresh process then checks the
/// store: `PRAGMA integrity_check` is ok, and every mark the CLI acknowledged ("marked …" on stdout before the
/// crash) is in the store — as state and pending mark, or, after a sync's push settlement, as state the
/// server also holds. Every event of every run is a crash point.
///
/// The negative control runs the same crash points with the store downgraded to `synchronous = NORMAL`
/// (the shim rewrites the PRAGMA): there the shim must lose an acknowledged mark, or it proves nothing.
@Suite(.serialized)
struct PowerLossTests {
    /// The marks, in order; each is one `briefing mark` process.
    static let marks: [(action: String, ids: [String])] = [
        ("read", ["pl-00001"]),
        ("star", ["pl-00002", "pl-00003"]),
        ("unread", ["pl-00001"]),
        ("read", ["pl-00004", "pl-00005", "pl-00006"]),
    ]

    @Test func everyAcknowledgedMarkSurvivesPowerLossAtEveryWriteAndSyncOfMarkAndPush() throws {
        let lab = try PowerLossLab(snapshots: Self.marks.count + 1)
        var crashPoints = 0, acknowledgedAtCrash = 0, lost: [String] = [], unsound: [String] = []

        for (index, mark) in Self.marks.enumerated() {
            for point in try lab.crashPoints(before: index, ["mark", mark.action] + mark.ids) {
                let trial = try lab.trial(from: index)
                let result = try trial.run(["mark", mark.action] + mark.ids, crash: point)
                guard result.status == PowerLossLab.crashed else {
                    Issue.record("mark at \(point) ended \(result.status) without crashing: \(result.err)")
                    continue
                }
                crashPoints += 1
                let acknowledged = result.out.contains("marked ")
                if acknowledged { acknowledgedAtCrash += 1 }
                let found = try trial.inspect()
                if found.integrity != "ok" { unsound.append("mark \(index) at \(point): \(found.integrity)") }
                let expected = Self.expectedStates(through: acknowledged ? index : index - 1)
                let inFlight = acknowledged ? [] : Self.fields(of: mark)
                let (states, pending) = (found.states, found.pending)
                for (key, value) in expected where !inFlight.contains(key) {
                    if states[key] != value || pending[key] != value {
                        lost.append("mark \(index) at \(point): \(key) state \(String(describing: states[key])) pending \(String(describing: pending[key])), want \(value)")
                    }
                }
            }
        }

        // A sync pushing every mark above, crashed at each of its store events.
        let expected = Self.expectedStates(through: Self.marks.count - 1)
        var syncPoints = 0
        for point in try lab.crashPoints(before: Self.marks.count, ["sync"]) {
            let trial = try lab.trial(from: Self.marks.count)
            let result = try trial.run(["sync"], crash: point)
            guard result.status == PowerLossLab.crashed else { continue }  // a later sync has fewer events
            crashPoints += 1
            syncPoints += 1
            let found = try trial.inspect()
            if found.integrity != "ok" { unsound.append("sync at \(point): \(found.integrity)") }
            let (states, pending) = (found.states, found.pending)
            for (key, value) in expected {
                let parts = key.split(separator: "|").map(String.init)
                let settled = try pending[key] == nil && lab.server.value(parts[0], parts[1]) == value
                if states[key] != value || !(pending[key] == value || settled) {
                    lost.append("sync at \(point): \(key) state \(String(describing: states[key])) pending \(String(describing: pending[key])), want \(value)")
                }
            }
            let resumed = try trial.run(["sync"], crash: nil)
            #expect(resumed.status == 0, "sync after a power loss at \(point): \(resumed.err)")
            #expect(try trial.inspect().pending.isEmpty, "sync after a power loss at \(point) left marks pending")
        }

        print("power loss: \(crashPoints) crash points (\(syncPoints) in sync), \(acknowledgedAtCrash) with the mark acknowledged, \(lost.count) acknowledged marks lost, \(unsound.count) integrity failures")
        #expect(crashPoints >= 100)
        #expect(syncPoints >= 10)
        #expect(acknowledgedAtCrash > 0)
        #expect(lost.isEmpty, "\(lost.prefix(10))")
        #expect(unsound.isEmpty, "\(unsound.prefix(10))")
    }

    @Test func withSynchronousNormalTheSameCrashPointsLoseAnAcknowledgedMark() throws {
        let lab = try PowerLossLab(snapshots: 1)
        let mark = Self.marks[0]
        var lost: [String] = [], crashPoints = 0
        for point in try lab.crashPoints(before: 0, ["mark", mark.action] + mark.ids, synchronous: "NORMAL") {
            let trial = try lab.trial(from: 0)
            let result = try trial.run(["mark", mark.action] + mark.ids, crash: point, synchronous: "NORMAL")
            guard result.status == PowerLossLab.crashed else { continue }
            crashPoints += 1
            if result.out.contains("marked "), try trial.inspect().states["pl-00001|read"] != true { lost.append("\(point)") }
        }
        print("power loss, synchronous = NORMAL: \(lost.count) of \(crashPoints) crash points lost the acknowledged mark (at \(lost.joined(separator: ", ")))")
        #expect(crashPoints > 0)
        #expect(!lost.isEmpty, "the shim never lost an unsynced write: the durability test would prove nothing")
    }

    /// `article|field` → value after marks 0...last, as the CLI applies them.
    static func expectedStates(through last: Int) -> [String: Bool] {
        var states: [String: Bool] = [:]
        guard last >= 0 else { return states }
        for mark in marks[0...last] {
            let field = mark.action.hasSuffix("star") ? "starred" : "read"
            for id in mark.ids { states["\(id)|\(field)"] = mark.action == "read" || mark.action == "star" }
        }
        return states
    }

    static func fields(of mark: (action: String, ids: [String])) -> Set<String> {
        let field = mark.action.hasSuffix("star") ? "starred" : "read"
        return Set(mark.ids.map { "\($0)|\(field)" })
    }
}

/// A crash point: before the store event with this number, or at the process's normal exit.
enum CrashPoint: CustomStringConvertible {
    case event(Int)
    case exit
    var description: String {
        switch self {
        case .event(let number): "event \(number)"
        case .exit: "exit"
        }
    }
}

/// The shim, a mock server with a few articles, and the store after each mark of `PowerLossTests.marks`
/// (snapshot i holds marks 0..<i), each run whole without the shim.
final class PowerLossLab {
    static let crashed: Int32 = 86
    let directory: TemporaryDirectory
    let shim: String
    let server: MockServerProcess
    private(set) var snapshots: [String] = []

    /// Makes snapshots 0..<`count`.
    init(snapshots count: Int) throws {
        directory = try TemporaryDirectory()
        shim = directory.path("powerloss-shim.so")
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/powerloss-shim.c").standardized.path
        let compiler = try run("/usr/bin/env", ["cc", "-shared", "-fPIC", "-O2", "-o", shim, source, "-ldl"])
        guard compiler.status == 0 else { throw TestError("cc powerloss-shim.c → \(compiler.status): \(compiler.err)") }

        let seeds = directory.path("seeds")
        try FileManager.default.createDirectory(atPath: seeds, withIntermediateDirectories: true)
        try writeGeneratedFeed(count: 12, prefix: "pl", to: seeds)
        server = try MockServerProcess(arguments: ["--seeds", seeds])
        let device = try Device("powerloss", server: server)
        _ = try device.syncReport()

        for index in 0..<count {
            let snapshot = directory.path("snapshot-\(index)")
            try FileManager.default.createDirectory(atPath: snapshot, withIntermediateDirectories: true)
            try copyStore(from: device.store.db, to: snapshot + "/briefing.sqlite")
            snapshots.append(snapshot + "/briefing.sqlite")
            if index + 1 < count {
                let mark = PowerLossTests.marks[index]
                let result = try device.store.briefing(["mark", mark.action] + mark.ids)
                guard result.status == 0 else { throw TestError("mark → \(result.status): \(result.err)") }
            }
        }
    }

    /// A fresh copy of snapshot `index`.
    func trial(from index: Int) throws -> PowerLossTrial {
        let trial = try PowerLossTrial(lab: self)
        try copyStore(from: snapshots[index], to: trial.db)
        return trial
    }

    /// Every event of one uncrashed run of `arguments` on snapshot `index`, and its exit.
    func crashPoints(before index: Int, _ arguments: [String], synchronous: String? = nil) throws -> [CrashPoint] {
        let probe = try trial(from: index)
        let result = try probe.run(arguments, crash: nil, synchronous: synchronous)
        guard result.status == 0 else { throw TestError("uncrashed \(arguments) → \(result.status): \(result.err)") }
        let text = try String(contentsOfFile: probe.report, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let events = Int(text), events > 0 else { throw TestError("the shim saw no store events in \(arguments)") }
        return (1...events).map(CrashPoint.event) + [.exit]
    }
}

func copyStore(from source: String, to destination: String) throws {
    for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: source + suffix) {
        try? FileManager.default.removeItem(atPath: destination + suffix)
        try FileManager.default.copyItem(atPath: source + suffix, toPath: destination + suffix)
    }
}

/// One store copy, run under the shim.
final class PowerLossTrial {
    let lab: PowerLossLab
    let directory: TemporaryDirectory
    let db: String
    let report: String

    init(lab: PowerLossLab) throws {
        self.lab = lab
        directory = try TemporaryDirectory()
        db = directory.path("briefing.sqlite")
        report = directory.path("events")
    }

    /// `briefing ARGS` under the shim, crashing at `crash` (nil: never; the event count goes to `report`).
    func run(_ arguments: [String], crash: CrashPoint?, synchronous: String? = nil) throws -> ProcessResult {
        let shadow = directory.path("shadow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: shadow, withIntermediateDirectories: true)
        var environment = ["BRIEFING_DB": db, "BRIEFING_RETRY_BUDGET": "3", "BRIEFING_TIMEOUT": "5",
                           "LD_PRELOAD": lab.shim, "POWERLOSS_DB": db, "POWERLOSS_SHADOW": shadow,
                           "POWERLOSS_REPORT": report]
        switch crash {
        case .event(let number): environment["POWERLOSS_CRASH_AT"] = String(number)
        case .exit: environment["POWERLOSS_CRASH_AT_EXIT"] = "1"
        case nil: break
        }
        if let synchronous { environment["POWERLOSS_SYNCHRONOUS"] = synchronous }
        return try BriefingTestSupport.run("briefing", arguments, environment: environment)
    }

    /// What a fresh process finds in the store, read straight from the file by the sqlite3 CLI (one run):
    /// `PRAGMA integrity_check`, and `article|field` → value of the reader state and of the outbox.
    struct Inspection {
        var integrity = ""
        var states: [String: Bool] = [:]
        var pending: [String: Bool] = [:]
    }

    func inspect() throws -> Inspection {
        let result = try BriefingTestSupport.run("/usr/bin/sqlite3", ["-separator", "|", db, """
            SELECT 'integrity', integrity_check, '' FROM pragma_integrity_check;
            SELECT 'state', article_id || '|' || field, value FROM article_state;
            SELECT 'pending', article_id || '|' || field, value FROM pending_mark;
            """])
        var inspection = Inspection()
        guard result.status == 0 else {
            inspection.integrity = "sqlite3 → \(result.status): \(result.err)"
            return inspection
        }
        for line in result.out.split(separator: "\n") {
            let parts = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            switch parts.first {
            case "integrity": inspection.integrity += parts.dropFirst().first ?? ""
            case "state" where parts.count == 4: inspection.states["\(parts[1])|\(parts[2])"] = parts[3] == "1"
            case "pending" where parts.count == 4: inspection.pending["\(parts[1])|\(parts[2])"] = parts[3] == "1"
            default: inspection.integrity += " unexpected line: \(line)"
            }
        }
        return inspection
    }
}
