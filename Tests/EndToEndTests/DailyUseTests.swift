import Foundation
import Testing
import BriefingModel
import BriefingTestSupport

/// The second-day commands and flags — version, messages, trace, export/import-state, config, doctor,
/// conflict log pruning, a failed init — through the real `briefing` binary against the real mock server.
@Suite(.serialized)
struct DailyUseTests {
    @Test func bothBinariesReportTheOneVersionStringAlsoInTheirHelp() throws {
        let client = try run("briefing", ["--version"])
        #expect(client.status == 0)
        #expect(client.out == BriefingVersion.current + "\n")
        let server = try run("briefing-mock-server", ["--version"])
        #expect(server.status == 0)
        #expect(server.out.trimmingCharacters(in: .whitespacesAndNewlines) == BriefingVersion.current)
        #expect(try run("briefing", ["--help"]).out.contains("briefing \(BriefingVersion.current)"))
        #expect(try run("briefing-mock-server", ["--help"]).out.contains("briefing-mock-server \(BriefingVersion.current)"))
    }

    @Test func aTokenExpiryIsANoteLineQuietSilencesItAndVerboseAddsTimesAndSources() throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("phone", server: server)
        _ = try device.syncReport()

        try server.admin("expire-tokens", [:])
        let plain = try device.sync()
        #expect(plain.status == 0)
        #expect(plain.err.contains("briefing: note: change token expired; resyncing"))
        for line in plain.err.split(separator: "\n") {
            #expect(line.hasPrefix("briefing: note: ") || line.hasPrefix("briefing: warning: "), "\(line)")
            #expect(!line.contains("briefing.sync"), "no logger label without --verbose: \(line)")
        }
        #expect(plain.err.range(of: #"\d{4}-\d\d-\d\dT\d\d:\d\d"#, options: .regularExpression) == nil)

        try server.admin("expire-tokens", [:])
        let quiet = try device.sync("--quiet")
        #expect(quiet.status == 0)
        #expect(quiet.err.isEmpty)

