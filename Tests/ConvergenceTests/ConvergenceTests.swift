import Foundation
import Testing
import BriefingCurl
import BriefingModel
import BriefingStore
@testable import BriefingSync
import BriefingTestSupport

/// Three devices and a fourth one's marks against one real mock-server process: random marks with skewed
/// clocks, server edits and deletes, token expiry, interleaved with syncs. After every sync the device must
/// show what the oracle predicts; after a final round (each device syncs, then each again) every store
/// equals the server and the server equals the oracle.
///
/// Each case has its own seed, printed on failure; `BRIEFING_CONVERGENCE_SEED=<seed>` replays exactly that
/// case, `BRIEFING_CONVERGENCE_CASES=<n>` runs more (default 200).
@Suite(.serialized)
struct ConvergenceTests {
    @Test func threeDevicesAndTheServerConvergeOnWhatTheRulesDecide() async throws {
        let environment = ProcessInfo.processInfo.environment
        let seeds: [UInt64]
        if let pinned = environment["BRIEFING_CONVERGENCE_SEED"].flatMap({ UInt64($0) }) {
            seeds = [pinned]
        } else {
            let count = environment["BRIEFING_CONVERGENCE_CASES"].flatMap { Int($0) } ?? 200
            var base = SplitMix64(seed: UInt64.random(in: 0...UInt64.max))
            seeds = (0..<count).map { _ in base.next() }
        }
        let world = try World()
        var tally = Tally()
        for seed in seeds {
            let scenario = Scenario(seed: seed)
            do {
                try await world.run(scenario, &tally)
            } catch {
                Issue.record("""
                    convergence case failed: \(error)
                    replay: BRIEFING_CONVERGENCE_SEED=\(seed) swift test --skip-build --filter ConvergenceTests
                    case \(seed): \(scenario)
                    """)
                return
            }
        }
        print("convergence: \(seeds.count) cases, \(tally)")
    }

    /// Under read-wins a mark is concurrent with the server's state only when it was made on an older
    /// revision. Device 0 reads an article, pulls another device's earlier "read" (its own pending read
    /// wins by time), then marks the article unread: that mark was made on the pulled revision, so the
    /// server must apply it. (Until base_rev followed a replaced pending mark, the server saw it as
    /// concurrent, read-wins kept "read", and the reader's unread was lost.)
    @Test func aMarkMadeAfterPullingAStateIsNotConcurrentWithIt() async throws {
        let world = try World()
        var tally = Tally()
        try await world.run(Scenario(skews: [0, 0, 0], readWinsDevice: 0, operations: [
            .sync(device: 0), .sync(device: 1), .sync(device: 2),
            .mark(device: 0, action: .read, article: 0, jitter: 0),
            .remoteMark(article: 0, read: true, value: true, offset: -3_600_000, tie: false),
            .pullOnly(device: 0),
            .mark(device: 0, action: .unread, article: 0, jitter: 0),
            .sync(device: 0),
        ]), &tally)
    }
}

extension ConvergenceTests {
    /// Device 0 stars and reads an article offline; the server deletes it (the push is `gone`, the pull
    /// keeps it archived because it is starred here), then publishes it again. The device must show the
    /// server's state again, not its marks that lost to the delete. (Found by the generated cases.)
    @Test func anArticlePublishedAgainAfterADeleteShowsTheServersStateEverywhere() async throws {
        let world = try World()
        var tally = Tally()
        try await world.run(Scenario(skews: [0, 0, 0], operations: [
            .sync(device: 0), .sync(device: 1), .sync(device: 2),
            .mark(device: 0, action: .star, article: 0, jitter: 0),
            .mark(device: 0, action: .read, article: 0, jitter: 0),
            .delete(article: 0),
            .sync(device: 0),
            .edit(article: 0),
            .sync(device: 0),
        ]), &tally)
    }
}

