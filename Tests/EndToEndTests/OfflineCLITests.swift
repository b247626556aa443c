import Foundation
import Testing
import BriefingTestSupport

/// The offline commands through the real binary: list, show, mark, search, status, conflicts, prune.
struct OfflineCLITests {
    @Test func theSeedFeedImportsAndListsNewestFirstWithTheCarneyArticle() throws {
        let store = try CLIStore()
        let seeds = try FileManager.default.contentsOfDirectory(atPath: seedsDirectory.path).filter { $0.hasSuffix(".json") }
        #expect(!seeds.isEmpty)
        for seed in seeds { #expect(try store.briefing("import", seedsDirectory.appendingPathComponent(seed).path).status == 0) }
        let articles = try store.list("--all")
        #expect(articles.count >= 12)
        let dates = articles.compactMap { $0["date_published"] as? String }
        #expect(dates == dates.sorted(by: >))
        #expect(articles.contains { ($0["title"] as? String)?.contains("Carney") == true })
        for article in articles {
            #expect(Set(article.keys).isSuperset(of: ["id", "title", "url", "date_published", "read", "starred", "tags"]))
        }
    }

    @Test func markRoundTripsShowInStatus() throws {
        let store = try CLIStore()
        try store.importFeed(feed([item("a", title: "A"), item("b", title: "B"), item("c", title: "C")]))
        #expect(try store.briefing("mark", "read", "a", "b").status == 0)
        #expect(try store.briefing("mark", "star", "c").status == 0)
        var status = try store.object("status")
        #expect(status["unread"] as? Int == 1)
        #expect(status["starred"] as? Int == 1)
        #expect(try store.briefing("mark", "unread", "a").status == 0)
        #expect(try store.briefing("mark", "unstar", "c").status == 0)
        status = try store.object("status")
        #expect(status["unread"] as? Int == 2)
        #expect(status["starred"] as? Int == 0)
        for key in ["articles", "unread", "starred", "pending", "conflicts", "last_sync", "server", "device"] {
            #expect(status.keys.contains(key), "status lacks \(key)")
        }
    }

    @Test func markingReadUnreadReadLeavesOnePendingMark() throws {
        let store = try CLIStore()
        try store.importFeed(feed([item("a", title: "A")]))
        for action in ["read", "unread", "read"] { try store.briefing("mark", action, "a") }
        #expect(try store.object("status")["pending"] as? Int == 1)
        #expect(try store.list("--all").first?["read"] as? Bool == true)
    }

    @Test func listAcceptsHandlesInShowAndMark() throws {
        let store = try CLIStore()
        try store.importFeed(feed([item("https://example.com/a/very/long/article/id", title: "Long")]))
        let handle = try #require(try store.list("--all").first?["handle"] as? Int)
        let listed = try store.briefing("list")
        #expect(listed.out.contains("\(handle)"))
        #expect(try store.briefing("mark", "star", String(handle)).status == 0)
        let shown = try store.object("show", String(handle), "--no-mark")
        #expect(shown["starred"] as? Bool == true)
        #expect(shown["read"] as? Bool == false)
    }

    @Test func showRendersHTMLAndMarksRead() throws {
        let store = try CLIStore()
        let html = "<h2>Heading</h2><p>First &amp; <a href=\"https://example.com/x\">linked</a> paragraph.</p><ul><li>one</li><li>two</li></ul>"
        try store.importFeed(feed([item("a", title: "Rendered", html: html)]))
        let shown = try store.briefing("show", "a")
        #expect(shown.status == 0)
        #expect(shown.out.contains("Rendered"))
        #expect(shown.out.contains("First & linked"))
        #expect(shown.out.contains("https://example.com/x"))
        #expect(!shown.out.contains("<p>"))
        #expect(try store.list("--all").first?["read"] as? Bool == true)
        let json = try store.object("show", "a")
        for key in ["summary", "content_text", "content_html", "authors"] { #expect(json.keys.contains(key)) }
    }

    @Test func searchFindsTitleAndBodyWordsTitleFirstAndRejectsAMalformedQuery() throws {
        let store = try CLIStore()
        try store.importFeed(feed([
            item("body", title: "Farm report", text: "Canola growers fear new tariffs.", date: "2026-11-02T10:00:00Z"),
            item("title", title: "Tariffs return", text: "Ottawa and Beijing talk.", date: "2026-11-01T10:00:00Z"),
        ]))
        let hits = try #require(try store.json("search", "tariffs") as? [[String: Any]])
        #expect(hits.compactMap { $0["id"] as? String } == ["title", "body"])
        let bad = try store.briefing("search", "\"unbalanced")
        #expect(bad.status == 64)
        #expect(bad.err.hasPrefix("briefing: error: "))
        #expect(bad.err.split(separator: "\n").count == 1)
    }

    @Test func pruneKeepsUnreadAndStarred() throws {
        let store = try CLIStore()
        let old = "2020-01-01T00:00:00Z"
        try store.importFeed(feed([item("read", title: "R", date: old), item("unread", title: "U", date: old),
                                   item("starred", title: "S", date: old)]))
        try store.briefing("mark", "read", "read", "starred")
        try store.briefing("mark", "star", "starred")
        let pruned = try store.object("prune", "--older-than", "30")
        #expect(pruned["pruned"] as? Int == 0, "pending marks protect articles until pushed")
        #expect(Set(try store.list("--all").compactMap { $0["id"] as? String }) == ["read", "unread", "starred"])
    }

    @Test func hostileTitlesPrintWithoutControlBytes() throws {
        let store = try CLIStore()
        let hostile = ["\u{1b}]8;;http://x\u{7}click\u{1b}]8;;\u{7}", "\u{1b}[2Jcleared", "a\u{202E}evil\u{202C}b",
                       "c1\u{9b}31m", "bell\u{7}\u{8}"]
        try store.importFeed(feed(hostile.enumerated().map { item("h\($0.offset)", title: $0.element,
                                                                  html: "<p>\($0.element)</p>") }))
        var outputs = [try store.briefing("list", "--all").stdout]
        for index in hostile.indices { outputs.append(try store.briefing("show", "h\(index)", "--no-mark").stdout) }
        for output in outputs {
            let text = String(decoding: output, as: UTF8.self)
            #expect(!output.contains(0x1b))
            #expect(!output.contains(0x07))
            #expect(!output.contains(0x08))
            #expect(!text.unicodeScalars.contains { (0x80...0x9f).contains($0.value) || (0x202a...0x202e).contains($0.value) })
        }
        #expect(String(decoding: outputs[0], as: UTF8.self).contains("click"))
        let json = try store.briefing("list", "--all", "--json")
        #expect(!json.stdout.contains(0x1b))
        #expect(json.out.contains("\\u001b"))
        let parsed = try #require(try json.json() as? [[String: Any]])
        #expect(Set(parsed.compactMap { $0["title"] as? String }) == Set(hostile))
    }

    @Test func anUnknownIDExits66() throws {
        let store = try CLIStore()
        try store.importFeed(feed([item("a", title: "A")]))
        #expect(try store.briefing("show", "missing").status == 66)
        #expect(try store.briefing("mark", "read", "missing").status == 66)
    }

    @Test func everyJSONOutputParsesWithTheContractKeys() throws {
        let store = try CLIStore()
        try store.importFeed(feed([item("a", title: "A")]))
        #expect(try store.json("list") is [Any])
        #expect(try store.json("search", "body") is [Any])
        #expect(try store.json("conflicts") is [Any])
        #expect(try store.json("prune") is [String: Any])
        #expect(try store.json("mark", "read", "a") is [String: Any])
    }

    @Test func aStoreThatWasNeverInitialisedExits78() throws {
        let store = try CLIStore()
        let result = try store.briefing("list")
        #expect(result.status == 78)
        #expect(result.err.contains("briefing init"))
    }

    @Test func aGarbageStoreExits74AndIsNotModified() throws {
        let store = try CLIStore()
        let garbage = Data(repeating: 0x5a, count: 8192)
        FileManager.default.createFile(atPath: store.db, contents: garbage)
        #expect(try store.briefing("status").status == 74)
        #expect(try Data(contentsOf: URL(fileURLWithPath: store.db)) == garbage)
    }

    @Test func theDefaultStoreFollowsXDGDataHome() throws {
        let store = try CLIStore()
        store.environment["BRIEFING_DB"] = nil
        store.environment["XDG_DATA_HOME"] = store.directory.path("xdg")
        try store.importFeed(feed([item("a", title: "A")]))
        #expect(FileManager.default.fileExists(atPath: store.directory.path("xdg/briefing/briefing.sqlite")))
    }

    @Test func helpAndCompletionWork() throws {
        let store = try CLIStore()
        let help = try store.briefing("--help")
        #expect(help.status == 0)
        for command in ["init", "sync", "list", "show", "mark", "search", "status", "conflicts", "prune"] {
            #expect(help.out.contains(command))
            let sub = try store.briefing(command, "--help")
            #expect(sub.status == 0 && sub.out.contains("USAGE"), "\(command) --help")
        }
        let completion = try store.briefing("--generate-completion-script", "bash")
        #expect(completion.status == 0)
        #expect(completion.out.contains("complete"))
        #expect(try store.briefing("list", "--limit", "x").status == 64)
    }
}
