import Foundation
import Testing
import BriefingTestSupport

/// The real `briefing` binary following plain JSON Feed files served by real third-party servers on
/// loopback: `python3 -m http.server` (Last-Modified only) and Debian's nginx (ETag, gzip, TLS).
struct PlainFeedTests {
    static let longAgo = Date(timeIntervalSinceNow: -3_600)

    static func news(_ ids: [String], modified: String = "2026-11-01T10:00:00Z", title: String = "Story",
                     next: String? = nil) -> [String: Any] {
        var document: [String: Any] = [
            "version": "https://jsonfeed.org/version/1.1", "title": "Local news", "home_page_url": "http://news.test/",
            "items": ids.map { id -> [String: Any] in
                ["id": id, "title": "\(title) \(id)", "content_html": "<p>About \(id).</p>", "url": "stories/\(id)",
                 "date_published": "2026-11-01T09:00:00Z", "date_modified": modified]
            },
        ]
        if let next { document["next_url"] = next }
        return document
    }

    /// A store initialised with `init --server URL`, which must succeed and detect a plain feed.
    func follow(_ url: URL, _ extra: [String] = []) throws -> CLIStore {
        let store = try CLIStore()
        let result = try store.briefing(["init", "--server", url.absoluteString, "--device", "laptop", "--json"] + extra)
        guard result.status == 0, let answer = try result.json() as? [String: Any] else {
            throw TestError("init → \(result.status): \(result.err)")
        }
        #expect(answer["server_kind"] as? String == "feed")
        return store
    }

    func sync(_ store: CLIStore) throws -> [String: Any] { try store.object("sync") }