extension ConvergenceTests {
    /// Device 1 reads an article the server then deletes; its push is judged `gone` but the answer is
    /// lost; the server publishes the article again; the repeated push is a `duplicate` and the server
    /// has no read state. The device must show it unread, as the server does. (Found by the generated
    /// cases, seed 8260807951367939989.)
    @Test func aLostGoneVerdictRepeatedAfterTheArticleCameBackLeavesNoStaleMark() async throws {
        let world = try World()
        var tally = Tally()
        try await world.run(Scenario(skews: [0, 0, 0], operations: [
            .sync(device: 0), .sync(device: 1), .sync(device: 2),
            .mark(device: 1, action: .read, article: 7, jitter: 0),
            .delete(article: 7),
            .lostPushAnswer(device: 1),
            .edit(article: 7),
            .sync(device: 1),
        ]), &tally)
    }
}

/// Counts of what the cases exercised, printed after a passing run.
struct Tally: CustomStringConvertible {
    var operations = 0, marks = 0, syncs = 0, fullResyncs = 0, conflicts = 0, gone = 0, archived = 0
    var pullsWithPending = 0, droppedAtPull = 0, readWinsCases = 0, lostPushAnswers = 0, duplicates = 0

    var description: String {
        "\(readWinsCases) with read-wins on one device, \(operations) operations, \(marks) marks, \(syncs) syncs (\(fullResyncs) full resyncs), "
            + "\(pullsWithPending) pulls with marks pending (\(droppedAtPull) marks dropped there), "
            + "\(lostPushAnswers) marks whose push answer was lost (\(duplicates) answered duplicate later), "
            + "\(conflicts) server-side conflicts, \(gone) marks gone, \(archived) archived at the end"
    }
}

/// A case's failure: what differed, and after which step.
struct Divergence: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The mock server (one per test run, reset per case) and the per-case device stores.
final class World {
    static let deviceNames = ["laptop", "phone", "tablet"]
    /// The fourth device: between the others in id order, so ties go either way.
    static let otherDevice = "other"

    let directory: TemporaryDirectory
    let server: MockServerProcess
    let transport = CurlTransport()
    let articles: [(id: String, title: String)] = (1...Scenario.articles).map { ("conv-\($0)", "Article \($0)") }

    init() throws {
        directory = try TemporaryDirectory()
        let seeds = directory.url.appendingPathComponent("seeds")
        try FileManager.default.createDirectory(at: seeds, withIntermediateDirectories: true)
        let feed: [String: Any] = [
            "version": "https://jsonfeed.org/version/1.1", "title": "Convergence",
            "items": articles.enumerated().map { index, article in
                ["id": article.id, "title": article.title, "content_text": "Body of \(article.title).",
                 "date_published": "2026-11-2\(index % 9)T08:00:00Z"]
            },
        ]
        try JSONSerialization.data(withJSONObject: feed).write(to: seeds.appendingPathComponent("feed.json"))
        // The oracle orders writes by the times they carry, so the clock-offset bound (which rebases and
        // clamps times from clocks more than ε off) is set out of reach of the ±2 day skews here; the bound
        // has its own tests (ClockOffsetTests, ClockOffsetEndToEndTests).
        server = try MockServerProcess(arguments: ["--seeds", seeds.path, "--max-clock-offset", "864000"])
    }

    /// An admin call over the same libcurl transport the devices use.
    @discardableResult
    func admin(_ path: String, _ body: Any? = nil) async throws -> [String: Any] {
        let request = TransportRequest(method: body == nil ? "GET" : "POST", url: server.url("/admin/" + path),
                                  headers: [("Content-Type", "application/json")],
                                  body: try body.map { try JSONSerialization.data(withJSONObject: $0) })
        let response = try await transport.send(request)
        guard response.status == 200, let json = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
        else { throw Divergence("admin \(path) answered \(response.status): \(String(decoding: response.body, as: UTF8.self))") }
        return json
    }

