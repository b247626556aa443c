import Foundation
import Testing
import BriefingTestSupport

/// SIGKILL the real `briefing sync` at random moments — mid-pull of a 20,000-article server and mid-push
/// of 5,000 marks — and check what is left: a sound SQLite file, no mark lost, none applied twice, and one
/// uninterrupted sync converging on the server's state.
///
/// Sizes come from the environment so `Tools/crash-harness` can run longer: BRIEFING_CRASH_KILLS,
/// BRIEFING_CRASH_PUSH_KILLS, BRIEFING_CRASH_ARTICLES, BRIEFING_CRASH_PUSH_MARKS, BRIEFING_CRASH_SEED.
@Suite(.serialized)
struct CrashSafetyTests {
    static let pageSize = "200"

    /// One store resumes across kills; between kills the server gets work for it: a fresh device's first
    /// sync, expired tokens (a full resync), or a batch of edits, deletes and new articles.
    @Test func syncsKilledMidPullLeaveASoundStoreThatResumesAndConverges() throws {
        var (random, _) = SeededRandom.fromEnvironment("BRIEFING_CRASH_SEED", label: "crash harness (pull)")
        let kills = harnessSetting("BRIEFING_CRASH_KILLS", default: 25)
        let articleCount = harnessSetting("BRIEFING_CRASH_ARTICLES", default: 20_000)
        let seeds = try TemporaryDirectory()
        try writeGeneratedFeed(count: articleCount, prefix: "crash", to: seeds.url.path)
        let server = try MockServerProcess(arguments: ["--seeds", seeds.url.path, "--page-size", Self.pageSize])
        var devices = 1
        var device = try Device("crash-\(devices)", server: server)
        var tally = CrashTally()
        var typicalSync: TimeInterval = 3
        var distinctMarks = 0
        var iteration = 0
        var newArticles = 0

        while tally.kills < kills && iteration < kills * 3 {
            iteration += 1
            // Work for this sync.
            var work = "first sync"
            var share = 1.0
            if iteration > 1 {
                switch Int.random(in: 0..<10, using: &random) {
                case 0..<3:
                    devices += 1
                    device = try Device("crash-\(devices)", server: server)
                    work = "fresh device"
                case 3..<6:
                    try server.admin("expire-tokens", [:])
                    work = "expired tokens"
                default:
                    let edits = try serverEdits(server, &random, newArticles: &newArticles)
                    work = "server edits (\(edits) changes)"
                    share = min(1, 1.5 * Double(edits) / Double(articleCount))
                }
            }
            // Marks made before the sync, on articles this device holds and the server still has.
            let local = try device.store.readerStates()
            let live = Set(try server.liveIDs())
            let markable = local.keys.filter(live.contains).sorted()
            var marks: [String: Bool] = [:]
            if !markable.isEmpty {
                for _ in 0..<Int.random(in: 0...20, using: &random) {
                    let id = markable.randomElement(using: &random)!
                    let field = Bool.random(using: &random) ? "read" : "starred"
                    let key = "\(id)|\(field)"
                    if marks[key] != nil { continue }
                    let current = field == "read" ? local[id]!.read : local[id]!.starred
                    let action = field == "read" ? (current ? "unread" : "read") : (current ? "unstar" : "star")
                    try device.mark(action, id)
                    marks[key] = !current
                }
                distinctMarks += marks.count
            }

            // Sync, and kill it somewhere between process start and the end of a typical sync.
            let delay = killDelay(upTo: max(0.05, typicalSync * share), &random)
            let sync = try BackgroundBriefing(device.store, ["sync", "--page-size", Self.pageSize])
            usleep(useconds_t(delay * 1_000_000))
            let killed = sync.kill()
            if killed {
                tally.kills += 1
            } else {
                tally.finishedFirst += 1
                #expect(sync.exitDescription.code == 0, "unkilled sync: \(sync.stderrText)")
            }

            // What the kill left behind.
            let integrity = try device.store.integrityCheck()
            if integrity != "ok" { tally.integrityFailures += 1 }
            #expect(integrity == "ok", "iteration \(iteration): \(integrity)")
            let landed = try device.store.count("SELECT count(*) FROM article")
            let pending = try device.store.pendingMarks()
            let state = try server.state()
            let lost = lostMarks(marks, pending: pending, serverFields: server.fieldStates(in: state), device: device.name)
            tally.marksLost += lost.count
            #expect(lost.isEmpty, "iteration \(iteration): marks lost: \(lost.prefix(5))")

            // One uninterrupted sync converges.
            let started = Date()
            let finish = try device.store.briefing("sync", "--page-size", Self.pageSize)
            let finishTime = Date().timeIntervalSince(started)
            #expect(finish.status == 0, "iteration \(iteration): \(finish.err)")
            if work == "first sync" || work == "fresh device" || work == "expired tokens" {
                typicalSync = max(typicalSync * 0.5, min(20, (killed ? delay : 0) + finishTime))
            }
            let after = try server.state()
            let differences = convergenceDifferences(client: try device.store.readerStates(), server: server.readerStates(in: after))
            #expect(differences.isEmpty, "iteration \(iteration) (\(work)): \(differences)")
            #expect(try device.store.pendingMarks().isEmpty)
            let applied = after["mutations_applied"] as? Int ?? -1
            tally.doubleApplications = applied - distinctMarks
            #expect(applied == distinctMarks, "iteration \(iteration): server applied \(applied), marks made \(distinctMarks)")
            tally.duplicates = after["mutations_duplicate"] as? Int ?? 0
            print(String(format: "pull kill %2d: %@, %d marks, %@ after %4.0f ms with %d articles stored; finish %.1f s",
                         iteration, work, marks.count, killed ? "killed" : "finished", delay * 1000, landed, finishTime))
        }
        print("crash harness (pull): \(tally.kills) kills (\(tally.finishedFirst) syncs finished before their kill), "
              + "\(tally.integrityFailures) integrity failures, \(tally.marksLost) marks lost, \(distinctMarks) marks, "
              + "\(tally.doubleApplications) double applications, \(tally.duplicates) duplicate deliveries answered")
        #expect(tally.kills >= kills)
    }