        try server.admin("expire-tokens", [:])
        let verbose = try device.sync("-v")
        #expect(verbose.status == 0)
        #expect(verbose.err.range(of: #"briefing: note: \[\d\d:\d\d:\d\d\.\d{3} briefing\.sync\] change token expired"#,
                                  options: .regularExpression) != nil)
        #expect(verbose.err.contains("briefing: debug: "))

        let both = try device.sync("-v", "-q")
        #expect(both.status == 64)
        #expect(both.err == "briefing: error: give --verbose or --quiet, not both\n")
    }

    @Test func verboseShowsTheRetryDecisions() throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("phone", server: server)
        try server.admin("faults", ["kind": "status", "status": 503, "retry_after": 0, "count": 1, "path": "/v1/changes"])
        let result = try device.sync("--verbose")
        #expect(result.status == 0)
        #expect(result.err.contains("HTTP 503; retrying in 0.000 s"), "\(result.err)")
    }

    @Test func aTraceHasOneJSONLinePerAttemptWithTheRetryDecisionAndNeverTheToken() throws {
        let secret = "s3cr3t-trace-token-\(UUID().uuidString)"
        let server = try MockServerProcess.seeded(["--token", secret, "--page-size", "5"])
        let store = try CLIStore()
        let tokenFile = store.directory.path("token")
        try Data((secret + "\n").utf8).write(to: URL(fileURLWithPath: tokenFile))
        var serverURL = URLComponents(url: server.baseURL, resolvingAgainstBaseURL: false)!
        serverURL.user = "alice"
        serverURL.password = "hunter2"
        let initialised = try store.briefing(["init", "--server", server.baseURL.absoluteString, "--token-file", tokenFile])
        #expect(initialised.status == 0, "\(initialised.err)")
        _ = try store.briefing("sync", "--page-size", "5")
        let id = try #require(try server.liveIDs().first)
        #expect(try store.briefing("mark", "star", id).status == 0)
        try server.admin("expire-tokens", [:])
        try server.admin("faults", ["kind": "status", "status": 503, "retry_after": 0, "count": 1, "path": "/v1/changes"])

        let traceFile = store.directory.path("trace.jsonl")
        let result = try store.briefing("sync", "--trace", traceFile, "--page-size", "5")
        #expect(result.status == 0, "\(result.err)")
        let text = try String(contentsOfFile: traceFile, encoding: .utf8)
        #expect(!text.contains(secret))
        #expect(!text.lowercased().contains("authorization"))
        let lines = text.split(separator: "\n")
        let entries = try lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        for entry in entries {
            for key in ["time", "method", "url", "status", "request_bytes", "response_bytes", "ms", "attempt", "decision"] {
                #expect(entry.keys.contains(key), "\(key) missing in \(entry)")
            }
            #expect((entry["url"] as? String)?.hasPrefix(server.baseURL.absoluteString) == true)
        }
        let push = try #require(entries.first { $0["method"] as? String == "POST" })
        #expect(push["status"] as? Int == 200)
        #expect((push["request_bytes"] as? Int ?? 0) > 0)
        let retried = try #require(entries.first { $0["decision"] as? String == "retry" })
        #expect(retried["status"] as? Int == 503)
        #expect(retried["retry_in_s"] as? Double == 0)
        let pulls = entries.filter { ($0["url"] as? String)?.contains("/v1/changes") == true && $0["status"] as? Int == 200 }
        #expect(pulls.count >= 3)
        #expect(pulls.contains { $0["change_token"] is NSNull } , "the resync pulls from the beginning")
        #expect(pulls.allSatisfy { $0["next_change_token"] is String && $0["has_more"] is Bool && $0["page"] is Int })
        #expect(pulls.last?["has_more"] as? Bool == false)

        // A URL with user name and password: the trace shows neither; `-` writes to stderr.
        let other = try CLIStore()
        try Data(secret.utf8).write(to: URL(fileURLWithPath: other.directory.path("token")))
        #expect(try other.briefing(["init", "--server", serverURL.url!.absoluteString,
                                    "--token-file", other.directory.path("token")]).status == 0)
        let toStderr = try other.briefing("sync", "--trace", "-")
        #expect(toStderr.status == 0)
        let traced = toStderr.err.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(!traced.isEmpty)
        #expect(!toStderr.err.contains("hunter2") && !toStderr.err.contains("alice@") && !toStderr.err.contains(secret))
    }

    @Test func exportedStateImportedIntoAFreshStoreReachesTheServerAsItWas() throws {
        let server = try MockServerProcess.seeded()
        let first = try Device("laptop", server: server)
        _ = try first.syncReport()
        let ids = try server.liveIDs()
        try first.mark("read", ids[0], ids[1], ids[2])
        try first.mark("star", ids[1], ids[3])
        _ = try first.syncReport()
        try first.mark("unread", ids[1])
        try first.mark("star", ids[4])
        let exportFile = first.store.directory.path("state.json")
        let exported = try first.store.briefing("export", "--output", exportFile)
        #expect(exported.status == 0, "\(exported.err)")
        let export = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: exportFile))) as? [String: Any])
        #expect(export["format"] as? String == "briefing-state")
        let articles = try #require(export["articles"] as? [[String: Any]])
        #expect(Set(articles.compactMap { $0["id"] as? String }) == Set(ids[0...4]))
        #expect(articles.allSatisfy { $0["url"] is String })

        // A fresh store, on the same server; one exported article is known here only by its url.
        let second = try Device("desktop", server: server)
        _ = try second.syncReport()
        var edited = export
        edited["articles"] = articles.map { article -> [String: Any] in
            guard article["id"] as? String == ids[4] else { return article }
            var renamed = article
            renamed["id"] = "renamed-on-another-server"
            return renamed
        } + [["id": "not-here", "url": "https://nowhere.example/x",
              "read": ["value": true, "changed_at": rfc3339(Date()), "device": "laptop"]]]
        let importFile = second.store.directory.path("state.json")
        try JSONSerialization.data(withJSONObject: edited).write(to: URL(fileURLWithPath: importFile))
        let imported = try second.store.object("import-state", importFile)
        #expect(imported["skipped"] as? Int == 1)
        #expect(imported["skipped_ids"] as? [String] == ["not-here"])
        #expect((imported["applied"] as? Int ?? 0) >= 2)
        #expect(try second.store.object("status")["pending"] as? Int == imported["applied"] as? Int)
        _ = try second.syncReport()

        // The server now holds what the first store holds, though the first never pushed its last marks.
        let expected = try first.store.readerStates()
        let onServer = try server.readerStates()
        for id in ids[0...4] {
            #expect(onServer[id] == expected[id], "\(id)")
        }
        #expect(onServer[ids[1]] == ReaderState(read: false, starred: true))
        #expect(onServer[ids[4]] == ReaderState(read: false, starred: true))
        let local = try second.store.readerStates()
        for id in ids[0...4] {
            #expect(local[id] == expected[id], "\(id)")
        }
    }

    @Test func importStateRefusesWhatIsNotAnExport() throws {
        let store = try CLIStore()
        try store.importFeed(feed([item("a", title: "A")]))
        let file = store.directory.path("feed.json")
        try JSONSerialization.data(withJSONObject: feed([item("b", title: "B")])).write(to: URL(fileURLWithPath: file))
        let wrong = try store.briefing("import-state", file)
        #expect(wrong.status == 65)
        #expect(wrong.err.hasPrefix("briefing: error: ") && wrong.err.contains("not a briefing state export"))
        #expect(try store.briefing("import-state", store.directory.path("missing.json")).status == 66)
    }

    @Test func configChangesSettingsWithoutReinitAndSyncUsesTheStoredTimeout() throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("phone", server: server)
        #expect(try device.store.briefing("config", "device", "tablet").out == "device = tablet\n")
        #expect(try device.store.briefing("config", "policy.read", "read-wins").status == 0)
        #expect(try device.store.briefing("config", "retry-budget", "0").status == 0)
        let settings = try device.store.object("config")
        #expect(settings["device"] as? String == "tablet")
        #expect(settings["policy.read"] as? String == "read-wins")
        #expect(settings["policy.starred"] as? String == "last-writer-wins")
        #expect(settings["retry-budget"] as? Double == 0)
        #expect(settings["timeout"] is NSNull)
        #expect(settings["server"] as? String == server.baseURL.absoluteString)

        let switching = try device.store.briefing("config", "server", "http://127.0.0.1:1")
        #expect(switching.status == 78)
        #expect(switching.err.contains("init --server URL --force"))
        #expect(try device.store.briefing("config", "timeout", "soon").status == 64)
        #expect(try device.store.briefing("config", "colour", "blue").status == 64)
        #expect(try device.store.briefing("config", "token-file", "/nonexistent/token").status == 64)

        // The stored 1 s timeout applies when neither a flag nor the environment names one.
        device.store.environment.removeValue(forKey: "BRIEFING_TIMEOUT")
        device.store.environment.removeValue(forKey: "BRIEFING_RETRY_BUDGET")
        #expect(try device.store.briefing("config", "timeout", "1").status == 0)
        try server.admin("faults", ["kind": "delay", "delay_ms": 4000, "count": 1, "path": "/v1/changes"])
        let slow = try device.sync()
        #expect(slow.status == 69)
        #expect(slow.err.contains("timed out"), "\(slow.err)")
        try server.admin("faults", ["clear": true])
        _ = try device.syncReport()
        let id = try #require(try server.liveIDs().first)
        try device.mark("read", id)
        _ = try device.syncReport()
        #expect((try server.serverArticle(id)?["read"] as? [String: Any])?["device"] as? String == "tablet")
    }

    @Test func doctorPassesOnASoundStoreAndReportsPlantedOutboxProblems() throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("phone", server: server)
        _ = try device.syncReport()
        let healthy = try device.store.briefing("doctor", "--online")
        #expect(healthy.status == 0, "\(healthy.out)\(healthy.err)")
        #expect(healthy.out.contains("all checks passed"))
        #expect(healthy.out.contains("5 migrations, latest 005_pending_mark_order"))

        let id = try #require(try server.liveIDs().first)
        try device.mark("read", id)
        let planted = try run("/usr/bin/sqlite3", [device.store.db, "UPDATE pending_mark SET in_flight = 1"])
        #expect(planted.status == 0)
        let orphan = try device.store.briefing("doctor")
        #expect(orphan.status == 74)
        #expect(orphan.out.contains("PROBLEM") && orphan.out.contains("1 flagged in flight while no sync runs"), "\(orphan.out)")
        let report = try #require(try device.store.briefing("doctor", "--json").json() as? [String: Any])
        #expect(report["ok"] as? Bool == false)

        let missing = try run("/usr/bin/sqlite3", [device.store.db, """
            PRAGMA foreign_keys = OFF;
            INSERT INTO pending_mark (article_id, field, value, changed_at, mutation_id, base_rev)
            VALUES ('no-such-article', 'read', 1, 1, 'planted-mutation', 0);
            """])
        #expect(missing.status == 0)
        let both = try device.store.briefing("doctor")
        #expect(both.status == 74)
        #expect(both.out.contains("1 pending mark for articles the store does not hold"), "\(both.out)")

        let offline = try Device("laptop", server: server)
        server.stop()
        let unreachable = try offline.store.briefing("doctor", "--online")
        #expect(unreachable.status == 69)
        #expect(unreachable.out.contains("online") && unreachable.out.contains("unreachable"), "\(unreachable.out)")
        let uninitialised = try CLIStore().briefing("doctor")
        #expect(uninitialised.status == 78)
    }

    @Test func doctorOnlineReportsRefusedCredentialsAsConfiguration() throws {
        let server = try MockServerProcess.seeded(["--token", "right-token"])
        let store = try CLIStore()
        store.environment["BRIEFING_TOKEN"] = "right-token"
        #expect(try store.briefing("init", "--server", server.baseURL.absoluteString).status == 0)
        #expect(try store.briefing("doctor", "--online").status == 0)
        store.environment["BRIEFING_TOKEN"] = "wrong-token"
        let refused = try store.briefing("doctor", "--online")
        #expect(refused.status == 78)
        #expect(!refused.out.contains("wrong-token"))
    }

    @Test func theConflictLogIsClearedOrPrunedByAge() throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("phone", server: server)
        _ = try device.syncReport()
        let ids = try server.liveIDs()
        for id in ids[0...1] {
            try device.mark("unread", id)
            try device.mark("read", id)
            try device.mark("unread", id)
            try server.admin("state", ["id": id, "field": "read", "value": true,
                                       "changed_at": rfc3339(Date().addingTimeInterval(3600)), "device": "tablet"])
        }
        _ = try device.syncReport()
        let logged = try #require(try device.store.json("conflicts") as? [[String: Any]]).count
        #expect(logged >= 2)
        let young = try device.store.object("prune", "--conflicts-older-than", "1")
        #expect(young["conflicts_pruned"] as? Int == 0)
        #expect(young["pruned"] == nil, "only the log is pruned")
        #expect(try #require(try device.store.json("conflicts") as? [[String: Any]]).count == logged)
        let all = try device.store.object("prune", "--conflicts-older-than", "0")
        #expect(all["conflicts_pruned"] as? Int == logged)

        try device.mark("read", ids[2])
        try device.mark("unread", ids[2])
        try server.admin("state", ["id": ids[2], "field": "read", "value": true,
                                   "changed_at": rfc3339(Date().addingTimeInterval(3600)), "device": "tablet"])
        _ = try device.syncReport()
        #expect(try device.store.object("conflicts", "--clear")["cleared"] as? Int == 1)
        #expect(try device.store.briefing("conflicts").out == "no conflicts\n")
    }

    @Test func aFailedInitLeavesNoStoreBehindButKeepsOneThatExisted() throws {
        let store = try CLIStore()
        let unreachable = try store.briefing("init", "--server", "http://127.0.0.1:1")
        #expect(unreachable.status == 69)
        for suffix in ["", "-wal", "-shm"] {
            #expect(!FileManager.default.fileExists(atPath: store.db + suffix), "\(store.db + suffix)")
        }
        #expect(try store.briefing("status").err.contains("run 'briefing init --server URL' first"))

        let server = try MockServerProcess.seeded()
        let device = try Device("phone", server: server)
        _ = try device.syncReport()
        let before = try device.store.object("status")
        #expect(try device.store.briefing("init", "--server", "http://127.0.0.1:1").status == 69)
        #expect(try device.store.object("status")["articles"] as? Int == before["articles"] as? Int)
    }
}