    func run(_ scenario: Scenario, _ tally: inout Tally) async throws {
        try await admin("reset", [String: Any]())
        if scenario.readWinsDevice != nil { tally.readWinsCases += 1 }
        let caseDirectory = try TemporaryDirectory()
        var stores: [BriefingStore] = []
        for name in Self.deviceNames {
            let store = try BriefingStore.open(path: caseDirectory.path("\(name).sqlite"), create: true)
            var settings = SyncSettings(device: name)
            settings.serverURL = server.baseURL.absoluteString
            settings.serverKind = .briefing
            if scenario.readWinsDevice == stores.count { settings.policy = ConflictPolicy([.read: .readWins]) }
            guard try store.configure(settings, force: false) == .configured else { throw Divergence("configure \(name)") }
            stores.append(store)
        }
        var run = CaseRun(world: self, scenario: scenario, stores: stores,
                          oracle: Oracle(articles: articles, devices: Self.deviceNames,
                                        readWins: scenario.readWinsDevice))
        for (step, operation) in scenario.operations.enumerated() {
            do {
                try await run.apply(operation, &tally)
            } catch {
                throw Divergence("at step \(step) (\(operation)): \(error)")
            }
        }
        for round in 0..<2 {
            for device in 0..<Scenario.devices {
                do {
                    try await run.apply(.sync(device: device), &tally)
                } catch {
                    throw Divergence("in final round \(round), device \(device) syncing: \(error)")
                }
            }
        }
        try await run.checkServer()
        try await run.checkStoresAgainstServer(&tally)
    }
}

/// One case in progress: the real stores and the oracle, side by side.
struct CaseRun {
    let world: World
    let scenario: Scenario
    let stores: [BriefingStore]
    var oracle: Oracle
    /// Every wall time passed and changed_at written so far: an upper bound of any device's clock.
    var latestTime: Int64 = 0

    init(world: World, scenario: Scenario, stores: [BriefingStore], oracle: Oracle) {
        self.world = world
        self.scenario = scenario
        self.stores = stores
        self.oracle = oracle
    }

    func id(_ article: Int) -> String { world.articles[article].id }

    mutating func apply(_ operation: Operation, _ tally: inout Tally) async throws {
        tally.operations += 1
        switch operation {
        case let .mark(device, action, article, jitter):
            try await mark(device, action, id(article), jitter: jitter, &tally)
        case let .sync(device):
            try await sync(device, &tally)
        case let .pullOnly(device):
            let engine = SyncEngine(store: stores[device], transport: world.transport, bearerToken: nil)
            var report = SyncReport()
            try await engine.pull(base: world.server.baseURL, full: false, &report)
            tally.pullsWithPending += 1
            tally.droppedAtPull += oracle.pull(device: device)
            try checkDevice(device)
        case let .lostPushAnswer(device):
            guard !oracle.devices[device].outbox.isEmpty else { return try await sync(device, &tally) }
            try await world.admin("faults", ["kind": "truncate", "path": "/v1/mutations", "count": 1])
            let engine = SyncEngine(store: stores[device], transport: world.transport, bearerToken: nil)
            do {
                _ = try await engine.run()
                throw Divergence("a sync whose push answer was cut off succeeded")
            } catch SyncError.unavailable {
                tally.lostPushAnswers += oracle.lostPush(device: device)
            }
            try checkDevice(device)
        case let .remoteMark(article, read, value, offset, tie):
            let field: Oracle.Field = read ? .read : .starred
            var at = Timestamp.now.milliseconds + offset
            if tie, let current = oracle.server[id(article)]?[field]?.write, current.device != World.otherDevice {
                at = current.at
            }
            latestTime = max(latestTime, at)
            let write = Oracle.Write(value: value, at: at, device: World.otherDevice)
            let expected = oracle.remoteMark(write, Oracle.Key(id: id(article), field: field))
            if expected == .conflict { tally.conflicts += 1 }
            let answer = try await world.admin("state", [
                "id": id(article), "field": field.rawValue, "value": value,
                "changed_at": Timestamp(milliseconds: at).rfc3339, "device": World.otherDevice,
            ])
            guard answer["status"] as? String == expected.rawValue else {
                throw Divergence("server judged \(write) on \(id(article)).\(field) \(answer["status"] ?? "nil"), oracle: \(expected)")
            }
        case let .edit(article):
            let revision = oracle.server[id(article)]!.revision + 1
            let title = "Article \(article + 1), revision \(revision)"
            oracle.edit(id(article), title: title)
            try await world.admin("articles", ["id": id(article), "title": title, "content_text": "Body, revision \(revision)."])
        case let .delete(article):
            oracle.delete(id(article))
            try await world.admin("delete", ["ids": [id(article)]])
        case .expireTokens:
            try await world.admin("expire-tokens", [String: Any]())
        }
    }