    func titles(_ store: CLIStore) throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try store.list("--all").map { ($0["id"] as! String, $0["title"] as! String) })
    }

    /// First sync inserts every item; the second is a 304 (seen in the server's log) that changes nothing;
    /// an edited item with a newer date_modified is updated and keeps its read state; an item that left
    /// the feed stays.
    func conditionalSyncFollowsTheFile(on server: StaticFeedServer) throws {
        try server.write("feed.json", Self.news(["a", "b", "c"]), modified: Self.longAgo)
        let store = try follow(server.url("feed.json"))

        let first = try sync(store)
        #expect(first["pulled"] as? Int == 3 && first["not_modified"] as? Bool == false)
        #expect(try store.list("--all").first { $0["id"] as? String == "a" }?["url"] as? String == "http://news.test/stories/a")
        try store.briefing("mark", "read", "b")

        let second = try sync(store)
        #expect(second["not_modified"] as? Bool == true && second["pulled"] as? Int == 0 && second["pages"] as? Int == 0)
        #expect(server.requests(for: "feed.json", status: 304).count == 1)

        var edited = Self.news(["a", "b"])
        var items = edited["items"] as! [[String: Any]]
        items[1]["title"] = "Story b, corrected"
        items[1]["date_modified"] = "2026-11-02T08:30"  // zone-less: UTC
        edited["items"] = items
        try server.write("feed.json", edited, modified: Date())
        let third = try sync(store)
        #expect(third["pulled"] as? Int == 1 && third["not_modified"] as? Bool == false)
        #expect(try titles(store) == ["a": "Story a", "b": "Story b, corrected", "c": "Story c"])
        let b = try #require(try store.list("--all").first { $0["id"] as? String == "b" })
        #expect(b["read"] as? Bool == true)
        #expect(server.requests(for: "feed.json", status: 200).count == 3)  // init, first and third sync

        let status = try store.object("status")
        #expect(status["pending"] as? Int == 0)
        #expect((status["marks"] as? String)?.hasPrefix("local only") == true)
        #expect(try store.briefing("status").out.contains("marks     local only"))
    }

    @Test func pythonHTTPServerFeedSyncsWithLastModified() throws {
        let server = try PythonFeedServer()
        try conditionalSyncFollowsTheFile(on: server)
        #expect(server.requests(for: "feed.json", status: 304).count == 1)
    }

    @Test func nginxFeedSyncsWithETagAndGzip() throws {
        let server = try NginxFeedServer()
        try conditionalSyncFollowsTheFile(on: server)
        let log = server.accessLog().filter { $0.hasPrefix("GET /feed.json ") }
        #expect(log.contains { $0.contains(" 200 ") && $0.contains("encoding=gzip") })
        let notModified = try #require(log.first { $0.contains(" 304 ") })
        #expect(notModified.contains("if_none_match=") && !notModified.contains(#"if_none_match="-""#),
                "the 304 answered a request with the stored ETag: \(notModified)")
    }

    @Test func nextURLChainOfThreePagesIsFollowedOnce() throws {
        let server = try NginxFeedServer()
        try server.write("page1.json", Self.news(["p1"], next: "page2.json"), modified: Self.longAgo)
        try server.write("page2.json", Self.news(["p2"], next: "/page3.json"), modified: Self.longAgo)
        try server.write("page3.json", Self.news(["p3"]), modified: Self.longAgo)
        let store = try follow(server.url("page1.json"))
        let report = try sync(store)
        #expect(report["pages"] as? Int == 3 && report["pulled"] as? Int == 3)
        #expect(Set(try titles(store).keys) == ["p1", "p2", "p3"])
        for page in ["page2.json", "page3.json"] {
            #expect(server.requests(for: page, status: 200).count == 1)
        }
    }

    @Test func nextURLLoopEndsTheBackfillWithAWarningAndExit0() throws {
        let server = try NginxFeedServer()
        try server.write("page1.json", Self.news(["p1"], next: "page2.json"), modified: Self.longAgo)
        try server.write("page2.json", Self.news(["p2"], next: "page3.json"), modified: Self.longAgo)
        try server.write("page3.json", Self.news(["p3"], next: "page1.json"), modified: Self.longAgo)
        let store = try follow(server.url("page1.json"))
        let result = try store.briefing("sync")
        #expect(result.status == 0)
        #expect(result.err.hasPrefix("briefing: warning: feed: next_url page not read") && result.err.contains("loops back"))
        #expect(result.err.contains("page1.json"))
        #expect(Set(try titles(store).keys) == ["p1", "p2", "p3"])
        #expect(server.requests(for: "page3.json", status: 200).count == 1)
    }

    /// A next_url on a host that refuses connections (a closed loopback port) costs one short retry budget,
    /// not the sync's: the feed document is stored, the sync exits 0 with a warning.
    @Test func nextURLToAnUnreachableHostKeepsTheFirstPageWarnsAndExits0Quickly() throws {
        let server = try PythonFeedServer()
        let closed = try freeLoopbackPort()
        try server.write("feed.json", Self.news(["a", "b"], next: "http://127.0.0.1:\(closed)/page2.json"), modified: Self.longAgo)
        let store = try follow(server.url("feed.json"))
        let started = Date()
        let result = try store.briefing("sync", "--json", "--retry-budget", "60")
        let seconds = Date().timeIntervalSince(started)
        #expect(result.status == 0)
        #expect(seconds < 15, "took \(seconds) s")
        let report = try #require(try result.json() as? [String: Any])
        #expect(report["pulled"] as? Int == 2 && report["warning_count"] as? Int == 1)
        let warning = try #require((report["warnings"] as? [[String: Any]])?.first)
        #expect(warning["item"] is NSNull && (warning["reason"] as? String)?.contains("unreachable") == true)
        #expect(result.err.contains("briefing: warning: feed: next_url page not read") && result.err.contains("127.0.0.1:\(closed)"))
        #expect(Set(try titles(store).keys) == ["a", "b"])
    }

    @Test func httpsWithSelfSignedCertificateNeedsCAFile() throws {
        let server = try NginxFeedServer()
        try server.write("feed.json", Self.news(["s1", "s2"]), modified: Self.longAgo)
        let refused = try CLIStore()
        let result = try refused.briefing("init", "--server", server.tlsURL("feed.json").absoluteString)
        #expect(result.status == 69)
        #expect(result.err.hasPrefix("briefing: error: ") && result.err.contains("TLS") && result.err.contains("certificate"))

        guard ProcessInfo.processInfo.environment["BRIEFING_TRANSPORT"] != "urlsession" else {
            return try urlSessionOnLinuxRefusesTheCAFileInsteadOfIgnoringIt(server)
        }
        let store = try follow(server.tlsURL("feed.json"), ["--ca-file", server.certificate])
        #expect(try sync(store)["pulled"] as? Int == 2)
        #expect(try sync(store)["not_modified"] as? Bool == true)
    }

    /// URLSession on Linux cannot add a private CA (FoundationNetworking never hands the server-trust
    /// challenge to the delegate), so over that transport `--ca-file` is refused in one line, never ignored.
    func urlSessionOnLinuxRefusesTheCAFileInsteadOfIgnoringIt(_ server: NginxFeedServer) throws {
        let store = try CLIStore()
        let result = try store.briefing("init", "--server", server.tlsURL("feed.json").absoluteString, "--ca-file", server.certificate)
        #expect(result.status == 69)
        #expect(result.err.hasPrefix("briefing: error: ") && result.err.contains("CA file is not supported by URLSession"))
    }

    @Test(arguments: [
        ("index.html", "<!DOCTYPE html>\n<html><body>Blog</body></html>", "an HTML page"),
        ("rss.xml", "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>T</title></channel></rss>", "RSS feed (XML)"),
        ("rss.json", #"{"rss": {"channel": {"title": "T", "item": []}}}"#, "RSS converted to JSON"),
    ])
    func aDocumentThatIsNotAJSONFeedIsRefusedSayingWhatItLooksLike(name: String, body: String, looksLike: String) throws {
        let server = try PythonFeedServer()
        try server.write(name, Data(body.utf8), modified: Self.longAgo)
        let store = try CLIStore()
        let result = try store.briefing("init", "--server", server.url(name).absoluteString)
        #expect(result.status == 65)
        #expect(result.err.contains("not a JSON Feed") && result.err.contains(looksLike))
    }

    /// One document with every quirk real feeds have: each costs at most its field, and the user hears of it.
    @Test func aFeedWithEveryRealWorldQuirkIsKeptAndTheWarningsSaid() throws {
        let server = try PythonFeedServer()
        var document = Self.news(["fine"])
        document["items"] = (document["items"] as! [[String: Any]]) + [
            ["url": "stories/no-id", "title": "No id", "content_text": "Kept by its url."],
            ["id": "teaser-9", "title": "Teaser", "summary": "Read more on the site"],
            ["id": "headline", "title": "Just a headline", "url": "https://news.test/headline"],
            ["id": "tagged", "content_text": "x", "tags": "budget, council", "date_published": "Tue, 26 Jul 2022 13:01:01 +0100"],
            ["id": "spaced", "content_text": "x", "date_published": "2022-07-26 13:01:01", "date_modified": "2022-07-26T13:01:01+0100"],
            ["id": "odd", "content_text": "x", "title": 7, "date_published": "\u{1B}[31msoon\u{202E}", "tags": 3],
        ]
        try server.write("feed.json", document, modified: Self.longAgo)
        let store = try follow(server.url("feed.json"))
        let result = try store.briefing("sync", "--json")
        #expect(result.status == 0)
        let report = try #require(try result.json() as? [String: Any])
        #expect(report["pulled"] as? Int == 7 && report["warning_count"] as? Int == 3)
        let warnings = try #require(report["warnings"] as? [[String: Any]])
        #expect(Set(warnings.compactMap { $0["field"] as? String }) == ["title", "date_published", "tags"])
        #expect(warnings.allSatisfy { $0["item"] as? String == "odd" })
        #expect(result.err == "briefing: warning: kept 7 of 7 items; 3 fields dropped (see --verbose)\n")

        let articles = Dictionary(uniqueKeysWithValues: try store.list("--all").map { ($0["id"] as! String, $0) })
        #expect(articles["http://news.test/stories/no-id"]?["title"] as? String == "No id")
        #expect(articles["tagged"]?["tags"] as? [String] == ["budget", "council"])
        #expect(articles["tagged"]?["date_published"] as? String == "2022-07-26T12:01:01.000Z")
        #expect(articles["spaced"]?["date_published"] as? String == "2022-07-26T13:01:01.000Z")
        #expect(try store.briefing("show", "teaser-9", "--no-mark").out.contains("Read more on the site"))
        let headline = try store.briefing("show", "headline", "--no-mark").out
        #expect(headline.contains("Just a headline") && headline.contains("https://news.test/headline")
                && headline.contains("(no text in the feed: the story is at the link above)"))
        #expect(try store.object("status")["last_sync_warnings"] as? Int == 3)
        #expect(try store.briefing("status").out.contains("(3 warnings)"))

        // Warnings quote feed text: on the terminal it comes without escape sequences or bidi overrides.
        let verbose = try store.briefing("sync", "--full", "--verbose")
        #expect(verbose.status == 0 && verbose.err.contains("date_published dropped: not a date: "))
        #expect(!verbose.err.contains("\u{1B}") && !verbose.err.contains("\u{202E}"))
    }

    @Test func aHundredItemFeedWithThreeBrokenItemsStores97AndSaysSo() throws {
        let server = try PythonFeedServer()
        let good = (0..<100).map { i -> String in
            if i == 10 { return #""not an item""# }
            if i == 50 { return #"{"id": "i50", "content_html": <p>unquoted</p>}"# }
            if i == 90 { return #"[1, 2, 3]"# }
            return #"{"id": "i\#(i)", "title": "Story \#(i)", "content_html": "<p>Body \#(i)</p>"}"#
        }
        let body = #"{"version": "https://jsonfeed.org/version/1.1", "title": "Hundred", "items": [\#(good.joined(separator: ",\n"))]}"#
        try server.write("feed.json", Data(body.utf8), modified: Self.longAgo)
        let store = try follow(server.url("feed.json"))

        let result = try store.briefing("sync")
        #expect(result.status == 0)
        #expect(result.err == "briefing: warning: kept 97 of 100 items; 3 skipped (see --verbose)\n")
        #expect(try store.list("--all").count == 97)
        #expect(try store.object("status")["last_sync_warnings"] as? Int == 3)

        let verbose = try store.briefing("sync", "--full", "--verbose", "--json")
        #expect(verbose.status == 0)
        // --verbose puts the time and the logger's label after "briefing: warning: ".
        for line in ["] item '#11' skipped: not a JSON object\n", "] item '#51' skipped: not valid JSON\n",
                     "] item '#91' skipped: not a JSON object\n", "] kept 97 of 100 items; 3 skipped\n"] {
            #expect(verbose.err.contains(line), "missing \(line) in \(verbose.err)")
        }
        let report = try #require(try verbose.json() as? [String: Any])
        #expect((report["warnings"] as? [[String: Any]])?.map { $0["item"] as? String } == ["#11", "#51", "#91"])
    }

    @Test func anItemWithoutIDKeepsItsReadStateAcrossSyncs() throws {
        let server = try PythonFeedServer()
        let anonymous: [[String: Any]] = [["title": "No id, no link", "content_text": "Only words."],
                                          ["url": "https://news.test/linked", "content_text": "Has a link."]]
        try server.write("feed.json", ["version": "https://jsonfeed.org/version/1", "items": anonymous], modified: Self.longAgo)
        let store = try follow(server.url("feed.json"))
        #expect(try sync(store)["pulled"] as? Int == 2)
        let ids = try store.list("--all").map { $0["id"] as! String }.sorted()
        #expect(ids.count == 2 && ids.contains("https://news.test/linked") && ids.contains { $0.hasPrefix("hash:") })
        for id in ids { try store.briefing("mark", "read", id) }

        // The same items again, rewritten (new modification time): nothing new, both still read.
        try server.write("feed.json", ["version": "https://jsonfeed.org/version/1", "items": anonymous, "title": "Again"], modified: Date())
        let again = try sync(store)
        #expect(again["not_modified"] as? Bool == false && again["pulled"] as? Int == 0)
        let after = try store.list("--all")
        #expect(after.map { $0["id"] as! String }.sorted() == ids)
        #expect(after.allSatisfy { $0["read"] as? Bool == true })
    }

    @Test func aFeedOverTheSizeCapIsRefusedAndInitMaxFeedMBRaisesIt() throws {
        let server = try PythonFeedServer()
        let text = String(repeating: "news ", count: 300_000)  // 1.5 MB in one item
        try server.write("feed.json", ["version": "https://jsonfeed.org/version/1.1", "items": [["id": "big", "content_text": text]]],
                         modified: Self.longAgo)
        let store = try follow(server.url("feed.json"))
        #expect(try store.briefing("config", "max-feed-mb", "1").status == 0)
        let refused = try store.briefing("sync")
        #expect(refused.status == 69 && refused.err.contains("larger than 1048576 bytes"))
        #expect(try store.list("--all").isEmpty)

        let raised = try follow(server.url("feed.json"), ["--max-feed-mb", "2"])
        #expect(try raised.briefing("config", "max-feed-mb").out == "2\n")
        #expect(try sync(raised)["pulled"] as? Int == 1)
    }
}