    /// 5,000 marks queued, the sync killed during the push, then finished: every mark reaches the server
    /// exactly once.
    @Test func syncsKilledMidPushLoseNoMarkAndApplyNoneTwice() throws {
        var (random, _) = SeededRandom.fromEnvironment("BRIEFING_CRASH_SEED", label: "crash harness (push)")
        let kills = harnessSetting("BRIEFING_CRASH_PUSH_KILLS", default: 6)
        let markCount = harnessSetting("BRIEFING_CRASH_PUSH_MARKS", default: 5_000)
        let seeds = try TemporaryDirectory()
        try writeGeneratedFeed(count: markCount * 2, prefix: "push", to: seeds.url.path)
        let server = try MockServerProcess(arguments: ["--seeds", seeds.url.path, "--page-size", "1000"])
        let device = try Device("pusher", server: server)
        let first = try device.sync("--page-size", "1000")
        #expect(first.status == 0, "\(first.err)")
        var tally = CrashTally()
        var typicalPush: TimeInterval = 2
        var distinctMarks = 0
        let actions = [("read", "read", true), ("star", "starred", true), ("unread", "read", false), ("unstar", "starred", false)]

        for round in 0..<kills {
            let (action, field, value) = actions[round % actions.count]
            let local = try device.store.readerStates()
            let candidates = local.filter { (field == "read" ? $0.value.read : $0.value.starred) != value }.keys.sorted()
            let ids = Array(candidates.shuffled(using: &random).prefix(markCount))
            let marked = try device.store.object(["mark", action] + ids)
            #expect(marked["changed"] as? Int == ids.count)
            distinctMarks += ids.count
            let marks = Dictionary(uniqueKeysWithValues: ids.map { ("\($0)|\(field)", value) })

            let delay = killDelay(upTo: typicalPush, &random)
            let sync = try BackgroundBriefing(device.store, ["sync", "--page-size", "1000"])
            usleep(useconds_t(delay * 1_000_000))
            let killed = sync.kill()
            if killed { tally.kills += 1 } else { tally.finishedFirst += 1 }

            let integrity = try device.store.integrityCheck()
            if integrity != "ok" { tally.integrityFailures += 1 }
            #expect(integrity == "ok", "round \(round): \(integrity)")
            let pending = try device.store.pendingMarks()
            let lost = lostMarks(marks, pending: pending, serverFields: server.fieldStates(in: try server.state()), device: device.name)
            tally.marksLost += lost.count
            #expect(lost.isEmpty, "round \(round): \(lost.count) marks lost, e.g. \(lost.prefix(3))")

            let started = Date()
            let finish = try device.store.briefing("sync", "--page-size", "1000")
            let finishTime = Date().timeIntervalSince(started)
            #expect(finish.status == 0, "round \(round): \(finish.err)")
            if round == 0 { typicalPush = max(0.2, (killed ? delay : 0) + finishTime) }
            let after = try server.state()
            let differences = convergenceDifferences(client: try device.store.readerStates(), server: server.readerStates(in: after))
            #expect(differences.isEmpty, "round \(round): \(differences)")
            #expect(try device.store.pendingMarks().isEmpty)
            let applied = after["mutations_applied"] as? Int ?? -1
            tally.doubleApplications = applied - distinctMarks
            #expect(applied == distinctMarks, "round \(round): server applied \(applied), marks made \(distinctMarks)")
            tally.duplicates = after["mutations_duplicate"] as? Int ?? 0
            print(String(format: "push kill %2d: %@ %d, %@ after %4.0f ms with %d still pending; finish %.1f s",
                         round, action, ids.count, killed ? "killed" : "finished", delay * 1000, pending.count, finishTime))
        }
        print("crash harness (push): \(tally.kills) kills (\(tally.finishedFirst) finished first), "
              + "\(tally.integrityFailures) integrity failures, \(tally.marksLost) marks lost, \(distinctMarks) marks, "
              + "\(tally.doubleApplications) double applications, \(tally.duplicates) duplicate deliveries answered")
    }

