import Foundation
import Testing
import BriefingTestSupport

/// A seeded storm of every fault kind the mock server can inject, on the pull and push paths, with local
/// marks and server edits between syncs. Each sync ends 0, 65 or 69 (never a signal), with a one-line error;
/// once the faults are cleared one sync converges on the server's state.
///
/// BRIEFING_STORM_SEED replays a storm; BRIEFING_STORM_SECONDS sets its length (default 60).
@Suite(.serialized)
struct FaultStormTests {
    static let kinds = ["status", "delay", "drop", "truncate", "malformed"]
    static let paths: [String?] = [nil, "/v1/changes", "/v1/mutations"]

    @Test func aStormOfFaultsEndsEachSyncIn0_65Or69AndOneCleanSyncConverges() throws {
        var (random, _) = SeededRandom.fromEnvironment("BRIEFING_STORM_SEED", label: "fault storm")
        let seconds = TimeInterval(harnessSetting("BRIEFING_STORM_SECONDS", default: 60))
        let seeds = try TemporaryDirectory()
        try writeGeneratedFeed(count: 300, prefix: "storm", to: seeds.url.path)
        let server = try MockServerProcess(arguments: ["--seeds", seeds.url.path, "--page-size", "25"])
        let device = try Device("storm", server: server)
        #expect(try device.sync("--page-size", "25").status == 0)

        var runs = 0, faultsArmed = 0, faultedRequests = 0, recoveries = 0, newArticles = 0
        var outcomes: [Int32: Int] = [:]
        var faultsByKind: [String: Int] = [:]
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            runs += 1
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let fault = randomFault(&random)
                try server.admin("faults", fault)
                faultsArmed += 1
                faultedRequests += fault["count"] as? Int ?? 1
                faultsByKind[fault["kind"] as! String, default: 0] += 1
            }
            try edit(server, device, &random, newArticles: &newArticles)

            let result = try device.store.briefing("sync", "--timeout", "1", "--retry-budget", "2", "--page-size", "25")
            outcomes[result.status, default: 0] += 1
            #expect([0, 65, 69].contains(result.status), "run \(runs): exit \(result.status): \(result.err)")
            if result.status != 0 {
                let lines = result.err.split(separator: "\n")
                #expect(lines.count == 1 && lines[0].hasPrefix("briefing: error: "), "run \(runs): \(result.err)")
            }
            #expect(try device.store.integrityCheck() == "ok")

            // Clear the storm; one sync must converge (counted as a recovery when the faulted sync failed).
            try server.admin("faults", ["clear": true])
            if result.status != 0 {
                let clean = try device.sync("--page-size", "25")
                #expect(clean.status == 0, "run \(runs): recovery sync: \(clean.err)")
                if clean.status == 0 { recoveries += 1 }
            }
            let differences = convergenceDifferences(client: try device.store.readerStates(), server: try server.readerStates())
            #expect(differences.isEmpty, "run \(runs) (exit \(result.status)): \(differences)")
            #expect(try device.store.pendingMarks().isEmpty, "run \(runs): marks left pending after a clean sync")
        }
        let failures = outcomes.filter { $0.key != 0 }.sorted { $0.key < $1.key }.map { "exit \($0.key): \($0.value)" }
        print("fault storm: \(runs) runs, \(faultsArmed) faults armed (\(faultedRequests) requests to fail; "
              + faultsByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
              + "), \(outcomes[0] ?? 0) succeeded, failures: \(failures.isEmpty ? "none" : failures.joined(separator: ", ")), "
              + "\(recoveries) recoveries")
        #expect(runs > 0)
    }

    /// One fault of a random kind, count and path.
    private func randomFault(_ random: inout SeededRandom) -> [String: Any] {
        var fault: [String: Any] = ["kind": Self.kinds.randomElement(using: &random)!,
                                    "count": Int.random(in: 1...4, using: &random)]
        if let path = Self.paths.randomElement(using: &random)! { fault["path"] = path }
        switch fault["kind"] as! String {
        case "status":
            fault["status"] = [429, 500, 502, 503, 504].randomElement(using: &random)!
            if Bool.random(using: &random) { fault["retry_after"] = Int.random(in: 0...1, using: &random) }
        case "delay":
            fault["delay_ms"] = Int.random(in: 100...2_500, using: &random)
        default:
            break
        }
        return fault
    }

    /// A few local marks and server edits between syncs: content updates, marks by another device,
    /// deletes and new articles.
    private func edit(_ server: MockServerProcess, _ device: Device, _ random: inout SeededRandom, newArticles: inout Int) throws {
        let serverStates = try server.readerStates()
        let live = serverStates.keys.sorted()
        let local = try device.store.readerStates()
        var deleted: Set<String> = []
        for _ in 0..<Int.random(in: 0...3, using: &random) {
            let id = live.randomElement(using: &random)!
            switch Int.random(in: 0..<4, using: &random) {
            case 0:
                try server.admin("articles", ["id": id, "title": "Storm edit \(Int.random(in: 0...9_999, using: &random))",
                                              "content_text": "Edited in the storm."])
            case 1:
                try server.admin("state", ["id": id, "field": Bool.random(using: &random) ? "read" : "starred",
                                           "value": Bool.random(using: &random), "changed_at": rfc3339(Date()),
                                           "device": "tablet"])
            case 2 where serverStates[id]?.starred == false && local[id]?.starred == false:
                try server.admin("delete", ["ids": [id]])
                deleted.insert(id)
            default:
                newArticles += 1
                try server.admin("articles", ["id": "storm-new-\(newArticles)", "title": "Storm news \(newArticles)",
                                              "content_text": "New in the storm."])
            }
        }
        // Marks only on articles the server still has: a star on a deleted one would stay archived here.
        let markable = local.keys.filter { serverStates[$0] != nil && !deleted.contains($0) }.sorted()
        for _ in 0..<Int.random(in: 0...6, using: &random) where !markable.isEmpty {
            let id = markable.randomElement(using: &random)!
            try device.mark(["read", "unread", "star", "unstar"].randomElement(using: &random)!, id)
        }
    }
}
