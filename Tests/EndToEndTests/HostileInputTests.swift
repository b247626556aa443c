import Foundation
import Testing
import BriefingTestSupport

/// `Tests/Fixtures/hostile-server.py`: a Briefing server that answers the probe and the first pull like a
/// good one, then serves whatever bytes the test put in DIR/page.
final class HostileServer {
    let process = Process()
    let directory: TemporaryDirectory
    private(set) var baseURL = ""
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/hostile-server.py").standardized.path

    init() throws {
        directory = try TemporaryDirectory()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script, directory.url.path]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte.first == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("listening on ") else { throw TestError("hostile server said \(text.debugDescription)") }
        baseURL = String(text.dropFirst("listening on ".count))
    }

    /// The next pull with a token gets exactly these bytes.
    func serve(_ body: Data) throws {
        try body.write(to: directory.url.appendingPathComponent("page"))
    }

    deinit {
        // SIGKILL: the test process may hand its children a mask that blocks SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// Hostile pages: each is refused with exit 65 and one line, and leaves the store byte for byte as it was;
/// hostile but valid content syncs and prints without control bytes or script.
@Suite(.serialized)
struct HostileInputTests {
    static let tenMB = String(repeating: "x", count: 10 << 20)

    /// A page as a good server would send it, with `items` and `_briefing` members overridden.
    static func page(items: [[String: Any]]? = nil, briefing: [String: Any] = [:], extra: [String: Any] = [:]) -> Data {
        var info: [String: Any] = ["next_token": "t2", "has_more": false, "server_time": "2026-11-29T09:00:00.000Z",
                                   "deleted": [], "states": []]
        for (key, value) in briefing { info[key] = value }
        var document: [String: Any] = ["version": "https://jsonfeed.org/version/1.1", "title": "Hostile",
                                       "items": items ?? [item("fresh")], "_briefing": info]
        for (key, value) in extra { document[key] = value }
        return try! JSONSerialization.data(withJSONObject: document)
    }

    static func item(_ id: String, _ revision: Any = 1, _ extra: [String: Any] = [:]) -> [String: Any] {
        var item: [String: Any] = ["id": id, "title": "Title of \(id)", "content_text": "Body of \(id).",
                                   "_briefing": ["revision": revision]]
        for (key, value) in extra { item[key] = value }
        return item
    }

    /// `page` without the member at a dotted path.
    static func removing(_ path: String, from page: Data) -> Data {
        var object = try! JSONSerialization.jsonObject(with: page) as! [String: Any]
        let keys = path.split(separator: ".").map(String.init)
        if keys.count == 1 {
            object.removeValue(forKey: keys[0])
        } else {
            var inner = object[keys[0]] as! [String: Any]
            inner.removeValue(forKey: keys[1])
            object[keys[0]] = inner
        }
        return try! JSONSerialization.data(withJSONObject: object)
    }

    /// A valid page whose JSON text has `marker` replaced by raw `bytes`.
    static func splice(_ bytes: [UInt8], into page: Data, at marker: String) -> Data {
        let range = page.range(of: Data(marker.utf8))!
        var copy = page
        copy.replaceSubrange(range, with: bytes)
        return copy
    }

    static let malformedCases: [(String, @Sendable () -> Data)] = [
        ("not JSON", { Data("<html><body>Service temporarily unavailable</body></html>".utf8) }),
        ("empty body", { Data() }),
        ("truncated JSON", { let full = page(items: (1...20).map { item("t\($0)") }); return full.prefix(full.count / 2) }),
        ("100,000 levels of [", { Data(String(repeating: "[", count: 100_000).utf8) }),
        ("100,000 levels of {", { Data(String(repeating: "{\"a\":", count: 100_000).utf8) }),
        ("100,000 levels of [ closed, in an unknown member", {
            splice(Array((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8),
                   into: page(extra: ["deep": "DEEP"]), at: "\"DEEP\"")
        }),
        ("10 MB title", { page(items: [item("big-title", 1, ["title": tenMB])]) }),
        ("10 MB id", { page(items: [item(tenMB)]) }),
        ("10 MB body", { page(items: [item("big-body", 1, ["content_text": tenMB])]) }),
        ("10 MB html body", { page(items: [item("big-html", 1, ["content_html": "<p>" + tenMB + "</p>"])]) }),
        ("10 MB tombstone id", { page(items: [], briefing: ["deleted": [tenMB]]) }),
        ("invalid UTF-8 in a title", { splice([0x41, 0xFF, 0xFE, 0xC3, 0x28, 0x42], into: page(items: [item("bad-utf8", 1, ["title": "MARK"])]), at: "MARK") }),
        ("invalid UTF-8 in an id", { splice([0xED, 0xA0, 0x80], into: page(items: [item("MARK")]), at: "MARK") }),
        ("items is an object", { page(extra: ["items": ["id": "x"]]) }),
        ("revision is a string", { page(items: [item("r", "1")]) }),
        ("has_more is a string", { page(briefing: ["has_more": "yes"]) }),
        ("title is a number", { page(items: [item("n", 1, ["title": 42])]) }),
        ("tags is a string", { page(items: [item("tags", 1, ["tags": "politics"])]) }),
        ("deleted is a string", { page(briefing: ["deleted": "fresh"]) }),
        ("state value is a string", { page(briefing: ["states": [["id": "calm-1", "field": "read", "value": "true",
                                                                   "changed_at": "2026-11-29T09:00:00.000Z", "device": "x", "rev": 9]]]) }),
        ("state field is unknown", { page(briefing: ["states": [["id": "calm-1", "field": "pinned", "value": true,
                                                                  "changed_at": "2026-11-29T09:00:00.000Z", "device": "x", "rev": 9]]]) }),
        ("state changed_at is not a time", { page(briefing: ["states": [["id": "calm-1", "field": "read", "value": true,
                                                                         "changed_at": "yesterday", "device": "x", "rev": 9]]]) }),
        ("state rev is negative", { page(briefing: ["states": [["id": "calm-1", "field": "read", "value": true,
                                                                "changed_at": "2026-11-29T09:00:00.000Z", "device": "x", "rev": -5]]]) }),
        ("no _briefing", { removing("_briefing", from: page()) }),
        ("_briefing is null", { page(extra: ["_briefing": NSNull()]) }),
        ("no next_token", { removing("_briefing.next_token", from: page()) }),
        ("no items", { removing("items", from: page()) }),
        ("an item without id", { page(items: [["title": "No id", "content_text": "x", "_briefing": ["revision": 1]]]) }),
        ("an item with an empty id", { page(items: [item("")]) }),
        ("an item without content", { page(items: [["id": "hollow", "title": "Hollow", "_briefing": ["revision": 1]]]) }),
        ("an item without revision", { page(items: [["id": "norev", "title": "x", "content_text": "x"]]) }),
        ("duplicate ids in one page", { page(items: [item("twin"), item("twin", 2)]) }),
        ("revision -1", { page(items: [item("neg", -1)]) }),
        ("revision 2^63-1", { splice(Array("9223372036854775807".utf8), into: page(items: [item("huge", 12345)]), at: "12345") }),
        ("revision 2^64", { splice(Array("18446744073709551616".utf8), into: page(items: [item("huger", 12345)]), at: "12345") }),
        ("revision 1e300", { splice(Array("1e300".utf8), into: page(items: [item("sci", 12345)]), at: "12345") }),
        ("revision 1.5", { splice(Array("1.5".utf8), into: page(items: [item("frac", 12345)]), at: "12345") }),
        ("a 1 MB token", { page(briefing: ["next_token": String(repeating: "t", count: 1 << 20)]) }),
        ("has_more forever with the token just sent", { page(briefing: ["has_more": true, "next_token": "t1"]) }),
        ("has_more forever on an empty page", { page(items: [], briefing: ["has_more": true, "next_token": "t1"]) }),
        ("an empty token", { page(briefing: ["next_token": ""]) }),
        ("a 1 MB device in a state", { page(briefing: ["states": [["id": "calm-1", "field": "read", "value": true,
                                                                   "changed_at": "2026-11-29T09:00:00.000Z",
                                                                   "device": String(repeating: "d", count: 1 << 20), "rev": 9]]]) }),
    ]

    @Test func everyMalformedPageExits65InOneLineAndLeavesTheStoreAsItWas() throws {
        let server = try HostileServer()
        let store = try CLIStore()
        #expect(try store.briefing("init", "--server", server.baseURL, "--device", "target").status == 0)
        #expect(try store.briefing("sync").status == 0)
        #expect(try store.list("--all").count == 2)
        var refused = 0
        for (name, body) in Self.malformedCases {
            try server.serve(body())
            let before = try run("/usr/bin/sqlite3", [store.db, ".dump"]).out
            let started = Date()
            let result = try run("briefing", ["sync", "--timeout", "20", "--retry-budget", "0"],
                                 environment: store.environment, timeout: 60)
            let elapsed = Date().timeIntervalSince(started)
            let lines = result.err.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
            #expect(result.status == 65, "\(name): exit \(result.status): \(result.err.prefix(300))")
            #expect(lines.count == 1 && lines.first?.hasPrefix("briefing: error: ") == true, "\(name): \(result.err.prefix(300))")
            #expect((lines.first?.count ?? 0) < 400, "\(name): a long error line")
            #expect(result.out.isEmpty, "\(name): \(result.out.prefix(200))")
            #expect(try run("/usr/bin/sqlite3", [store.db, ".dump"]).out == before, "\(name): the store changed")
            #expect(elapsed < 30, "\(name): took \(elapsed) s")
            if result.status == 65 { refused += 1 }
            print(String(format: "hostile: %-48@ exit %d in %.2f s: %@", name as NSString, result.status, elapsed,
                         String(result.err.prefix(120)).trimmingCharacters(in: .newlines)))
        }
        print("hostile: \(refused) of \(Self.malformedCases.count) malformed pages refused with exit 65")
    }

    /// Script, style and iframes, and control and bidi characters in every text field, are valid content:
    /// the page syncs, and `list`, `show`, `search` print it without control bytes and without script.
    @Test func hostileButValidContentSyncsAndPrintsSafely() throws {
        let server = try HostileServer()
        let store = try CLIStore()
        #expect(try store.briefing("init", "--server", server.baseURL, "--device", "target").status == 0)
        #expect(try store.briefing("sync").status == 0)
        let nasty = "\u{1b}[2J\u{1b}]0;owned\u{7}ctl\u{0}\u{8}\u{7f}\u{9b}31m\u{202e}evil\u{202c}\u{2066}iso\u{2069}\u{200f}"
        let html = """
            <p>Before</p><script>alert('SCRIPT-RAN')</script><style>body { color: STYLE-LEAK }</style>\
            <iframe src="https://evil.example/IFRAME-LEAK">IFRAME-TEXT</iframe><p onclick="alert('ONCLICK')">After</p>\
            <noscript>NOSCRIPT-TEXT</noscript><SCRIPT type="text/javascript">document.write('UPPER-SCRIPT')</SCRIPT>
            """
        try server.serve(Self.page(items: [
            Self.item("html-1", 1, ["title": "Scripted <b>title</b>", "content_html": html,
                                    "content_text": NSNull(), "summary": "A <b>summary</b>"]),
            Self.item("ctl-1\(nasty)", 1, [
                "title": "Title \(nasty)", "summary": "Summary \(nasty)", "content_text": "Text \(nasty) body",
                "content_html": "<p>Html \(nasty) body</p>", "url": "https://example.com/\(nasty)",
                "external_url": "https://example.com/ext\(nasty)", "authors": [["name": "Author \(nasty)", "url": "https://a.example/\(nasty)"]],
                "tags": ["tag\(nasty)"], "language": "en\(nasty)", "date_published": "2026-11-29T08:00:00Z\(nasty)",
                "image": "https://img.example/\(nasty)",
            ]),
            Self.item("nested-1", 1, ["title": "Nested", "content_text": NSNull(),
                                      "content_html": String(repeating: "<div><ul><li><b>", count: 50_000) + "deep" ]),
        ], briefing: ["states": [["id": "calm-1", "field": "read", "value": true, "changed_at": "2026-11-29T09:00:00.000Z",
                                  "device": "device \(nasty)", "rev": 3]]]))
        let synced = try store.briefing("sync")
        #expect(synced.status == 0, "\(synced.err)")
        let articles = try store.list("--all")
        #expect(articles.count == 5)
        var outputs: [(String, ProcessResult)] = [("list", try store.briefing("list", "--all")),
                                                  ("search", try store.briefing("search", "body")),
                                                  ("status", try store.briefing("status")),
                                                  ("conflicts", try store.briefing("conflicts"))]
        for article in articles {
            let handle = "\(article["handle"] as? Int ?? 0)"
            outputs.append(("show \(article["id"] ?? "")", try store.briefing("show", handle, "--no-mark")))
        }
        for (name, result) in outputs {
            #expect(result.status == 0, "\(name): \(result.err)")
            let controls = result.out.unicodeScalars.filter { scalar in
                let v = scalar.value
                return (v < 0x20 && v != 0x0A) || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v)
                    || (0x2066...0x2069).contains(v) || v == 0x200E || v == 0x200F
            }
            #expect(controls.isEmpty, "\(name) printed control characters \(controls.map { String($0.value, radix: 16) })")
            for leak in ["SCRIPT-RAN", "STYLE-LEAK", "UPPER-SCRIPT", "ONCLICK", "alert(", "IFRAME-LEAK"] {
                #expect(!result.out.contains(leak), "\(name) printed \(leak)")
            }
        }
        let shown = try #require(outputs.first { $0.0 == "show html-1" }?.1.out)
        #expect(shown.contains("Before") && shown.contains("After"))
        let json = try store.briefing("show", "html-1", "--no-mark", "--json")
        #expect(!json.stdout.contains { $0 < 0x20 && $0 != 0x0A }, "raw control bytes in JSON")
        #expect((try? json.json()) != nil)
    }
}