    /// Updates, deletes and adds articles on the server; returns how many changes that made. Starred articles
    /// are never deleted (they would stay archived on the client, which the server does not list).
    private func serverEdits(_ server: MockServerProcess, _ random: inout SeededRandom, newArticles: inout Int) throws -> Int {
        let states = try server.readerStates()
        let live = states.keys.sorted()
        let updated = Array(live.shuffled(using: &random).prefix(Int.random(in: 200...3_000, using: &random)))
        var items = updated.map { id in
            ["id": id, "title": "Edited \(id) \(UInt16.random(in: 0...UInt16.max, using: &random))",
             "content_text": "Edited body of \(id)."]
        }
        for _ in 0..<Int.random(in: 0...40, using: &random) {
            newArticles += 1
            items.append(["id": "new-\(newArticles)", "title": "New article \(newArticles)", "content_text": "Fresh."])
        }
        try server.admin("articles", ["items": items])
        let deletable = live.filter { states[$0]?.starred == false }
        let deleted = Array(deletable.shuffled(using: &random).prefix(Int.random(in: 0...40, using: &random)))
        if !deleted.isEmpty { try server.admin("delete", ["ids": deleted]) }
        return items.count + deleted.count
    }

    /// Half the kills uniform over (3 ms, `limit`), half log-uniform, so process start, store opening and
    /// the first pages get their share.
    private func killDelay(upTo limit: TimeInterval, _ random: inout SeededRandom) -> TimeInterval {
        let low = 0.003, high = max(limit, 0.004)
        let u = Double.random(in: 0..<1, using: &random)
        return Bool.random(using: &random) ? low + u * (high - low) : low * pow(high / low, u)
    }
}

struct CrashTally {
    var kills = 0
    var finishedFirst = 0
    var integrityFailures = 0
    var marksLost = 0
    var doubleApplications = 0
    var duplicates = 0
}

extension CLIStore {
    /// One integer from the store through the sqlite3 CLI.
    func count(_ sql: String) throws -> Int {
        Int(try run("/usr/bin/sqlite3", [db, sql]).out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    func object(_ arguments: [String]) throws -> [String: Any] {
        let result = try briefing(arguments + ["--json"])
        guard result.status == 0, let object = try result.json() as? [String: Any] else {
            throw TestError("briefing \(arguments.prefix(3)) → \(result.status): \(result.err)")
        }
        return object
    }
}