    mutating func mark(_ device: Int, _ action: MarkAction, _ id: String, jitter: Int64, _ tally: inout Tally) async throws {
        let store = stores[device]
        let field: Oracle.Field = action.field == .read ? .read : .starred
        let wall = Timestamp.now.milliseconds + scenario.skews[device] + jitter
        latestTime = max(latestTime, wall)
        guard let expectChange = oracle.wouldChange(device: device, id: id, field: field, value: action.value) else {
            do {
                try store.mark(action, [id], wallClock: Timestamp(milliseconds: wall))
                throw Divergence("marking \(id), which device \(device) does not hold, did not fail")
            } catch StoreError.unknownArticle {
                return
            }
        }
        let changed = try store.mark(action, [id], wallClock: Timestamp(milliseconds: wall))
        guard changed == (expectChange ? 1 : 0) else {
            throw Divergence("mark \(action) \(id) on device \(device) changed \(changed) articles, oracle: \(expectChange ? 1 : 0)")
        }
        guard expectChange else { return }
        tally.marks += 1
        var stamp: Int64?
        let ceiling = max(wall, max(latestTime, Timestamp.now.milliseconds + 1_000) + 1)
        if oracle.devices[device].held[id]?.archived == true {
            // The stamp of a mark on an archived article stays on the device, unread here; only bound it.
            latestTime = max(latestTime, ceiling)
        } else {
            guard let pending = try store.pendingMarks().first(where: { $0.articleID == id && $0.field == action.field })
            else { throw Divergence("mark \(action) \(id) on device \(device) queued no pending mark") }
            let at = pending.state.changedAt.milliseconds
            // The hybrid clock: never before the wall clock, always after everything the device has seen,
            // and never ahead of both the wall clock and the latest time anywhere (plus the server's clock).
            let seen = oracle.devices[device].seen
            guard at >= wall, at > seen, at <= ceiling else {
                throw Divergence("device \(device) stamped \(at) for wall \(wall), seen \(seen), ceiling \(ceiling)")
            }
            latestTime = max(latestTime, at)
            stamp = at
        }
        oracle.mark(device: device, id: id, field: field, value: action.value, at: stamp)
    }

    mutating func sync(_ device: Int, _ tally: inout Tally) async throws {
        let engine = SyncEngine(store: stores[device], transport: world.transport, bearerToken: nil)
        let report = try await engine.run()
        let push = oracle.sync(device: device)
        tally.syncs += 1
        tally.conflicts += push.conflicts
        tally.gone += push.gone
        tally.duplicates += push.duplicates
        if report.fullResync { tally.fullResyncs += 1 }
        guard report.pushed == push.settled else {
            throw Divergence("device \(device) pushed \(report.pushed) marks, oracle: \(push.settled)")
        }
        try checkDevice(device)
    }

    /// The device's articles and their state against the oracle's prediction.
    func checkDevice(_ device: Int) throws {
        var actual: [String: Oracle.HeldArticle] = [:]
        for summary in try stores[device].list(.all) {
            actual[summary.id] = Oracle.HeldArticle(archived: summary.archived, title: summary.archived ? nil : summary.title,
                                                    read: summary.read, starred: summary.starred)
        }
        var expected = oracle.devices[device].held
        for (id, held) in expected where held.archived { expected[id]!.title = nil }
        guard actual == expected else {
            let ids = Set(actual.keys).union(expected.keys).sorted()
            let diff = ids.filter { actual[$0] != expected[$0] }.map { id in
                "  \(id): store \(actual[id].map(Self.describe) ?? "absent"), oracle \(expected[id].map(Self.describe) ?? "absent")"
            }
            throw Divergence("device \(device) (\(World.deviceNames[device])) differs from the oracle:\n" + diff.joined(separator: "\n"))
        }
        let pending = try stores[device].pendingMarks().count
        guard pending == oracle.devices[device].outbox.count else {
            throw Divergence("device \(device) has \(pending) pending marks, oracle: \(oracle.devices[device].outbox.count)")
        }
    }

    static func describe(_ held: Oracle.HeldArticle) -> String {
        "read=\(held.read) starred=\(held.starred)\(held.archived ? " archived" : "") title=\(held.title ?? "-")"
    }

    /// `GET /admin/state` against the oracle's server: liveness, revision, and each field's winning write.
    func checkServer() async throws {
        let articles = try await world.admin("state")["articles"] as? [[String: Any]] ?? []
        guard articles.count == oracle.server.count else {
            throw Divergence("server holds \(articles.count) articles, oracle \(oracle.server.count)")
        }
        for article in articles {
            let id = article["id"] as? String ?? ""
            guard let expected = oracle.server[id] else { throw Divergence("server holds unknown article \(id)") }
            guard article["deleted"] as? Bool == !expected.live, (article["revision"] as? NSNumber)?.int64Value == expected.revision
            else { throw Divergence("server article \(id): deleted \(article["deleted"] ?? "nil"), revision \(article["revision"] ?? "nil"); oracle live \(expected.live), revision \(expected.revision)") }
            for field in Oracle.Field.allCases {
                let actual = (article[field.rawValue] as? [String: Any]).map { state in
                    Oracle.Write(value: state["value"] as? Bool ?? false,
                                 at: (state["changed_at"] as? String).flatMap { Timestamp(rfc3339: $0) }?.milliseconds ?? -1,
                                 device: state["device"] as? String ?? "")
                }
                guard actual == expected[field]?.write else {
                    throw Divergence("server \(id).\(field): \(actual.map(\.description) ?? "unset"), oracle \(expected[field].map(\.write.description) ?? "unset")")
                }
            }
        }
    }

    /// Every store against `GET /admin/state` directly: live articles with the server's values; deleted
    /// ones absent, or kept as archived.
    func checkStoresAgainstServer(_ tally: inout Tally) async throws {
        let articles = try await world.admin("state")["articles"] as? [[String: Any]] ?? []
        for (device, store) in stores.enumerated() {
            let held = Dictionary(uniqueKeysWithValues: try store.list(.all).map { ($0.id, $0) })
            for article in articles {
                let id = article["id"] as? String ?? ""
                let local = held[id]
                if article["deleted"] as? Bool == true {
                    guard local == nil || local!.archived else {
                        throw Divergence("device \(device) still shows deleted \(id) without archiving it")
                    }
                    if local != nil { tally.archived += 1 }
                    continue
                }
                func value(_ field: String) -> Bool { (article[field] as? [String: Any])?["value"] as? Bool ?? false }
                guard let local, !local.archived, local.read == value("read"), local.starred == value("starred") else {
                    throw Divergence("device \(device) shows \(id) as \(local.map { "read=\($0.read) starred=\($0.starred) archived=\($0.archived)" } ?? "absent"), server read=\(value("read")) starred=\(value("starred"))")
                }
            }
        }
    }
}
